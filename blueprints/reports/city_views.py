"""The city police's side of reports: choosing a period, the roll-up board (completeness and
figures of every unit, from submitted reports or live), a unit's aggregates, the city dashboard and
the report deadlines.

Everything here reads what units published (`UnitFigures`, through `rollup`) and the registry:
no person's row, and no unit's own tables, ever reach these pages. Each page issues a fixed number
of statements whatever the number of units (the rows are filtered in Python, there are 114).
"""

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from blueprints.admin.forms import KIND_LABELS as UNIT_KIND_LABELS
from blueprints.reports import figures, live, periods, rollup, services  # noqa: F401  (live registers the job)
from blueprints.reports.blueprint import city_bp
from blueprints.reports.models import LIVE, REPORTED, ReportDeadline, RollupFile
from blueprints.returnees import facts
from portal import audit, charts
from portal.extensions import db
from portal.permissions import Permission, requires
from portal.search import fold
from tenants.models import Tenant
from workers.runner import request_city_job
from workers.tasks import OPEN_STATES, CityTask

# The board's figure columns: counts, then rates (ratios of the summed counts).
KEY_FIGURES = ("under_management", "group_a", "group_b", "group_c", "group_d", "received", "employed", "loans_vnd")
KEY_RATES = ("contact_compliance", "reoffending_rate")
STATE_FILTERS = {
    "approved": _l("Approved"),
    "submitted": _l("Submitted, awaiting approval"),
    "returned": _l("Returned for correction"),
    "missing": _l("Not submitted"),
    "late": _l("Submitted late"),
    "overdue": _l("Overdue"),
}
MAX_DEADLINE_DAYS = 90
RATE_LABELS = {r.key: r.label for r in figures.RATES}


def _source() -> str:
    return LIVE if request.args.get("source") == LIVE else REPORTED


def _period_or_404(text: str) -> periods.Period:
    """The period the URL names; a bad text answers 404 with what a period looks like."""
    try:
        return periods.parse(text)
    except periods.BadPeriod as exc:
        abort(make_response(render_template("error.html", status=404, message=str(exc)), 404))


def fig_num(value) -> str:
    """A count with dot thousands separators, as on the units' paper reports."""
    return "" if value is None else f"{int(value):,}".replace(",", ".")


def fig_pct(value) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",") + " %"


@city_bp.context_processor
def _formats():
    # Blueprint-wide helpers; prefixed so they cannot shadow another page's variables.
    return {"fig_num": fig_num, "fig_pct": fig_pct}


def last_ended(kind: str) -> periods.Period:
    return periods.containing(kind, facts.today()).previous()


# --- Choosing a period ----------------------------------------------------------------------------


@city_bp.route("/rollups/")
@requires(Permission.CITY_ROLLUP)
def index():
    source, error = _source(), None
    text = (request.args.get("period") or "").strip()
    kind = request.args.get("kind") or ""
    if text:
        try:
            return redirect(url_for("rollups.board", period=periods.parse(text).key, source=_query_source(source)))
        except periods.BadPeriod as exc:
            error = str(exc)
    elif kind in ("month", "quarter", "half", "year"):
        return redirect(url_for("rollups.board", period=last_ended(kind).key, source=_query_source(source)))
    today = facts.today()
    choices = [
        (_("Quarters"), last_ended("quarter").history(4)[::-1]),
        (_("Half-years"), last_ended("half").history(2)[::-1]),
        (_("Years"), [last_ended("year")]),
        (_("Months"), last_ended("month").history(3)[::-1]),
    ]
    return render_template(
        "city/rollups.html", choices=choices, default=last_ended("quarter"), text=text, kind=kind, error=error,
        current=periods.containing("quarter", today), kinds=periods.KIND_LABELS,
    ), (422 if error else 200)


def _query_source(source: str) -> str | None:
    return LIVE if source == LIVE else None


# --- The board ------------------------------------------------------------------------------------


def _timeliness(row) -> str:
    """on_time / late / overdue / pending for one unit's row of the board."""
    if row.state in ("approved", "submitted"):
        return "late" if row.late else "on_time"
    return "overdue" if row.overdue else "pending"


TIMELINESS_LABELS = {
    "on_time": _l("on time"),
    "late": _l("late"),
    "overdue": _l("overdue"),
    "pending": _l("not yet due"),
}


def _keep(row, state: str, kind: str, words: str) -> bool:
    if state in ("approved", "submitted", "returned", "missing") and row.state != state:
        return False
    if state == "late" and not (row.late and row.state in ("approved", "submitted")):
        return False
    if state == "overdue" and not row.overdue:
        return False
    if kind and row.tenant.kind != kind:
        return False
    return not words or all(w in fold(row.tenant.name) or w in row.tenant.code for w in words.split())


