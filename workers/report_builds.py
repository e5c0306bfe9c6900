"""Building a report's files (XLSX, PDF) and the city roll-up's, as jobs; and their download links.

Idempotent and crash-safe: a file is identified by (report or period+source, snapshot SHA, format).
A build that finds the row stops; otherwise it writes the bytes under a content-addressed key
(atomic and verified by the storage), then inserts the row. A killed build leaves at most bytes
no row points to, never a row without bytes; a duplicate build that loses the insert race
removes its own object unless it is the very object the winner recorded.
"""

from babel.numbers import format_decimal
from flask import current_app
from flask_babel import get_locale, gettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from blueprints.reports import figures, rollup, services
from blueprints.reports.models import FORMATS, LIVE, REPORTED, SECTION_LABELS, SECTIONS, Report, ReportFile, RollupFile
from blueprints.reports.periods import BadPeriod, Period, parse
from blueprints.reports.xlsx import report_workbook, rollup_workbook
from portal.accounts import User
from portal.charts import bar_chart
from portal.extensions import db
from portal.i18n import format_vnd
from tenants.context import current_tenant, current_tenant_id
from workers import storage as files
from workers.documents import ROMAN, place_of, render_pdf, store_output
from workers.runner import JobFailed, job, report_progress

CONTENT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}
# The roll-up PDF shows these (the workbook has them all); a landscape page holds about a dozen.
ROLLUP_COLUMNS = ("received", "under_management", "group_a", "group_b", "group_c", "group_d", "minors",
                  "employed", "trained", "new_crimes", "closed")
SUPPORT_KEYS = ("employed", "trained", "loans", "papers_done", "social_assistance", "expungement_applications")


# ---- the jobs ----


@job("reports.build", queue="reports")
def build_report(task, report_id: int) -> dict:
    report = db.session.scalar(select(Report).where(Report.id == report_id))
    if report is None:
        raise JobFailed(gettext("The report is no longer there."))
    unit, period = current_tenant(), services.period_of(report)
    # A submitted or approved report prints what it froze; a draft prints the figures as they are now.
    values = dict(report.figures) if report.is_frozen and report.figures is not None else services.snapshot(period)
    sha = services.snapshot_sha(values)
    ids = []
    for step, fmt in enumerate(FORMATS):
        lookup = {"report_id": report.id, "snapshot_sha": sha, "format": fmt}
        found = db.session.scalar(select(ReportFile).filter_by(**lookup))
        if found is not None:
            ids.append(found.id)
            continue
        report_progress(task, 10 + 45 * step, gettext("Building the %(format)s file", format=fmt.upper()))
        if fmt == "xlsx":
            data = report_workbook(unit=unit, report=report, period=period, values=values)
        else:
            data = report_pdf(unit, report, period, values)
        digest = files.sha256_of(data)
        key = files.tenant_key(unit.code, "reports", str(report.id), f"{sha}-{digest[:16]}.{fmt}")
        row = ReportFile(**lookup, storage_key=key, size=len(data), sha256=digest)
        ids.append(store_output(ReportFile, row, lookup, data, "report.file", task.actor_id))
    return {"files": ids}


@job("rollups.build", queue="reports")
def build_rollup(task, period: str, source: str) -> dict:
    if source not in (REPORTED, LIVE):
        raise JobFailed(gettext("Unknown source of figures."))
    try:
        p = parse(period)
    except BadPeriod as exc:
        raise JobFailed(str(exc)) from exc
    data = rollup.rollup(p, source, today=services.local_date(services.utcnow()))
    sha = services.snapshot_sha(data.as_json())
    ids = []
    for step, fmt in enumerate(FORMATS):
        lookup = {"period": p.key, "source": source, "snapshot_sha": sha, "format": fmt}
        found = db.session.scalar(select(RollupFile).filter_by(**lookup))
        if found is not None:
            ids.append(found.id)
            continue
        report_progress(task, 10 + 45 * step, gettext("Building the %(format)s file", format=fmt.upper()))
        payload = rollup_workbook(data) if fmt == "xlsx" else rollup_pdf(data)
        digest = files.sha256_of(payload)
        key = f"city/rollups/{p.key}/{source}/{sha}-{digest[:16]}.{fmt}"
        row = RollupFile(**lookup, storage_key=key, size=len(payload), sha256=digest)
        ids.append(store_output(RollupFile, row, lookup, payload, "rollup.file", task.actor_id))
    return {"files": ids}


# ---- documents ----


def count_text(value) -> str:
    return "" if value is None else format_decimal(value, format="#,##0", locale="vi")


def rate_text(value) -> str:
    return "–" if value is None else f"{format_decimal(value, format='0.0', locale=get_locale())}%"


def _value_text(key: str, values: dict) -> str:
    return format_vnd(values.get(key, 0)) if figures.BY_KEY[key].money else count_text(values.get(key, 0))


