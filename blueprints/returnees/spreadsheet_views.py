"""Spreadsheet pages: the import of a list of returnees (with its template) and the export of the list.

The import is all or nothing: a file with one bad row saves nobody and answers 422 with a report
(row, column, message). The export is the list filtered as in the query string, with ID numbers
masked for roles that may not read them, and is audited as an export.
"""

import io

from flask import current_app, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import raiseload

from blueprints.returnees import facts, queries, returnee_import, spreadsheets
from blueprints.returnees.blueprint import bp
from blueprints.returnees.forms import FilterForm
from blueprints.returnees.labels import mask_national_id
from blueprints.returnees.lifecycle import STATUS_LABELS, TransitionError
from blueprints.returnees.models import Returnee
from portal import audit
from portal.extensions import db
from portal.permissions import Permission, can, requires
from portal.search import fold

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _limits() -> tuple[int, int]:
    config = current_app.config
    return config.get("IMPORT_MAX_BYTES", spreadsheets.MAX_BYTES), config.get("IMPORT_MAX_ROWS", spreadsheets.MAX_ROWS)


def _import_page(errors=None, message=None, status=200):
    max_bytes, max_rows = _limits()
    return render_template(
        "returnees/import.html", columns=spreadsheets.COLUMNS, errors=errors or [], message=message,
        max_mb=f"{max_bytes / (1024 * 1024):g}", max_rows=f"{max_rows:,}".replace(",", "."),
    ), status


def _xlsx(data: bytes, name: str):
    response = send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name, etag=False)
    response.headers["Cache-Control"] = "no-store, private"
    return response


@bp.route("/returnees/import")
@requires(Permission.DOSSIER_WRITE)
def import_returnees():
    return _import_page()


@bp.route("/returnees/import/template.xlsx")
@requires(Permission.DOSSIER_WRITE)
def import_template():
    return _xlsx(spreadsheets.template_workbook(), "mau-danh-sach-nguoi-tai-hoa-nhap.xlsx")


def ids_in_unit(ids: set[str]) -> set[str]:
    return set(db.session.scalars(select(Returnee.national_id).where(Returnee.national_id.in_(ids))))


def read_upload() -> spreadsheets.Sheet:
    """The uploaded file's sheet, within the size and row limits (the campaign import shares it);
    raises spreadsheets.FileRefused with the message and the HTTP status."""
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        raise spreadsheets.FileRefused(_("Choose a file to import."), 422)
    max_bytes, max_rows = _limits()
    data = sent.read(max_bytes + 1)
    if len(data) > max_bytes:
        message = _("The file is too large: the limit is %(size)s MB. Nothing was saved.",
                    size=f"{max_bytes / (1024 * 1024):g}")
        raise spreadsheets.FileRefused(message, 413)
    return spreadsheets.read_sheet(sent.filename, data, max_rows)


@bp.route("/returnees/import", methods=["POST"])
@requires(Permission.DOSSIER_WRITE)
def import_upload():
    try:
        sheet = read_upload()
    except spreadsheets.FileRefused as exc:
        return _import_page(message=str(exc), status=exc.status)
    checked = returnee_import.check(sheet, facts.today(), ids_in_unit)
    if checked.errors:
        return _import_page(errors=checked.errors, status=422)
    try:
        created = returnee_import.create(checked.people, current_user.id)
    except TransitionError as exc:
        db.session.rollback()
        return _import_page(message=str(exc), status=422)
    audit.record("returnee.import", object_type="returnees", reason=f"rows={len(created)}")
    db.session.commit()
    flash(_("%(count)d people were imported.", count=len(created)), "info")
    return redirect(url_for("returnees.import_returnees"), code=303)


# --- Export ----------------------------------------------------------------------------------------


def export_query(filters: dict, today, *, search_ids: bool):
    """The list's filters (forms.FilterForm, as views.index reads them) without its paging: the same
    clauses as queries.list_page, so the file holds what the list shows."""
    query = select(Returnee).options(raiseload("*")).order_by(Returnee.search_name, Returnee.id)
    q = (filters.get("q") or "").strip()
    if q:
        by_name = and_(*(Returnee.search_name.contains(w, autoescape=True) for w in fold(q).split()))
        digits = q.replace(" ", "")
        if search_ids and digits.isdigit():  # never for masked roles: a search would reveal the number
            by_name = or_(by_name, Returnee.national_id.contains(digits, autoescape=True))
        query = query.where(by_name)
    for name in ("status", "group", "release_kind", "hamlet"):
        if filters.get(name):
            query = query.where(getattr(Returnee, name) == filters[name])
    if filters.get("age") in ("minor", "child"):
        cutoff = queries.years_before(today, 18 if filters["age"] == "minor" else 16)
        query = query.where(Returnee.date_of_birth > cutoff)
    if filters.get("overdue"):
        query = query.where(queries.overdue_clause(today))
    return query


def export_row(person: Returnee, show_id: bool) -> list:
    values = []
    for column in spreadsheets.COLUMNS:
        value = getattr(person, column.field)
        if column.kind == "sex":
            value = spreadsheets.SEX_VALUES.get(value, value)
        elif column.kind == "release_kind":
            value = spreadsheets.RELEASE_KIND_VALUES.get(value, value)
        elif column.kind == "national_id" and not show_id:
            value = mask_national_id(value)
        values.append(value)
    return [*values, str(STATUS_LABELS.get(person.status, person.status)), person.group]


@bp.route("/returnees/export.xlsx")
@requires(Permission.DOSSIER_READ)
def export_returnees():
    show_id = can(g.role, Permission.DOSSIER_READ_NATIONAL_ID)
    today = facts.today()
    filters = FilterForm(formdata=request.args).values()
    people = db.session.scalars(export_query(filters, today, search_ids=show_id)).all()
    data = spreadsheets.export_workbook([export_row(p, show_id) for p in people])
    name = f"danh-sach_{g.tenant.slug}_{today.isoformat()}.xlsx"
    audit.record("returnee.export", object_type="returnees", reason=f"rows={len(people)} format=xlsx")
    db.session.commit()  # the export leaves with the response: its audit row must be saved first
    return _xlsx(data, name)
