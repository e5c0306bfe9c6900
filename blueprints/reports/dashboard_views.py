"""The unit's dashboard: its figures over the last four quarters that ended, as charts (inline SVG,
no script) each followed by its numbers in a table.

A quarter whose report was submitted or approved shows the snapshot frozen then (what the city
received); any other quarter shows the figures as they are now, computed from the unit's rows, and
says so. One query for the reports, then about ten per live quarter, whatever the number of people.
"""

from dataclasses import dataclass
from datetime import date

from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from blueprints.reports import figures, services
from blueprints.reports.blueprint import bp
from blueprints.reports.models import STATUS_LABELS, Report
from blueprints.reports.periods import Period, containing
from blueprints.returnees import facts
from blueprints.returnees.models import GROUPS
from portal import charts
from portal.extensions import db
from portal.permissions import Permission, requires

QUARTERS = 4
MANAGEMENT = [(f"group_{g.lower()}", _l("Group %(group)s", group=g)) for g in GROUPS]
SUPPORT = [("employed", _l("Helped into work")), ("trained", _l("Vocational training completed")),
           ("loans", _l("Loans disbursed"))]


@dataclass
class Quarter:
    period: Period
    report: Report | None
    values: dict
    frozen: bool

    def get(self, key: str):
        return self.values.get(key)

    @property
    def rates(self) -> dict:
        return figures.rates(self.values)


@dataclass
class Chart:
    key: str
    title: str
    svg: object
    rows: list[tuple[str, list, str]]  # (label, one value per quarter, format: int / pct / vnd / text)


def last_quarters(today: date) -> list[Period]:
    """The four quarters that ended last, oldest first."""
    return containing("quarter", today).previous().history(QUARTERS)


def load(periods: list[Period]) -> list[Quarter]:
    reports = {r.period: r for r in db.session.scalars(
        select(Report).where(Report.period_kind == "quarter", Report.period.in_([p.key for p in periods]))
    ).all()}
    out = []
    for period in periods:
        report = reports.get(period.key)
        if report is not None and report.is_frozen and report.figures is not None:
            out.append(Quarter(period, report, dict(report.figures), True))
        else:
            out.append(Quarter(period, report, figures.compute(period), False))
    return out


def _label(key: str) -> str:
    return str(figures.BY_KEY[key].label)


def _rate_label(key: str) -> str:
    return str(next(r.label for r in figures.RATES if r.key == key))


def _submitted_on(q: Quarter) -> date | None:
    if q.report is None or q.report.submitted_at is None or not q.frozen:
        return None
    return services.local_date(q.report.submitted_at)


def _timeliness(q: Quarter, today: date, due: date) -> str:
    if q.report is not None and q.frozen:
        return _("late") if q.report.late else _("on time")
    return _("overdue, not submitted") if today > due else _("not yet due")


def build_charts(quarters: list[Quarter], today: date) -> list[Chart]:
    labels = [q.period.label for q in quarters]
    counts = lambda key: [q.get(key) for q in quarters]  # noqa: E731
    rates = lambda key: [q.rates.get(key) for q in quarters]  # noqa: E731
    days = services.deadlines()
    due = [q.report.due_on if q.report is not None else services.due_on(q.period, days) for q in quarters]
    submitted = [_submitted_on(q) for q in quarters]

    management = [(str(label), counts(key)) for key, label in MANAGEMENT]
    support = [(str(label), counts(key)) for key, label in SUPPORT]
    contact_rates = [(_rate_label("contact_compliance"), rates("contact_compliance")),
                     (_rate_label("review_compliance"), rates("review_compliance"))]
    reoffending = [(_rate_label("reoffending_rate"), rates("reoffending_rate"))]
    allowed = [(d - q.period.end).days for d, q in zip(due, quarters, strict=True)]
    taken = [(s - q.period.end).days if s else None for s, q in zip(submitted, quarters, strict=True)]
    timeliness = [(_("Days allowed after the quarter"), allowed), (_("Days taken to submit"), taken)]

    title = _("Under management by group")
    contacts = _("Contact compliance")
    jobs = _("Employment and loans")
    reoffend = _("Reoffending rate")
    timely = _("Reporting timeliness")
    return [
        Chart("management", title, charts.bar_chart(title, labels, management), [
            *((name, values, "int") for name, values in management),
            (_label("under_management"), counts("under_management"), "int"),
        ]),
        Chart("contacts", contacts, charts.line_chart(contacts, labels, contact_rates, unit="%", top=100), [
            *((name, values, "pct") for name, values in contact_rates),
            *((_label(k), counts(k), "int") for k in ("contacts_on_schedule", "contacts_expected", "contacts_held",
                                                       "reviews_done", "reviews_due")),
        ]),
        Chart("support", jobs, charts.bar_chart(jobs, labels, support), [
            *((name, values, "int") for name, values in support),
            (_label("loans_vnd"), counts("loans_vnd"), "vnd"),
        ]),
        Chart("reoffending", reoffend, charts.line_chart(reoffend, labels, reoffending, unit="%"), [
            *((name, values, "pct") for name, values in reoffending),
            *((_label(k), counts(k), "int") for k in ("reoffenders", "managed_during", "new_crimes")),
        ]),
        Chart("timeliness", timely, charts.bar_chart(timely, labels, timeliness), [
            *((name, values, "int") for name, values in timeliness),
            (_("Due date"), due, "date"),
            (_("Submitted on"), submitted, "date"),
            (_("Report"), [str(STATUS_LABELS[q.report.status]) if q.report else _("not opened") for q in quarters],
             "text"),
            (_("Timeliness"), [_timeliness(q, today, d) for q, d in zip(quarters, due, strict=True)], "text"),
        ]),
    ]


@bp.route("/dashboard")
@requires(Permission.REPORT_READ)
def dashboard():
    today = facts.today()
    quarters = load(last_quarters(today))
    return render_template("reports/dashboard.html", quarters=quarters, charts=build_charts(quarters, today))
