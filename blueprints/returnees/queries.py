"""Read side of the dossiers. Each page costs a fixed number of SQL statements, whatever the rows.

Nothing here filters by unit: tenants.scoping adds the current unit to every query, and a dossier of
another unit is simply not found (404).
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from flask import abort, request, url_for
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased, joinedload, raiseload

from blueprints.returnees import deadlines
from blueprints.returnees.care import Contact
from blueprints.returnees.combined import Part
from blueprints.returnees.models import Conviction, Returnee, StatusEvent
from portal.accounts import User
from portal.extensions import db
from portal.search import fold

PER_PAGE = 50
MAX_ID = 2**31 - 1  # ids are 32-bit integers on every database: a larger one cannot exist


@dataclass
class Row:
    returnee: Returnee
    last_contact: date | None


@dataclass
class Page:
    rows: list[Row]
    number: int
    has_next: bool
    total: int | None  # rows matching the filters (None on a page past the end)

    def url(self, number: int) -> str:
        """This list with the same filters, at page `number`."""
        args = request.args.to_dict()
        args["page"] = number
        return url_for(request.endpoint, **{**(request.view_args or {}), **args})


def page_number() -> int:
    return max(request.args.get("page", 1, type=int), 1)


def years_before(day: date, years: int) -> date:
    """The same day `years` earlier; 29 February becomes the 28th (Returnee.age_on's reading)."""
    year = day.year - years
    return date(year, day.month, min(day.day, calendar.monthrange(year, day.month)[1]))


def contact_limit(today: date) -> date | None:
    """The earliest contact day that keeps a person on time today (None: no weekly rule in force)."""
    try:
        rule = deadlines.rule_for("weekly_contact", today)
    except deadlines.RuleNotFound:
        return None
    return today - timedelta(days=rule.amount)


def contact_overdue_clause(today: date):
    """SQL for deadlines.contact_overdue: under management since before the limit and not met since."""
    limit = contact_limit(today)
    if limit is None:
        return None
    recent = select(Contact.id).where(Contact.returnee_id == Returnee.id, Contact.on >= limit)
    return and_(Returnee.status == "under_management", Returnee.managed_since < limit, ~exists(recent))


def overdue_clause(today: date):
    """Past the printed deadline without presenting, or a week without contact."""
    late = or_(
        Returnee.status == "overdue",
        and_(Returnee.status == "released_not_reported", Returnee.reporting_deadline < today),
    )
    contact = contact_overdue_clause(today)
    return late if contact is None else or_(late, contact)


def list_page(filters: dict, page: int, today: date, *, search_ids: bool) -> Page:
    """One page of the unit's dossiers, sorted by name: one statement (the total rides along as a
    window count, the last contact as a correlated subquery). `search_ids`: the role may find a
    dossier by its personal ID number (never for masked roles: a search would reveal the number)."""
    last_contact = (
        select(func.max(Contact.on)).where(Contact.returnee_id == Returnee.id).correlate(Returnee).scalar_subquery()
    )
    query = select(Returnee, last_contact.label("last_contact"), func.count().over().label("total"))
    q = (filters.get("q") or "").strip()
    if q:
        # Each word typed starts a word of the name or an alias: "nguyen van a" finds "Nguyễn Văn A"
        # and not "Nguyễn Văn Bình", and "ngu" already finds both.
        by_name = and_(*(
            or_(Returnee.search_name.startswith(w, autoescape=True),
                Returnee.search_name.contains(" " + w, autoescape=True))
            for w in fold(q).split()
        ))
        digits = q.replace(" ", "")
        if search_ids and digits.isdigit():
            by_name = or_(by_name, Returnee.national_id.contains(digits, autoescape=True))
        query = query.where(by_name)
    for name in ("status", "group", "release_kind", "hamlet"):
        if filters.get(name):
            query = query.where(getattr(Returnee, name) == filters[name])
    if filters.get("age") in ("minor", "child"):
        cutoff = years_before(today, 18 if filters["age"] == "minor" else 16)
        query = query.where(Returnee.date_of_birth > cutoff)
    if filters.get("overdue"):
        query = query.where(overdue_clause(today))
    query = (
        query.options(raiseload("*"))  # a list row that reached for its convictions would be an N+1
        .order_by(Returnee.search_name, Returnee.id)
        .limit(PER_PAGE + 1)
        .offset((page - 1) * PER_PAGE)
    )
    result = db.session.execute(query).all()
    rows = [Row(r.Returnee, r.last_contact) for r in result[:PER_PAGE]]
    return Page(rows, page, len(result) > PER_PAGE, result[0].total if result else None)


def hamlets() -> list[str]:
    """The unit's hamlets and residential groups that hold at least one dossier, for the filter."""
    names = db.session.scalars(select(Returnee.hamlet).where(Returnee.hamlet.is_not(None)).distinct()).all()
    return sorted(names, key=fold)


def returnee_or_404(returnee_id: int) -> Returnee:
    """The unit's dossier with this id; another unit's (or none) is 404."""
    if not 0 < returnee_id <= MAX_ID:
        abort(404)
    returnee = db.session.scalar(select(Returnee).where(Returnee.id == returnee_id))
    return returnee if returnee is not None else abort(404)


def dossier_or_404(returnee_id: int) -> Returnee:
    """The dossier with its convictions, joined: one statement."""
    if not 0 < returnee_id <= MAX_ID:
        abort(404)
    query = select(Returnee).where(Returnee.id == returnee_id).options(joinedload(Returnee.convictions))
    returnee = db.session.scalars(query).unique().first()
    return returnee if returnee is not None else abort(404)


def conviction_or_404(returnee: Returnee, conviction_id: int) -> Conviction:
    """A conviction of this dossier; one of another dossier is 404 even in the same unit."""
    conviction = db.session.scalar(
        select(Conviction).where(Conviction.id == conviction_id, Conviction.returnee_id == returnee.id)
    )
    return conviction if conviction is not None else abort(404)


def history_part(returnee_id: int) -> Part:
    """The status events, oldest first, each with the name of who recorded it."""
    actor = aliased(User)  # another part read in the same statement may name users too
    return Part(
        StatusEvent, (StatusEvent.returnee_id == returnee_id,), (StatusEvent.on, StatusEvent.id),
        columns=(actor.full_name,), joins=((actor, actor.id == StatusEvent.actor_id),),
    )


def history(returnee: Returnee) -> list[tuple[StatusEvent, str | None]]:
    """(event, name of who recorded it), oldest first: one statement."""
    return history_part(returnee.id).rows()
