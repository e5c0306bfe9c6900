"""Read side of the help around a person, and the unit-level lists its home shows.

Every function issues a fixed number of statements, whatever the number of rows, and never relies on
lazy loading: the ORM relationships of SupportTeam are left alone and members are grouped here. Each
list of one person is a `combined.Part`: read alone by the pages that show one list, read together
(one statement) by the care overview and the dossier page. Nothing filters by unit:
the scoping of tenants.scoping does, in joins and subqueries too.
"""

from datetime import date, timedelta

from flask import g
from sqlalchemy import func, or_, select

from blueprints.returnees.care import (
    Assignment,
    Contact,
    Incident,
    QuarterlyReview,
    SupportAction,
    SupportTeam,
    TeamMember,
    TeamReturnee,
)
from blueprints.returnees.care_labels import LABELS
from blueprints.returnees.care_rows import OverdueContact, ReviewDue, SupportRow, TeamView, age_flag, split_note
from blueprints.returnees.combined import Part, entities, together
from blueprints.returnees.community import Employer
from blueprints.returnees.deadlines import (
    RuleNotFound,
    contact_overdue,
    due_date,
    previous_quarter,
    quarter_of,
    quarterly_report_due,
    rule_for,
)
from blueprints.returnees.facts import today  # noqa: F401  (one clock for the feature)
from blueprints.returnees.models import Returnee
from portal.extensions import db
from portal.permissions import Permission, can

LAST_CONTACTS = 10
WEEKLY_STATUSES = ("under_management",)  # someone detained is not met weekly
REVIEWED_STATUSES = ("under_management", "in_custody")  # group D is classified too


def _review_period(on: date) -> tuple[int, int, date, date]:
    """(year, quarter reviewed, its last day, the report's due date) for reports due in on's quarter."""
    year, quarter = previous_quarter(on.year, quarter_of(on))
    first_day_now = date(on.year, 3 * quarter_of(on) - 2, 1)
    return year, quarter, first_day_now - timedelta(days=1), quarterly_report_due(on.year, quarter_of(on))


def review_due(returnee: Returnee, reviews, on: date) -> ReviewDue | None:
    """None when no rule is in force; else whether the review of the previous quarter is missing."""
    try:
        year, quarter, last_day, due_on = _review_period(on)
    except RuleNotFound:
        return None
    managed = returnee.status in REVIEWED_STATUSES and returnee.managed_since is not None
    needed = managed and returnee.managed_since <= last_day
    needed = needed and not any(r.year == year and r.quarter == quarter for r in reviews)
    return ReviewDue(returnee.id, year, quarter, due_on, needed, needed and on > due_on)


def team_parts(returnee_id: int, on: date) -> dict[str, Part]:
    """The links to the teams helping the person on `on` (each with its team), and those teams'
    active members."""
    current = (TeamReturnee.returnee_id == returnee_id, or_(TeamReturnee.until.is_(None), TeamReturnee.until >= on))
    helping = select(TeamReturnee.team_id).where(*current).correlate(None)  # see combined.Part
    return {
        "teams": Part(TeamReturnee, current, (SupportTeam.name, SupportTeam.id), columns=(SupportTeam,),
                      joins=((SupportTeam, SupportTeam.id == TeamReturnee.team_id),)),
        "members": Part(TeamMember, (TeamMember.active.is_(True), TeamMember.team_id.in_(helping)),
                        (TeamMember.is_leader.desc(), TeamMember.id)),
    }


def team_views(teams: list[tuple], members: list[tuple]) -> list[TeamView]:
    """TeamViews from the rows of team_parts: each team once, its active members leader first."""
    views: dict[int, TeamView] = {}
    for link, team in teams:
        views.setdefault(team.id, TeamView(team, link.since))
    for (member,) in members:
        if member.team_id in views:
            views[member.team_id].members.append(member)
    return list(views.values())


def teams_helping(returnee_id: int, on: date) -> list[TeamView]:
    """The teams helping the person on `on`, each with its active members: one statement."""
    return team_views(**together(team_parts(returnee_id, on)))


def support_part(returnee_id: int) -> Part:
    return Part(
        SupportAction, (SupportAction.returnee_id == returnee_id,),
        (SupportAction.started_on.desc().nulls_first(), SupportAction.id.desc()),
        columns=(Employer.name,), joins=((Employer, Employer.id == SupportAction.employer_id),),
    )


def support_views(rows: list[tuple]) -> list[SupportRow]:
    return [SupportRow(action, name, *split_note(action.note)) for action, name in rows]


def support_rows(returnee_id: int) -> list[SupportRow]:
    return support_views(support_part(returnee_id).rows())


def contacts_part(returnee_id: int, limit=LAST_CONTACTS, offset=0) -> Part:
    order = (Contact.on.desc(), Contact.id.desc())
    return Part(Contact, (Contact.returnee_id == returnee_id,), order, limit=limit, offset=offset)


def reviews_part(returnee_id: int) -> Part:
    order = (QuarterlyReview.year.desc(), QuarterlyReview.quarter.desc())
    return Part(QuarterlyReview, (QuarterlyReview.returnee_id == returnee_id,), order)


def incidents_part(returnee_id: int) -> Part:
    return Part(Incident, (Incident.returnee_id == returnee_id,), (Incident.on.desc(), Incident.id.desc()))


def assignments_part(returnee_id: int) -> Part:
    order = (Assignment.active.desc(), Assignment.created_at.desc(), Assignment.id.desc())
    return Part(Assignment, (Assignment.returnee_id == returnee_id,), order)


