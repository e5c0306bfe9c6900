"""The subject-access export (HTML form, then a download): everything the unit holds about one
person, asked for by that person in writing and answered by the commune police.

GET shows what the file contains and asks for the request's reference; POST gathers the sections
(subject_access.gather), records the export in the audit log with that reference as its reason,
commits, and sends one JSON document (or a workbook with one sheet per section).
"""

import io
import json
from datetime import UTC, date, datetime

from flask import g, render_template, send_file
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from openpyxl import Workbook
from openpyxl.styles import Font
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from blueprints.api.serializers import iso
from blueprints.reports.xlsx import sheet_title
from blueprints.returnees import deadlines, facts, queries
from blueprints.returnees.blueprint import bp
from blueprints.returnees.care_forms import Day, choice
from blueprints.returnees.forms import strip
from blueprints.returnees.spreadsheets import text_cell as safe_cell  # typed text never becomes a formula
from blueprints.returnees.subject_access import FORMAT_VERSION, gather
from portal import audit
from portal.extensions import db
from portal.permissions import Permission, can, requires

ACTION = "returnee.subject_access"
JSON, XLSX = "application/json", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_REFERENCE = 200  # the audit log's reason column
LEGAL_BASIS = "Luật 91/2025/QH15; Nghị định 356/2025/NĐ-CP"
SECTION_LABELS = {
    "export": _l("About this export"),
    "dossier": _l("Dossier"),
    "campaign": _l("Pardon campaign"),
    "convictions": _l("Convictions"),
    "status_history": _l("Status history"),
    "due_dates": _l("Due dates"),
    "expungement": _l("Expungement"),
    "assignments": _l("Assignments"),
    "support_teams": _l("Support teams"),
    "contacts": _l("Contacts"),
    "quarterly_reviews": _l("Quarterly reviews"),
    "support_actions": _l("Support and loans"),
    "incidents": _l("Incidents"),
    "transfers": _l("Transfers"),
    "loan_list_entries": _l("Loan lists"),
    "comments": _l("Comments"),
    "attachments": _l("Files (metadata)"),
    "audit_trail": _l("Access and change log"),
}


class SubjectAccessForm(FlaskForm):
    reference = StringField(
        _l("Request reference or reason"),
        filters=[strip],
        validators=[
            DataRequired(message=_l("Write the reference of the person's written request (number and date).")),
            Length(max=MAX_REFERENCE, message=_l("At most %(max)d characters.")),
        ],
    )
    received_on = Day(_l("Request received on"))
    file_format = SelectField(
        _l("File format"), choices=[choice("json", _l("JSON (one document)")),
                                    choice("xlsx", _l("Excel workbook (one sheet per section)"))],
        default="json", validators=[DataRequired()],
    )


@bp.context_processor
def _subject_access_link():
    # The dossier page shows its link only to the roles that may use it (commune police).
    return {"can_export_subject": can(g.get("role"), Permission.DOSSIER_SUBJECT_EXPORT)}


def acknowledge_by(received_on: date | None) -> date | None:
    """When the request must be acknowledged (dự kiến), by the rule in force on the day received."""
    if received_on is None:
        return None
    try:
        return deadlines.due_date("data_subject_ack", received_on)
    except deadlines.RuleNotFound:
        return None


def ack_rule(today: date) -> deadlines.Rule | None:
    try:
        return deadlines.rule_for("data_subject_ack", today)
    except deadlines.RuleNotFound:
        return None


def header(form: SubjectAccessForm, today: date) -> dict:
    unit = g.tenant
    return {
        "kind": "subject_access",
        "format_version": FORMAT_VERSION,
        "legal_basis": LEGAL_BASIS,
        "generated_on": today,
        "generated_at": datetime.now(UTC).replace(tzinfo=None),
        "unit": {"code": unit.code, "slug": unit.slug, "name": unit.name},
        "exported_by": {"id": current_user.id, "name": current_user.full_name or current_user.username},
        "request": {"reference": form.reference.data, "received_on": form.received_on.data,
                    "acknowledge_by": acknowledge_by(form.received_on.data)},
        "note": gettext("Computed dates are expected (dự kiến): the legal effect comes from the documents themselves."),
    }


def _plain(value):
    """JSON for what json cannot write itself: dates (ISO, as in the API) and lazy strings."""
    return iso(value) if isinstance(value, date) else str(value)


def to_json(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2, default=_plain).encode("utf-8")


def _cell(sheet, value):
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, default=_plain)
    cell = safe_cell(sheet, value)
    if isinstance(value, datetime):
        cell.number_format = "DD/MM/YYYY HH:MM:SS"
    return cell


def to_xlsx(document: dict) -> bytes:
    """One sheet per section: a record as field/value rows, a list as a table (field names as headers)."""
    book = Workbook(write_only=True)
    used: set[str] = set()
    bold = Font(bold=True)
    for key, section in document.items():
        sheet = book.create_sheet(sheet_title(SECTION_LABELS.get(key, key), used))
        if isinstance(section, list):
            names = list(section[0]) if section else []
            sheet.append([safe_cell(sheet, name, font=bold) for name in names] or [gettext("Nothing recorded.")])
            for row in section:
                sheet.append([_cell(sheet, row[name]) for name in names])
        elif section is None:
            sheet.append([gettext("Nothing recorded.")])
        else:
            for name, value in section.items():
                sheet.append([safe_cell(sheet, name, font=bold), _cell(sheet, value)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _download(data: bytes, mimetype: str, name: str):
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name, etag=False)
    response.headers["Cache-Control"] = "no-store, private"
    return response


@bp.route("/returnees/<int:returnee_id>/subject-access", methods=["GET", "POST"])
@requires(Permission.DOSSIER_SUBJECT_EXPORT)
def subject_access(returnee_id):
    returnee = queries.dossier_or_404(returnee_id)
    form = SubjectAccessForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        page = render_template("returnees/subject_access.html", form=form, returnee=returnee,
                               ack_rule=ack_rule(facts.today()), sections=SECTION_LABELS)
        return page, status
    today = facts.today()
    document = {"export": header(form, today), **gather(returnee, today)}
    xlsx = form.file_format.data == "xlsx"
    data = to_xlsx(document) if xlsx else to_json(document)
    name = f"du-lieu-ca-nhan-{returnee.id}-{today:%Y%m%d}.{'xlsx' if xlsx else 'json'}"
    audit.record(ACTION, returnee, reason=form.reference.data)
    db.session.commit()  # the file leaves with the response: its audit row must be saved first
    return _download(data, XLSX if xlsx else JSON, name)
