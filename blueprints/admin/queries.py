"""Read side of the admin area. Each list costs a fixed number of queries, whatever its length.

Units and accounts are registry data (not tenant-owned), so nothing here is lifted from the
tenant scoping; the audit log is city-wide on purpose, for the administrator only.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask import request, url_for
from sqlalchemy import func, select

from blueprints.admin.forms import PER_PAGE, choice
from portal.accounts import Membership, User
from portal.audit import AuditEvent
from portal.extensions import db
from portal.search import fold, matches
from tenants.models import Tenant


@dataclass
class Page:
    rows: list
    number: int
    has_next: bool

    def url(self, number: int) -> str:
        """This list with the same filters, at page `number`."""
        args = request.args.to_dict()
        args["page"] = number
        return url_for(request.endpoint, **{**(request.view_args or {}), **args})


def page_number() -> int:
    return max(request.args.get("page", 1, type=int), 1)


def active_units() -> list[Tenant]:
    """Active units in alphabetical order of their names, diacritics ignored."""
    units = db.session.scalars(select(Tenant).where(Tenant.active.is_(True))).all()
    return sorted(units, key=lambda t: fold(t.name))


def all_units() -> list[Tenant]:
    return sorted(db.session.scalars(select(Tenant)).all(), key=lambda t: fold(t.name))


def unit_choices(units: list[Tenant], blank) -> list:
    return [choice("", blank)] + [choice(t.slug, t.name) for t in units]


def unit_rows(q=None, kind=None, status=None) -> list[tuple[Tenant, int]]:
    """The 114 units with their member counts; the name search runs in Python (diacritics)."""
    query = select(Tenant).order_by(Tenant.code)
    if kind:
        query = query.where(Tenant.kind == kind)
    if status:
        query = query.where(Tenant.active.is_(status == "active"))
    counts = dict(
        db.session.execute(
            select(Membership.tenant_id, func.count())
            .where(Membership.tenant_id.is_not(None))
            .group_by(Membership.tenant_id)
        ).all()
    )
    units = [t for t in db.session.scalars(query) if matches(q, t.name, t.slug, t.code)]
    return [(t, counts.get(t.id, 0)) for t in units]


def find_users(q=None, role=None, unit=None, status=None, page=1) -> Page:
    """Accounts by username; the text search is diacritic-insensitive, so it runs in Python over
    (id, username, full name) of the matching accounts — hundreds of rows — before one page of
    full rows is loaded with its memberships and their units (selectin + joined: two queries)."""
    query = select(User.id, User.username, User.full_name).order_by(User.username)
    if status:
        query = query.where(User.active.is_(status == "active"))
    if role or unit:
        members = select(Membership.user_id)
        if role:
            members = members.where(Membership.role == role)
        if unit:
            members = members.join(Tenant, Tenant.id == Membership.tenant_id).where(Tenant.slug == unit)
        query = query.where(User.id.in_(members))
    ids = [r.id for r in db.session.execute(query) if matches(q, r.username, r.full_name)]
    start = (page - 1) * PER_PAGE
    wanted = ids[start : start + PER_PAGE]
    users = []
    if wanted:
        users = db.session.scalars(select(User).where(User.id.in_(wanted)).order_by(User.username)).all()
    return Page(users, page, len(ids) > start + PER_PAGE)


def audit_page(unit=None, user=None, action=None, date_from=None, date_to=None, page=1) -> Page:
    """One page of audit events, newest first, each with its user and unit: one query."""
    query = (
        select(AuditEvent, User.username, Tenant.slug, Tenant.name)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .outerjoin(Tenant, Tenant.id == AuditEvent.tenant_id)
    )
    if unit:
        query = query.where(Tenant.slug == unit)
    if user:
        query = query.where(User.username == user)
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    if date_from:
        query = query.where(AuditEvent.at >= datetime.combine(date_from, time.min))
    if date_to:
        query = query.where(AuditEvent.at < datetime.combine(date_to + timedelta(days=1), time.min))
    # One row more than a page tells whether a next page exists without counting the whole log.
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    rows = db.session.execute(query.limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)).all()
    return Page(rows[:PER_PAGE], page, len(rows) > PER_PAGE)