def contacts(returnee_id: int, limit=LAST_CONTACTS, offset=0):
    return entities(contacts_part(returnee_id, limit, offset).rows())


def reviews(returnee_id: int):
    return entities(reviews_part(returnee_id).rows())


def incidents(returnee_id: int):
    return entities(incidents_part(returnee_id).rows())


def assignments(returnee_id: int):
    return entities(assignments_part(returnee_id).rows())


def assignment_due(returnee: Returnee) -> date | None:
    """When the HCD-06 proposal is expected (dự kiến), counted from the work session; None when the
    person has not presented or the dossier is closed. Callers show it only while nobody is assigned."""
    if returnee.reported_on is None or returnee.is_closed:
        return None
    try:
        return due_date("assignment_proposal", returnee.reported_on)
    except RuleNotFound:
        return None


def contact_state(returnee: Returnee, last_contact: date | None, on: date) -> dict:
    """Whether the weekly contact is overdue, by when the next one is expected (dự kiến), and the
    rule's number of days (the pages name it rather than repeat a 7 that a new version may change)."""
    none = {"contact_overdue": False, "contact_due_on": None, "contact_days": None}
    since = returnee.managed_since
    if returnee.status not in WEEKLY_STATUSES or since is None:
        return none
    start = since if last_contact is None else max(last_contact, since)
    try:
        return {
            "contact_overdue": contact_overdue(last_contact, on, since),
            "contact_due_on": due_date("weekly_contact", start),
            "contact_days": rule_for("weekly_contact", on).amount,
        }
    except RuleNotFound:
        return none


def care_parts(returnee_id: int, on: date) -> dict[str, Part]:
    """The lists _care.html shows, for `combined.together` (alone, or with a page's other lists)."""
    return {
        "assignments": assignments_part(returnee_id),
        "contacts": contacts_part(returnee_id),
        "reviews": reviews_part(returnee_id),
        **team_parts(returnee_id, on),
        "support": support_part(returnee_id),
        "incidents": incidents_part(returnee_id),
    }


def care_context(returnee: Returnee, on: date | None = None, rows: dict | None = None) -> dict:
    """Everything _care.html shows about one person: one statement, whatever the number of rows.
    `rows`: what a page already read of care_parts(returnee.id, on) along with its own lists."""
    on = on or today()
    if rows is None:
        rows = together(care_parts(returnee.id, on))
    all_assignments = entities(rows["assignments"])
    active = next((a for a in all_assignments if a.active), None)
    recent = entities(rows["contacts"])
    all_reviews = entities(rows["reviews"])
    last_contact = recent[0].on if recent else None
    return {
        "care_today": on,
        "care_age_flag": age_flag(returnee.date_of_birth, on),
        "assignment": active,
        "assignment_history": [a for a in all_assignments if not a.active],
        "assignment_due_on": None if active else assignment_due(returnee),
        "teams": team_views(rows["teams"], rows["members"]),
        "contacts": recent,
        "last_contact_on": last_contact,
        **contact_state(returnee, last_contact, on),
        "reviews": all_reviews,
        "review_due": review_due(returnee, all_reviews, on),
        "support_actions": support_views(rows["support"]),
        "incidents": entities(rows["incidents"]),
        "care_labels": LABELS,
        "can_write_care": can(g.get("role"), Permission.DOSSIER_WRITE) and not returnee.is_closed,
    }


def overdue_contacts(today: date) -> list[OverdueContact]:
    """People under management with no contact for more than the weekly rule allows: one statement,
    longest without contact first. Empty while no version of the rule is in force."""
    last = (
        select(Contact.returnee_id, func.max(Contact.on).label("last_on")).group_by(Contact.returnee_id).subquery()
    )
    rows = db.session.execute(
        select(Returnee.id, Returnee.full_name, Returnee.hamlet, Returnee.date_of_birth, Returnee.managed_since,
               last.c.last_on)
        .outerjoin(last, last.c.returnee_id == Returnee.id)
        .where(Returnee.status.in_(WEEKLY_STATUSES), Returnee.managed_since.is_not(None))
    ).all()
    found = []
    for rid, name, hamlet, born, since, last_on in rows:
        try:
            late = contact_overdue(last_on, today, since)
        except RuleNotFound:
            return []
        if late:
            start = since if last_on is None else max(last_on, since)
            days = (today - start).days
            found.append(OverdueContact(rid, name, hamlet, last_on, start, days, age_flag(born, today)))
    return sorted(found, key=lambda row: (-row.days_without, row.full_name))


def reviews_due(today: date) -> list[ReviewDue]:
    """People whose HCD-08 review of the previous quarter is missing (due by the 5th of this quarter's
    first month; `overdue` once that day has passed): one statement."""
    try:
        year, quarter, last_day, due_on = _review_period(today)
    except RuleNotFound:
        return []
    done = select(QuarterlyReview.returnee_id).where(QuarterlyReview.year == year, QuarterlyReview.quarter == quarter)
    rows = db.session.execute(
        select(Returnee.id, Returnee.full_name, Returnee.hamlet, Returnee.group, Returnee.date_of_birth)
        .where(Returnee.status.in_(REVIEWED_STATUSES), Returnee.managed_since <= last_day, Returnee.id.not_in(done))
        .order_by(Returnee.search_name, Returnee.id)
    ).all()
    return [
        ReviewDue(rid, year, quarter, due_on, True, today > due_on, name, hamlet, group, age_flag(born, today))
        for rid, name, hamlet, group, born in rows
    ]