def timeliness_counts(trend: dict) -> dict:
    """Reporting timeliness of one period of `rollup.trends`: counted reports split on time / late, and
    the units without a counted report (missing or returned)."""
    done = trend["completeness"]["approved"] + trend["completeness"]["submitted"]
    late = min(trend["late"], done)
    return {"on_time": done - late, "late": late,
            "missing": trend["completeness"]["missing"] + trend["completeness"]["returned"]}


def _trend_charts(trend_rows: list[dict], source: str) -> dict:
    labels = [t["period"].label for t in trend_rows]
    timely = [timeliness_counts(t) for t in trend_rows]
    return {
        "managed": charts.bar_chart(
            _("Under management at the end of the period"), labels,
            [(_("Under management"), [t["totals"].get("under_management", 0) for t in trend_rows])],
        ),
        "timeliness": charts.bar_chart(
            _("Reporting timeliness (units)"), labels,
            [(_("on time"), [x["on_time"] for x in timely]), (_("late"), [x["late"] for x in timely]),
             (_("not submitted"), [x["missing"] for x in timely])],
        ),
        "timely": timely,
    }


@city_bp.route("/rollups/<period>")
@requires(Permission.CITY_ROLLUP)
def board(period):
    p, source = _period_or_404(period), _source()
    today, due_on = facts.today(), services.due_on(p)
    result = rollup.rollup(p, source, today=today, due_on=due_on)
    state, kind = request.args.get("state", ""), request.args.get("kind", "")
    words = fold(request.args.get("q", ""))[:80]
    shown = [row for row in result.rows if _keep(row, state, kind, words)]
    filtered = bool(state or kind or words)
    shown_totals = figures.total([row.figures for row in shown if row.figures]) if filtered else None
    trend_rows = rollup.trends(p.history(4), source)
    files = db.session.scalars(
        select(RollupFile).where(RollupFile.period == p.key, RollupFile.source == source)
        .order_by(RollupFile.created_at.desc(), RollupFile.id.desc())
    ).all()
    return render_template(
        "city/rollup_board.html", period=p, source=source, result=result, rows=shown, filtered=filtered,
        shown_totals=shown_totals, shown_rates=figures.rates(shown_totals) if shown_totals else None,
        state=state, kind=kind, q=request.args.get("q", "")[:80], state_filters=STATE_FILTERS,
        unit_kinds=UNIT_KIND_LABELS, key_figures=[figures.BY_KEY[k] for k in KEY_FIGURES], key_rates=KEY_RATES,
        rate_labels=RATE_LABELS, timeliness=_timeliness, timeliness_labels=TIMELINESS_LABELS,
        completeness_labels=rollup.COMPLETENESS_LABELS, files=files, trends=trend_rows,
        trend_charts=_trend_charts(trend_rows, source), computed_at=result.computed_at,
        due_on=due_on, today=today,
        # Late among the reports that count, like the "late" filter (a returned report counts as returned).
        late_count=sum(1 for row in result.rows if row.late and row.state in ("approved", "submitted")),
        overdue_count=sum(1 for row in result.rows if row.overdue),
    )


@city_bp.route("/rollups/<period>/live", methods=["POST"])
@requires(Permission.CITY_ROLLUP)
def recompute(period):
    p = _period_or_404(period)
    # A second click while the first computation runs follows that one instead of starting another.
    task = next((t for t in db.session.scalars(
        select(CityTask).where(CityTask.kind == "rollups.live", CityTask.state.in_(OPEN_STATES))
    ).all() if t.params.get("period") == p.key), None)
    if task is None:
        audit.record("rollup.live", object_type="rollup", object_id=p.key)
        task = request_city_job("rollups.live", period=p.key, actor_id=current_user.id, locale=str(get_locale()))
    if "rollups.job" in current_app.view_functions:
        return redirect(url_for("rollups.job", task_id=task.id), code=303)
    flash(_("The live figures are being recomputed; reload the board in a moment."), "info")
    return redirect(url_for("rollups.board", period=p.key, source=LIVE), code=303)


# --- A unit's aggregates --------------------------------------------------------------------------


