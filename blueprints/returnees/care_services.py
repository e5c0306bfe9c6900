"""Changes to the help around a person. Each one checks the rule it owns, flushes and writes its
audit event; the view commits once, so a change and its audit row land together or not at all.

Every write on a person first calls `ensure_open`: a closed dossier is read-only. Views load the
person (and a team) FOR UPDATE before calling in here, so two officers recording the same quarter's
review, or two leaders, at the same moment are serialised by PostgreSQL. Audit rows carry codes
(groups, statuses, kinds), never names or notes.
"""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from blueprints.returnees.care import (
    Assignment,
    Contact,
    Incident,
    QuarterlyReview,
    SupportTeam,
    TeamMember,
    TeamReturnee,
)
from blueprints.returnees.lifecycle import TransitionError, allowed, transition
from blueprints.returnees.models import Returnee
from portal import audit
from portal.extensions import db
from portal.i18n import format_day


class CareError(Exception):
    """A refused change; `field` names the form field the message belongs next to, if any.
    `status` is 409 when the state of the record (not the input) refuses it."""

    def __init__(self, message: str, field: str | None = None, status: int = 422):
        super().__init__(message)
        self.field = field
        self.status = status


def ensure_open(returnee: Returnee) -> None:
    if returnee.is_closed:
        raise CareError(_("This dossier is closed: it is read-only."), status=409)


def flushed(obj, action: str, **fields):
    db.session.add(obj)
    db.session.flush()
    audit.record(action, obj, **fields)
    return obj


# --- Assignment (HCD-06 → HCD-07) ------------------------------------------------------------------


def end_active_assignment(returnee: Returnee, ends_on: date) -> list[Assignment]:
    previous = db.session.scalars(
        select(Assignment).where(Assignment.returnee_id == returnee.id, Assignment.active.is_(True))
    ).all()
    for old in previous:
        old.active, old.ended_on = False, ends_on
    # The unique index on active rows must see the old one ended before the new one is inserted.
    db.session.flush()
    return previous


def create_assignment(returnee: Returnee, data: dict, on: date) -> Assignment:
    """The new active assignment; the previous one ends (kept as history) on the decision's date."""
    ensure_open(returnee)
    previous = end_active_assignment(returnee, data.get("decision_date") or on)
    assignment = Assignment(returnee_id=returnee.id, active=True, **data)
    db.session.add(assignment)
    try:
        db.session.flush()
    except IntegrityError:
        # Another officer assigned someone between our read and our insert (the index said no).
        db.session.rollback()
        raise CareError(
            _("Someone else recorded an assignment for this person at the same moment. "
              "Nothing was saved: reload the page and check the current assignment."),
            status=409,
        ) from None
    for old in previous:
        audit.record("assignment.end", old)
    audit.record("assignment.create", assignment)
    return assignment


def record_decision(returnee: Returnee, assignment: Assignment, number: str, decided_on: date) -> None:
    ensure_open(returnee)
    if assignment.proposed_on and decided_on < assignment.proposed_on:
        raise CareError(_("The decision cannot come before the proposal."), "decision_date")
    assignment.decision_number, assignment.decision_date = number, decided_on
    db.session.flush()
    audit.record("assignment.decision", assignment)


# --- Support teams ---------------------------------------------------------------------------------


def create_team(name: str, hamlet: str | None) -> SupportTeam:
    return flushed(SupportTeam(name=name, hamlet=hamlet), "support_team.create")


def _members(team: SupportTeam) -> list[TeamMember]:
    return db.session.scalars(select(TeamMember).where(TeamMember.team_id == team.id)).all()


def _take_leadership(team: SupportTeam, member: TeamMember) -> None:
    """Exactly one leader: naming one steps the previous one down."""
    for other in _members(team):
        if other is not member and other.is_leader:
            other.is_leader = False
    member.is_leader = True


def add_member(team: SupportTeam, data: dict) -> TeamMember:
    leader = data.pop("is_leader", False)
    member = TeamMember(team_id=team.id, active=True, is_leader=False, **data)
    db.session.add(member)
    if leader:
        _take_leadership(team, member)
    return flushed(member, "team_member.add", reason=f"kind={member.kind}")


