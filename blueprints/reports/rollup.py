"""The city's view of a period: one row of counts per unit, totals, completeness and trends.

It reads only `UnitFigures`, what each unit published (its submitted report, or its live figures
computed unit by unit): no person's row ever reaches the city.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from blueprints.reports import figures
from blueprints.reports.models import APPROVED, LIVE, REPORTED, RETURNED, SUBMITTED, UnitFigures
from blueprints.reports.periods import Period
from portal.extensions import db
from tenants.models import Tenant

MISSING = "missing"
COMPLETENESS = (APPROVED, SUBMITTED, RETURNED, MISSING)
COMPLETENESS_LABELS = {
    APPROVED: _l("approved"),
    SUBMITTED: _l("submitted, awaiting approval"),
    RETURNED: _l("returned for correction"),
    MISSING: _l("not submitted"),
}
SOURCE_LABELS = {REPORTED: _l("submitted reports"), LIVE: _l("live figures (not submitted)")}


@dataclass
class UnitRow:
    tenant: Tenant
    state: str  # approved / submitted / returned / missing (live: the report's state, if any)
    late: bool | None = None
    overdue: bool = False  # nothing submitted and the due date has passed
    due_on: date | None = None
    submitted_at: datetime | None = None
    figures: dict | None = None
    computed_at: datetime | None = None

    @property
    def rates(self) -> dict:
        return figures.rates(self.figures or {})


@dataclass
class Rollup:
    period: Period
    source: str
    rows: list[UnitRow]
    totals: dict = field(default_factory=dict)
    completeness: dict = field(default_factory=dict)
    late: int = 0
    computed_at: datetime | None = None

    @property
    def rates(self) -> dict:
        return figures.rates(self.totals)

    def as_json(self) -> dict:
        return {
            "period": self.period.key,
            "source": self.source,
            "units": [
                {
                    "tenant": row.tenant.slug,
                    "code": row.tenant.code,
                    "name": row.tenant.name,
                    "state": row.state,
                    "late": row.late,
                    "overdue": row.overdue,
                    "due_on": row.due_on.isoformat() if row.due_on else None,
                    "submitted_at": row.submitted_at.isoformat() if row.submitted_at else None,
                    "figures": row.figures,
                    "rates": row.rates if row.figures else None,
                }
                for row in self.rows
            ],
            "totals": self.totals,
            "rates": self.rates,
            "completeness": self.completeness,
            "late": self.late,
        }


def _state(published: UnitFigures | None) -> str:
    if published is None or published.status not in (APPROVED, SUBMITTED, RETURNED):
        return MISSING
    return published.status


def rollup(period: Period, source: str = REPORTED, today: date | None = None, due_on: date | None = None) -> Rollup:
    """Every active unit for `period`; two queries whatever the number of units."""
    units = db.session.scalars(select(Tenant).where(Tenant.active.is_(True)).order_by(Tenant.name)).all()
    published = db.session.scalars(
        select(UnitFigures).where(UnitFigures.period == period.key, UnitFigures.source.in_((REPORTED, source)))
    ).all()
    reported = {row.tenant_id: row for row in published if row.source == REPORTED}
    shown = {row.tenant_id: row for row in published if row.source == source}
    rows = []
    for unit in units:
        report, figures_row = reported.get(unit.id), shown.get(unit.id)
        state = _state(report)
        counted = source == LIVE or state in (APPROVED, SUBMITTED)
        row_due = report.due_on if report is not None and report.due_on else due_on
        rows.append(UnitRow(
            tenant=unit,
            state=state,
            late=report.late if report is not None and state != MISSING else None,
            overdue=state in (MISSING, RETURNED) and today is not None and row_due is not None and today > row_due,
            due_on=row_due,
            submitted_at=report.submitted_at if report is not None and state != MISSING else None,
            figures=(figures_row.figures if figures_row is not None and counted else None),
            computed_at=figures_row.computed_at if figures_row is not None else None,
        ))
    counted_rows = [row.figures for row in rows if row.figures]
    stamps = [row.computed_at for row in rows if row.computed_at and row.figures]
    return Rollup(
        period=period,
        source=source,
        rows=rows,
        totals=figures.total(counted_rows),
        completeness={state: sum(row.state == state for row in rows) for state in COMPLETENESS},
        late=sum(bool(row.late) for row in rows if row.state in (APPROVED, SUBMITTED)),
        computed_at=max(stamps) if stamps else None,
    )


def trends(periods: list[Period], source: str = REPORTED) -> list[dict]:
    """Totals and completeness of several periods, oldest first, in one query."""
    keys = [p.key for p in periods]
    published = db.session.scalars(
        select(UnitFigures).where(UnitFigures.period.in_(keys), UnitFigures.source.in_((REPORTED, source)))
    ).all()
    active = set(db.session.scalars(select(Tenant.id).where(Tenant.active.is_(True))).all())
    out = []
    for p in periods:
        reported = {r.tenant_id: r for r in published if r.period == p.key and r.source == REPORTED}
        shown = [r for r in published if r.period == p.key and r.source == source and r.tenant_id in active]
        counted = [
            r.figures for r in shown
            if r.figures and (source == LIVE or _state(reported.get(r.tenant_id)) in (APPROVED, SUBMITTED))
        ]
        totals = figures.total(counted)
        states = [_state(reported.get(t)) for t in active]
        out.append({
            "period": p,
            "totals": totals,
            "rates": figures.rates(totals),
            "completeness": {state: states.count(state) for state in COMPLETENESS},
            "late": sum(
                1 for t in active if _state(reported.get(t)) in (APPROVED, SUBMITTED) and reported[t].late
            ),
        })
    return out


def unit_history(tenant_id: int, periods: list[Period], source: str = REPORTED) -> list[dict]:
    """One unit's published counts over several periods (the city's drill-down: aggregates only)."""
    keys = [p.key for p in periods]
    published = db.session.scalars(
        select(UnitFigures).where(
            UnitFigures.tenant_id == tenant_id, UnitFigures.period.in_(keys),
            UnitFigures.source.in_((REPORTED, source)),
        )
    ).all()
    out = []
    for p in periods:
        reported = next((r for r in published if r.period == p.key and r.source == REPORTED), None)
        shown = next((r for r in published if r.period == p.key and r.source == source), None)
        state = _state(reported)
        values = shown.figures if shown is not None and (source == LIVE or state in (APPROVED, SUBMITTED)) else None
        out.append({
            "period": p, "state": state, "late": reported.late if reported is not None else None,
            "figures": values, "rates": figures.rates(values or {}),
        })
    return out