def report_pdf(unit, report: Report, period: Period, values: dict) -> bytes:
    rates = figures.rates(values)
    sections = []
    for key in figures.SECTIONS:
        rows = [{"label": f.label, "text": _value_text(f.key, values), "rate": False}
                for f in figures.FIGURES if f.section == key]
        rows += [{"label": r.label, "text": rate_text(rates[r.key]), "rate": True}
                 for r in figures.RATES if r.section == key]
        sections.append({"key": key, "label": figures.SECTION_LABELS[key], "rows": rows})
    on = services.local_date(report.submitted_at or services.utcnow())
    signer = db.session.get(User, report.decided_by) if report.decided_by and report.status == "approved" else None
    groups = ["A", "B", "C", "D"]
    support_labels = [gettext("Work"), gettext("Training"), gettext("Loans"), gettext("Papers"),
                      gettext("Assistance"), gettext("Expungement")]
    return render_pdf(
        "report.html", on,
        unit=unit, report=report, period=period, sections=sections, roman=ROMAN,
        text_sections=[(key, SECTION_LABELS[key]) for key in SECTIONS],
        header={"unit": gettext("Police of %(unit)s", unit=unit.name).upper(), "number": "BC-CA",
                "place": place_of(unit), "on": on},
        closing={
            "recipients": [gettext("Hai Phong City Police (for report);"),
                           gettext("Party Committee and People's Committee of %(place)s (for report);",
                                   place=place_of(unit)),
                           gettext("Filed: records.")],
            "role": gettext("HEAD OF POLICE"),
            "signer": signer.full_name if signer else None,
        },
        charts={
            "groups": bar_chart(gettext("People under management by group"), groups,
                                [(gettext("people"), [values.get(f"group_{g.lower()}", 0) for g in groups])]),
            "support": bar_chart(gettext("Support given in the period"), support_labels,
                                 [(gettext("cases"), [values.get(k, 0) for k in SUPPORT_KEYS])]),
        },
    )


def rollup_pdf(data) -> bytes:
    columns = [{"key": k, "label": figures.BY_KEY[k].label} for k in ROLLUP_COLUMNS]
    columns.append({"key": "contact_compliance", "label": figures.RATES[0].label})
    rows = []
    for row in data.rows:
        cells = [count_text(row.figures.get(c["key"], 0)) if row.figures else "" for c in columns[:-1]]
        cells.append(rate_text(row.rates["contact_compliance"]) if row.figures else "")
        rows.append({"name": row.tenant.name, "state": row.state, "late": row.late,
                     "state_label": rollup.COMPLETENESS_LABELS[row.state], "cells": cells})
    totals = [count_text(data.totals.get(c["key"], 0)) for c in columns[:-1]]
    totals.append(rate_text(data.rates["contact_compliance"]))
    completeness = [(s, rollup.COMPLETENESS_LABELS[s], data.completeness.get(s, 0)) for s in rollup.COMPLETENESS]
    groups = ["A", "B", "C", "D"]
    today = services.local_date(services.utcnow())
    return render_pdf(
        "rollup.html", today,
        data=data, period=data.period, source_label=rollup.SOURCE_LABELS.get(data.source, data.source),
        columns=columns, rows=rows, totals=totals, completeness=completeness,
        header={"unit": None, "number": "BC-CAHP", "place": gettext("Hai Phong"), "on": today},
        closing={"recipients": [gettext("Ministry of Public Security (for report);"),
                                gettext("City Party Committee and People's Committee (for report);"),
                                gettext("Filed: records.")],
                 "role": gettext("DIRECTOR"), "signer": None},
        charts={
            "completeness": bar_chart(gettext("Reports by state"), [str(label) for _, label, _ in completeness],
                                      [(gettext("units"), [n for _, _, n in completeness])]),
            "groups": bar_chart(gettext("People under management by group"), groups,
                                [(gettext("people"), [data.totals.get(f"group_{g.lower()}", 0) for g in groups])]),
        },
    )


# ---- short-lived download links ----


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="report-file-download")


def download_token(kind: str, file_id: int, user_id: int) -> str:
    """A link for one user to one file; `kind` is "report" (bound to the unit) or "rollup" (the city)."""
    return _signer().dumps({"k": kind, "f": file_id, "t": current_tenant_id(), "u": user_id})


def read_download_token(token: str, kind: str, user_id: int) -> int | None:
    """The file id the token grants to this user here, or None if forged, expired or someone else's."""
    try:
        data = _signer().loads(token, max_age=current_app.config["DOWNLOAD_LINK_SECONDS"])
    except (BadSignature, SignatureExpired):
        return None
    if data.get("k") != kind or data.get("u") != user_id or data.get("t") != current_tenant_id():
        return None
    return data.get("f")


def download_name(prefix: str, period_key: str, fmt: str) -> str:
    return f"{prefix}-{period_key}.{fmt}"