def update_member(team: SupportTeam, member: TeamMember, data: dict) -> None:
    leader = data.pop("is_leader", False)
    if member.is_leader and not leader:
        raise CareError(_("A team needs a leader: make another member the leader instead."), "is_leader")
    if leader and not member.active:
        raise CareError(_("A member who left the team cannot lead it."), "is_leader")
    for name, value in data.items():
        setattr(member, name, value)
    if leader:
        _take_leadership(team, member)
    db.session.flush()
    audit.record("team_member.update", member, reason=f"kind={member.kind}")


def deactivate_member(member: TeamMember) -> None:
    if member.is_leader:
        raise CareError(_("Make another member the leader before this one leaves the team."), status=409)
    member.active = False
    db.session.flush()
    audit.record("team_member.deactivate", member)


def link_returnee(team: SupportTeam, returnee: Returnee, since: date) -> TeamReturnee:
    ensure_open(returnee)
    current = db.session.scalar(
        select(TeamReturnee.id).where(
            TeamReturnee.team_id == team.id, TeamReturnee.returnee_id == returnee.id, TeamReturnee.until.is_(None)
        )
    )
    if current is not None:
        raise CareError(_("This team already helps this person."), "returnee")
    return flushed(TeamReturnee(team_id=team.id, returnee_id=returnee.id, since=since), "team_returnee.link")


def unlink_returnee(link: TeamReturnee, returnee: Returnee, until: date) -> None:
    ensure_open(returnee)
    if link.until is not None:
        raise CareError(_("This team already stopped helping this person."), status=409)
    if until < link.since:
        raise CareError(_("The end is before the start (%(since)s).", since=format_day(link.since)), "until")
    link.until = until
    db.session.flush()
    audit.record("team_returnee.end", link)


# --- Contacts and reviews --------------------------------------------------------------------------


def add_contact(returnee: Returnee, data: dict, member: TeamMember | None, actor_id: int | None) -> Contact:
    ensure_open(returnee)
    person = member.full_name if member is not None else data.pop("contact_person")
    data.pop("contact_person", None)
    contact = Contact(
        returnee_id=returnee.id, member_id=member.id if member else None, contact_person=person,
        recorded_by=actor_id, **data,
    )
    return flushed(contact, "contact.create")


def add_review(returnee: Returnee, data: dict, actor_id: int | None) -> QuarterlyReview:
    """One review per person and quarter; the newest quarter's group becomes the person's group."""
    ensure_open(returnee)
    year, quarter, group = data["year"], data["quarter"], data["group"]
    existing = db.session.scalars(
        select(QuarterlyReview).where(QuarterlyReview.returnee_id == returnee.id)
        .order_by(QuarterlyReview.year.desc(), QuarterlyReview.quarter.desc())
    ).all()
    same = next((r for r in existing if (r.year, r.quarter) == (year, quarter)), None)
    if same is not None:
        raise CareError(
            _("The review of quarter %(quarter)s/%(year)s is already recorded (group %(group)s).",
              quarter=quarter, year=year, group=same.group),
            "quarter",
        )
    newest = not existing or (year, quarter) > (existing[0].year, existing[0].quarter)
    if newest and returnee.status == "in_custody" and group != "D":
        raise CareError(_("The person is in custody: the group is D until they return."), "group")
    review = flushed(
        QuarterlyReview(returnee_id=returnee.id, reviewed_by=actor_id, **data),
        "quarterly_review.create", reason=f"{year}-Q{quarter}:{group}",
    )
    if newest and returnee.group != group:
        old = returnee.group
        returnee.group = group
        db.session.flush()
        audit.record("returnee.group_change", returnee, reason=f"{old or '-'}->{group}")
    return review


# --- Incidents -------------------------------------------------------------------------------------


def add_incident(returnee: Returnee, data: dict, to_custody: bool, actor_id: int | None) -> Incident:
    """Record an incident; a custody period may move the person to in_custody, through the lifecycle."""
    ensure_open(returnee)
    if to_custody and "in_custody" not in allowed(returnee.status):
        raise CareError(_("Only a person under management can be moved to custody."), "move_to_custody")
    incident = flushed(Incident(returnee_id=returnee.id, **data), "incident.create", reason=data["kind"])
    if to_custody:
        try:
            transition(returnee, "in_custody", data["on"], actor_id)
        except TransitionError as exc:
            raise CareError(str(exc), "move_to_custody") from None
    return incident
