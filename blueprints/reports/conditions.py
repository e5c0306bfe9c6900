"""The conditions the report figures are made of: who was under management on a day or during a
period, who was released, presented, helped; and the date arithmetic both databases share."""

from datetime import date

from sqlalchemy import and_, distinct, false, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Integer

from blueprints.reports.periods import Period
from blueprints.returnees.care import (
    REQUIRED_MEMBER_KINDS,
    Incident,
    QuarterlyReview,
    SupportAction,
    TeamMember,
)
from blueprints.returnees.models import Returnee

EMPLOYMENT = ("job_placement", "public_works_job")
PAPERS = ("residence_registration", "civil_status", "id_card", "judicial_record")


class days_between(FunctionElement):
    """Whole days from the second date to the first (dates subtract differently per database)."""

    type = Integer()
    inherit_cache = True


@compiles(days_between, "postgresql")
def _days_pg(element, compiler, **kw):
    later, earlier = list(element.clauses)
    return f"({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)})"


@compiles(days_between)
def _days_default(element, compiler, **kw):
    later, earlier = list(element.clauses)
    return (
        f"CAST(julianday({compiler.process(later, **kw)}) - julianday({compiler.process(earlier, **kw)})"
        " AS INTEGER)"
    )


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def one_of(column, values) -> ColumnElement:
    """`column IN values`, written as OR-ed equalities: an IN list is rendered again each time its
    statement runs, these only once with a statement built once (the figures' own)."""
    return or_(*(column == value for value in values))


# --- Conditions shared by several figures ---------------------------------------------------------


def managed_at(day: date) -> ColumnElement:
    """Under management on `day`: taken in, not yet closed."""
    return and_(
        Returnee.managed_since.is_not(None),
        Returnee.managed_since <= day,
        or_(Returnee.closed_on.is_(None), Returnee.closed_on > day),
    )


def managed_during(p: Period) -> ColumnElement:
    return and_(
        Returnee.managed_since.is_not(None),
        Returnee.managed_since <= p.end,
        or_(Returnee.closed_on.is_(None), Returnee.closed_on >= p.start),
    )


def released_in(p: Period) -> ColumnElement:
    return Returnee.release_date.between(p.start, p.end)


def presented_by_end(p: Period) -> ColumnElement:
    return and_(Returnee.reported_on.is_not(None), Returnee.reported_on <= p.end)


def reviewed_quarters(p: Period) -> ColumnElement:
    quarters = [(end.year, (end.month - 1) // 3 + 1) for end in p.quarter_ends()]
    if not quarters:
        return false()
    return or_(*(and_(QuarterlyReview.year == y, QuarterlyReview.quarter == q) for y, q in quarters))


def complete_teams():
    """Teams whose active members cover the four required kinds."""
    # `>=` counts the same teams as `==` (only required kinds are counted), but PostgreSQL guesses
    # an equality on an aggregate at a handful of teams and then probes the teams one by one.
    return (
        select(TeamMember.team_id)
        .where(TeamMember.active.is_(True), one_of(TeamMember.kind, REQUIRED_MEMBER_KINDS))
        .group_by(TeamMember.team_id)
        .having(func.count(distinct(TeamMember.kind)) >= len(REQUIRED_MEMBER_KINDS))
    )


def support_done(kinds, p: Period) -> ColumnElement:
    return and_(
        one_of(SupportAction.kind, kinds),
        SupportAction.status == "done",
        SupportAction.completed_on.between(p.start, p.end),
    )


def loans_disbursed(p: Period) -> ColumnElement:
    return and_(
        SupportAction.kind == "loan",
        SupportAction.loan_status == "disbursed",
        func.coalesce(SupportAction.completed_on, SupportAction.started_on).between(p.start, p.end),
    )


def incidents_of(kind: str, p: Period) -> ColumnElement:
    return and_(Incident.kind == kind, Incident.on.between(p.start, p.end))
