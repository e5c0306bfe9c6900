"""Reports and roll-ups through the API (DESIGN.md §11).

A unit's reports: list, read one with its figures, and ask for its files to be built (a job). The
city's roll-up of a period: counts per unit and totals, read from what the units published, so no
person's row can reach it. Another unit's report is not found (scoping); a city role has no unit
role, so the guard answers 404 on unit URLs, and a unit role has no city role, so 403 on city URLs.
"""

import re

from flask import abort, g, jsonify, request, url_for
from flask_babel import get_locale, gettext
from sqlalchemy import func, select

from blueprints.api import bp
from blueprints.api.serializers import iso
from blueprints.api.validation import Invalid, collect, json_body, paging
from blueprints.reports import figures, rollup, services
from blueprints.reports.models import LIVE, REPORTED, Report
from blueprints.reports.periods import Period, parse
from portal import audit
from portal.extensions import db
from portal.permissions import Permission, can, requires
from workers.runner import request_job

MAX_ID = 2**31 - 1
SOURCES = (REPORTED, LIVE)
REGULAR_PERIOD = re.compile(r"^2[0-9]{3}(-(0[1-9]|1[0-2]|Q[1-4]|H[12]))?$")


def regular_period(text) -> Period:
    """A month, quarter, half-year or year, exactly as REGULAR_PERIOD (the document's pattern) says.
    Ad hoc reports repeat a span, so they have no key to find again: the API would open a new one per
    call. Years run from 2000 (as a bare year does) to 2999: periods.parse takes 0000-Q1, which is no
    date, and 9999-Q4, whose due date falls past the calendar's end."""
    if isinstance(text, str) and REGULAR_PERIOD.fullmatch(text):
        return parse(text)
    try:
        kind = parse(text).kind if isinstance(text, str) else None
    except ValueError:  # BadPeriod, or a date the calendar lacks
        kind = None
    if kind == "adhoc":
        raise Invalid({"period": gettext("Ad hoc reports are opened on the reports page.")})
    raise Invalid({"period": gettext("A period such as 2026-09, 2026-Q3, 2026-H1 or 2026.")})


def report_json(report: Report) -> dict:
    return {
        "id": report.id,
        "period": report.period,
        "kind": report.period_kind,
        "label": _period_of(report).label,
        "title": report.title,
        "starts_on": iso(report.starts_on),
        "ends_on": iso(report.ends_on),
        "status": report.status,
        "due_on": iso(report.due_on),
        "submitted_at": iso(report.submitted_at),
        "late": report.late,
        "decided_at": iso(report.decided_at),
        "return_reason": report.return_reason,
        "version": report.version,
    }


def _period_of(report: Report) -> Period:
    return Period(report.period_kind, report.period, report.starts_on, report.ends_on)


def report_detail_json(report: Report) -> dict:
    """One report with its figures: the snapshot frozen at submission, else the figures as they are
    now (a draft or a returned report), flagged so a caller never mistakes one for the other."""
    values = report.figures if report.is_frozen and report.figures is not None else figures.compute(
        _period_of(report)
    )
    return {
        **report_json(report),
        "frozen": bool(report.is_frozen and report.figures is not None),
        "snapshot_sha": report.snapshot_sha if report.is_frozen else None,
        "figures": values,
        "rates": figures.rates(values),
        "sections": dict(report.sections or {}),
    }


def load_report(report_id: int) -> Report:
    if not 0 < report_id <= MAX_ID:
        abort(404)
    report = db.session.scalar(select(Report).where(Report.id == report_id))
    return report if report is not None else abort(404)


@bp.route("/t/<tenant_slug>/reports")
@requires(Permission.REPORT_READ)
def list_reports():
    """The unit's reports, newest period first; two queries."""
    ((page, per_page),) = collect(paging)
    total = db.session.scalar(select(func.count()).select_from(Report))
    rows = db.session.scalars(
        select(Report).order_by(Report.starts_on.desc(), Report.ends_on, Report.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return jsonify(items=[report_json(r) for r in rows], total=total, page=page, per_page=per_page)


@bp.route("/t/<tenant_slug>/reports/<int:report_id>")
@requires(Permission.REPORT_READ)
def read_report(report_id):
    report = load_report(report_id)
    audit.record("report.read", report)  # the sections are free text and may name people
    return jsonify(report_detail_json(report))


# Building files only reads the report, so every unit role may ask (FILE_READ); opening a report
# that does not exist yet is preparing one, checked below (REPORT_PREPARE).
@bp.route("/t/<tenant_slug>/reports", methods=["POST"])
@requires(Permission.FILE_READ)
def build_report():
    body = json_body()
    unknown = {name: gettext("Unknown field.") for name in body if name != "period"}
    if unknown:
        raise Invalid(unknown)
    period = regular_period(body.get("period"))
    report = services.find(period)
    if report is None:
        if not can(g.role, Permission.REPORT_PREPARE):
            abort(403)
        report = services.open_report(period, g.api_user.id)
    audit.record("report.build_request", report)
    db.session.commit()
    task = request_job("reports.build", report_id=report.id, actor_id=g.api_user.id, locale=str(get_locale()))
    location = url_for("api.job", job_id=task.id)
    job = {**task.as_json(), "url": location}
    return jsonify(job=job, report=report_json(report)), 202, {"Location": location}


@bp.route("/city/rollups/<period>")
@requires(Permission.CITY_ROLLUP)
def city_rollup(period):
    """Counts per unit and totals for a period; a malformed or ad hoc period is 422 (fields.period)."""

    def read_source():
        source = request.args.get("source", REPORTED)
        if source not in SOURCES:
            raise Invalid({"source": gettext("Not a valid choice.")})
        return source

    chosen, source = collect(lambda: regular_period(period), read_source)
    today = services.local_date(services.utcnow())
    result = rollup.rollup(chosen, source, today=today, due_on=services.due_on(chosen))
    return jsonify(result.as_json())