@city_bp.route("/rollups/<period>/units/<code>")
@requires(Permission.CITY_ROLLUP)
def unit(period, code):
    p, source = _period_or_404(period), _source()
    tenant = db.session.scalar(select(Tenant).where(Tenant.code == code[:5]))
    if tenant is None:
        abort(404)
    history = rollup.unit_history(tenant.id, p.history(4), source)
    labels = [h["period"].label for h in history]
    chart = charts.bar_chart(
        _("Under management by group"), labels,
        [(_("Group %(group)s", group=g.upper()), [(h["figures"] or {}).get(f"group_{g}", 0) for h in history])
         for g in "abcd"],
    )
    sections = [
        (figures.SECTION_LABELS[s], [f for f in figures.FIGURES if f.section == s],
         [r for r in figures.RATES if r.section == s])
        for s in figures.SECTIONS
    ]
    return render_template(
        "city/rollup_unit.html", period=p, source=source, tenant=tenant, history=history, chart=chart,
        sections=sections, unit_kinds=UNIT_KIND_LABELS, completeness_labels=rollup.COMPLETENESS_LABELS,
    )


# --- The city dashboard ---------------------------------------------------------------------------


@city_bp.route("/dashboard")
@requires(Permission.CITY_ROLLUP)
def dashboard():
    source = _source()
    quarters = last_ended("quarter").history(4)
    trend_rows = rollup.trends(quarters, source)
    labels = [t["period"].label for t in trend_rows]

    def series(key):
        return [t["totals"].get(key, 0) for t in trend_rows]

    def rate(key):
        return [t["rates"].get(key) for t in trend_rows]

    loans_million = [round(v / 1_000_000, 1) for v in series("loans_vnd")]
    timely = [timeliness_counts(t) for t in trend_rows]
    panels = [
        ("groups", charts.bar_chart(_("People under management by group"), labels,
                                    [(_("Group %(group)s", group=g), series(f"group_{g.lower()}")) for g in "ABCD"])),
        ("contacts", charts.line_chart(str(RATE_LABELS["contact_compliance"]), labels,
                                       [(_("Contact compliance"), rate("contact_compliance"))], unit="%", top=100)),
        ("employment", charts.bar_chart(_("Employment and loans"), labels,
                                        [(_("Helped into work"), series("employed")),
                                         (_("Loans disbursed"), series("loans"))])),
        ("loans_vnd", charts.bar_chart(_("Loans disbursed (million VND)"), labels,
                                       [(_("Loans disbursed (million VND)"), loans_million)])),
        ("reoffending", charts.line_chart(str(RATE_LABELS["reoffending_rate"]), labels,
                                          [(_("Reoffending rate"), rate("reoffending_rate"))], unit="%")),
        ("timeliness", charts.bar_chart(_("Reporting timeliness (units)"), labels,
                                        [(_("on time"), [x["on_time"] for x in timely]),
                                         (_("late"), [x["late"] for x in timely]),
                                         (_("not submitted"), [x["missing"] for x in timely])])),
    ]
    return render_template(
        "city/dashboard.html", source=source, trends=trend_rows, panels=dict(panels), timely=timely,
        rate_labels=RATE_LABELS,
    )


# --- Report deadlines -----------------------------------------------------------------------------


def _parse_days(raw: str) -> tuple[int | None, str | None]:
    raw = (raw or "").strip()
    if not raw.isdigit():
        return None, _("Enter a whole number of days from 0 to %(max)s.", max=MAX_DEADLINE_DAYS)
    days = int(raw)
    if days > MAX_DEADLINE_DAYS:
        return None, _("Enter a whole number of days from 0 to %(max)s.", max=MAX_DEADLINE_DAYS)
    return days, None


@city_bp.route("/report-deadlines", methods=["GET", "POST"])
@requires(Permission.REPORT_SCHEDULE)
def deadlines():
    current = services.deadlines()
    values = {kind: str(current.get(kind, 0)) for kind in periods.KINDS}
    errors: dict[str, str] = {}
    if request.method == "POST":
        parsed = {}
        for kind in periods.KINDS:
            values[kind] = (request.form.get(kind) or "")[:10]
            days, error = _parse_days(values[kind])
            if error:
                errors[kind] = error
            else:
                parsed[kind] = days
        if not errors:
            rows = {r.period_kind: r for r in db.session.scalars(select(ReportDeadline)).all()}
            for kind, days in parsed.items():
                row = rows.get(kind) or ReportDeadline(period_kind=kind, days_after_end=days)
                row.days_after_end, row.updated_by = days, current_user.id
                db.session.add(row)
            audit.record("report.deadlines", object_type="report_deadlines", user_id=current_user.id,
                         reason=", ".join(f"{k}={v}" for k, v in parsed.items()))
            db.session.commit()
            flash(_("The report deadlines were saved. They apply to reports opened from now on."), "info")
            return redirect(url_for("rollups.deadlines"), code=303)
    return render_template(
        "city/deadlines.html", values=values, errors=errors, kinds=periods.KIND_LABELS, max_days=MAX_DEADLINE_DAYS,
    ), (422 if errors else 200)
