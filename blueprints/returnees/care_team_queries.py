"""Read side of the unit's support teams, and the choices the care forms offer.

Choices come from scoped queries: an id of another unit is not among them, so a forged one is refused
as "not a valid choice" before any service runs. Each function is one statement.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select

from blueprints.returnees.care import SupportTeam, TeamMember, TeamReturnee
from blueprints.returnees.care_forms import choice
from blueprints.returnees.care_rows import TeamView, age_flag
from blueprints.returnees.community import Employer
from blueprints.returnees.models import Returnee
from portal.extensions import db


@dataclass
class LinkRow:
    link: TeamReturnee
    full_name: str
    status: str
    flag: str | None

    @property
    def current(self) -> bool:
        return self.link.until is None


def team_list(on: date) -> list[TeamView]:
    """Every team with its members and how many people it helps today: two statements."""
    rows = db.session.execute(
        select(SupportTeam, TeamMember)
        .outerjoin(TeamMember, TeamMember.team_id == SupportTeam.id)
        .order_by(SupportTeam.name, SupportTeam.id, TeamMember.is_leader.desc(), TeamMember.id)
    ).all()
    helped = dict(
        db.session.execute(
            select(TeamReturnee.team_id, func.count())
            .where(or_(TeamReturnee.until.is_(None), TeamReturnee.until >= on))
            .group_by(TeamReturnee.team_id)
        ).all()
    )
    views: dict[int, TeamView] = {}
    for team, member in rows:
        view = views.setdefault(team.id, TeamView(team, helped=helped.get(team.id, 0)))
        if member is not None:
            view.members.append(member)
    return list(views.values())


def team_members(team_id: int) -> list[TeamMember]:
    return db.session.scalars(
        select(TeamMember).where(TeamMember.team_id == team_id)
        .order_by(TeamMember.active.desc(), TeamMember.is_leader.desc(), TeamMember.id)
    ).all()


def team_links(team_id: int, on: date) -> list[LinkRow]:
    """The people the team helps or helped, current ones first."""
    rows = db.session.execute(
        select(TeamReturnee, Returnee.full_name, Returnee.status, Returnee.date_of_birth)
        .join(Returnee, Returnee.id == TeamReturnee.returnee_id)
        .where(TeamReturnee.team_id == team_id)
        .order_by(TeamReturnee.until.is_not(None), Returnee.search_name, TeamReturnee.since.desc())
    ).all()
    return [LinkRow(link, name, status, age_flag(born, on)) for link, name, status, born in rows]


def returnee_choices(blank) -> list:
    """Open dossiers of the unit, by name (a team helps people whose dossier is not closed)."""
    rows = db.session.execute(
        select(Returnee.id, Returnee.full_name, Returnee.hamlet)
        .where(Returnee.status != "closed")
        .order_by(Returnee.search_name, Returnee.id)
    ).all()
    return [choice("", blank)] + [choice(rid, f"{name} — {hamlet}" if hamlet else name) for rid, name, hamlet in rows]


def member_choices(returnee_id: int, on: date, blank) -> tuple[list, dict[int, TeamMember]]:
    """Active members of the teams helping the person on `on` (the form's choices, and the rows)."""
    members = db.session.scalars(
        select(TeamMember)
        .join(TeamReturnee, TeamReturnee.team_id == TeamMember.team_id)
        .where(
            TeamReturnee.returnee_id == returnee_id, TeamMember.active.is_(True),
            or_(TeamReturnee.until.is_(None), TeamReturnee.until >= on),
        )
        .order_by(TeamMember.full_name, TeamMember.id)
    ).unique().all()
    found = {m.id: m for m in members}
    return [choice("", blank)] + [choice(m.id, m.full_name) for m in found.values()], found


def employer_choices(blank, keep_id: int | None = None) -> list:
    """Active employers of the unit, plus the one already chosen (it may have been deactivated since)."""
    query = select(Employer.id, Employer.name).order_by(Employer.name, Employer.id)
    query = query.where(or_(Employer.active.is_(True), Employer.id == (keep_id or 0)))
    return [choice("", blank)] + [choice(eid, name) for eid, name in db.session.execute(query).all()]
