"""The one statement that computes every figure of the current unit for a period (DESIGN.md §8).

Each table's figures are FILTERed aggregates over the unit's rows; the tables' one-row aggregates
are joined side by side, so the database computes everything in one round trip. The statement is
built once per period and reused for every unit: the unit's filter is added to every table as it
runs (ORM scoping, and row-level security on PostgreSQL), never written here.
"""

from functools import lru_cache

from sqlalchemy import and_, bindparam, case, distinct, func, literal, or_, select, true
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.visitors import replacement_traverse

from blueprints.reports.conditions import days_between, managed_at, managed_during
from blueprints.reports.figures import BY_KEY, FIGURES, Figure
from blueprints.reports.periods import Period
from blueprints.returnees.care import Contact
from blueprints.returnees.models import Returnee


def _measure(figure: Figure, period: Period):
    condition = figure.where(period)
    if figure.measure == "rows":
        return func.count().filter(condition)
    if figure.measure == "persons":
        return func.count(distinct(figure.model.returnee_id)).filter(condition)
    how, column = figure.measure.split(":")
    column = getattr(figure.model, column)
    if how == "distinct":
        return func.count(distinct(column)).filter(condition)
    return func.coalesce(func.sum(column).filter(condition), 0)


def _population(model, campaign_id: int | None) -> list[ColumnElement]:
    """A campaign's report counts the campaign's people only; unit-level rows are not narrowed."""
    if campaign_id is None:
        return []
    if model is Returnee:
        return [Returnee.campaign_id == campaign_id]
    if hasattr(model, "returnee_id"):
        return [model.returnee_id.in_(select(Returnee.id).where(Returnee.campaign_id == campaign_id))]
    return []


def _people(period: Period, campaign_id: int | None, figures: list[Figure]):
    """One pass over the unit's people, each joined to the number of contacts held with them in the
    period: the figures about people, the weekly schedule (contacts expected of each person managed
    in the period, and those held, at most the expected number per person, so one well-visited
    person cannot hide another), the contacts held (a contact always belongs to a person of the
    unit, so their sum is every contact held) and the reviews due (person-quarters)."""
    held = (
        select(Contact.returnee_id, func.count().label("held"))
        .where(BY_KEY["contacts_held"].where(period))
        .group_by(Contact.returnee_id)
        .subquery("held")
    )
    first = case((Returnee.managed_since > period.start, Returnee.managed_since), else_=period.start)
    last = case(
        (and_(Returnee.closed_on.is_not(None), Returnee.closed_on < period.end), Returnee.closed_on),
        else_=period.end,
    )
    expected = (days_between(last, first) + 7) // 7  # whole weeks begun: day 1 to 7 → 1
    count_held = func.coalesce(held.c.held, 0)
    during = managed_during(period)
    due = [func.count().filter(managed_at(end)) for end in period.quarter_ends()]
    measures = [
        *(_measure(f, period).label(f.key) for f in figures),
        func.coalesce(func.sum(held.c.held), 0).label("contacts_held"),
        func.coalesce(func.sum(expected).filter(during), 0).label("contacts_expected"),
        func.coalesce(
            func.sum(case((count_held < expected, count_held), else_=expected)).filter(during), 0
        ).label("contacts_on_schedule"),
        (sum(due[1:], due[0]) if due else literal(0)).label("reviews_due"),
    ]
    return (
        select(*measures)
        .select_from(Returnee)
        .outerjoin(held, held.c.returnee_id == Returnee.id)
        .where(*_population(Returnee, campaign_id))
        .subquery("people")
    )


def _table(model, period: Period, campaign_id: int | None, figures: list[Figure]):
    """Every figure of one table as a FILTERed aggregate, over the rows any of them counts."""
    return (
        select(*(_measure(f, period).label(f.key) for f in figures))
        .select_from(model)
        .where(or_(*(f.where(period) for f in figures)), *_population(model, campaign_id))
        .subquery(model.__tablename__)
    )


# Computed in the pass over people rather than from their own table (see `_people`).
_WITH_PEOPLE = (Returnee, Contact, None)


@lru_cache(maxsize=128)
def statement(period: Period, campaign_id: int | None):
    """Every figure, labelled by its key, for `period` (of one campaign's people): built once, so
    the city's live roll-up builds it once for all its units."""
    by_model: dict[type, list[Figure]] = {}
    for figure in FIGURES:
        if figure.model not in _WITH_PEOPLE:
            by_model.setdefault(figure.model, []).append(figure)
    parts = [
        _people(period, campaign_id, [f for f in FIGURES if f.model is Returnee]),
        *(_table(model, period, campaign_id, figures) for model, figures in by_model.items()),
    ]
    joined = select(*(column for part in parts for column in part.c)).select_from(parts[0])
    for part in parts[1:]:
        joined = joined.join(part, true())  # one row each: side by side
    return _one_parameter_per_value(joined)


def _one_parameter_per_value(statement):
    """The same statement with one bound parameter per distinct value. The period's dates and a few
    codes recur in dozens of conditions, and every execution binds and sends each parameter."""
    shared: dict[tuple, BindParameter] = {}

    def share(element, **_):
        if not isinstance(element, BindParameter) or element.expanding or element.callable is not None:
            return None
        key = (type(element.type), element.value)
        if key not in shared:
            shared[key] = bindparam(f"shared_{len(shared)}", element.value, type_=element.type)
        return shared[key]

    return replacement_traverse(statement, {}, share)
