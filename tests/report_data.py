"""A varied, deterministic population for the report tests: people in every status with the dates
that make each figure's rules bite (boundaries of the tested periods, deadlines met, missed and
absent, closures of every ground inside and outside the periods), and everything around them.

Rows are created with the ORM inside `use_tenant(unit)`, like the app does, and handed back as
plain records (`Rec`, a snapshot of each row's columns) so the tests can count them in plain
Python without going through the code under test.
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import SimpleNamespace as Rec

from blueprints.reports import periods
from blueprints.returnees.care import (
    INCIDENT_KINDS,
    LOAN_STATES,
    MEMBER_KINDS,
    SUPPORT_KINDS,
    SUPPORT_STATES,
    Assignment,
    Contact,
    Incident,
    QuarterlyReview,
    SupportAction,
    SupportTeam,
    TeamMember,
    TeamReturnee,
)
from blueprints.returnees.community import Commendation, Employer, OutreachActivity
from blueprints.returnees.lifecycle import CLOSURE_GROUNDS, OVERDUE_STATES, STATUSES
from blueprints.returnees.models import GROUPS, RELEASE_KINDS, Returnee
from portal.extensions import db
from tenants.context import use_tenant

# The periods the tests compute; their first and last days (and the days either side) are drawn
# often, because that is where an off-by-one hides.
PERIOD_KEYS = ("2026-08", "2026-Q3", "2026-H1", "2026", "2026-02-10_2026-11-20", "2019-Q2")
FIRST, LAST = date(2025, 9, 1), date(2027, 2, 28)  # the span the data covers
SERVER_SET = {"created_at", "updated_at"}
MANAGED = ("under_management", "in_custody", "transferring")


def _edges() -> list[date]:
    days = set()
    for key in PERIOD_KEYS:
        p = periods.parse(key)
        for d in (p.start, p.end, *p.quarter_ends()):
            days.update({d - timedelta(days=1), d, d + timedelta(days=1)})
    return sorted(d for d in days if FIRST <= d <= LAST)


EDGES = _edges()


def _years_before(day: date, years: int) -> date:
    return day.replace(year=day.year - years, day=28) if (day.month, day.day) == (2, 29) else day.replace(
        year=day.year - years)


# Birthdays that turn someone 16 or 18 exactly at (or a day after) a tested period's end.
BIRTH_EDGES = sorted({
    _years_before(periods.parse(k).end, n) + timedelta(days=d)
    for k in PERIOD_KEYS for n in (16, 18) for d in (0, 1)
})


def snapshot(obj) -> Rec:
    # Server-side timestamps are left out: reading them back would cost a query per row.
    return Rec(**{c.key: getattr(obj, c.key) for c in obj.__table__.columns if c.key not in SERVER_SET})


@dataclass
class Population:
    """What was written for one unit, as plain records."""

    tenant_id: int
    people: list = field(default_factory=list)
    assignments: list = field(default_factory=list)
    teams: list = field(default_factory=list)
    members: list = field(default_factory=list)
    team_people: list = field(default_factory=list)
    contacts: list = field(default_factory=list)
    reviews: list = field(default_factory=list)
    actions: list = field(default_factory=list)
    incidents: list = field(default_factory=list)
    outreach: list = field(default_factory=list)
    employers: list = field(default_factory=list)
    commendations: list = field(default_factory=list)


class _Maker:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.turns: dict = {}

    def day(self, lo: date = FIRST, hi: date = LAST) -> date:
        edges = [d for d in EDGES if lo <= d <= hi]
        if edges and self.rng.random() < 0.3:
            return self.rng.choice(edges)
        return lo + timedelta(days=self.rng.randint(0, max((hi - lo).days, 0)))

    def after(self, start: date, lo: int, hi: int) -> date:
        return start + timedelta(days=self.rng.randint(lo, hi))

    def cycle(self, options: tuple):
        """The next of `options` in turn (so each rare choice is reached), from a random start."""
        turn = self.turns.setdefault(options, self.rng.randrange(len(options)))
        self.turns[options] = turn + 1
        return options[turn % len(options)]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p


def _person(m: _Maker, status: str, n: int) -> Returnee:
    rng = m.rng
    if rng.random() < 0.25:
        born = rng.choice(BIRTH_EDGES)
    elif rng.random() < 0.15:
        born = m.day(date(2008, 1, 1), date(2012, 12, 31))
    else:
        born = m.day(date(1960, 1, 1), date(2000, 12, 31))
    r = Returnee(
        full_name=f"Người thử {n}", search_name=f"nguoi thu {n}", sex=rng.choice(("male", "female")),
        date_of_birth=born, release_kind=rng.choice(RELEASE_KINDS), status=status,
    )
    if status == "expected":
        r.notice_received_on = m.day()
        r.expected_release_date = m.after(r.notice_received_on, 10, 60)
        return r
    closed_early = status == "closed" and m.chance(0.25)  # closed before ever being managed
    r.release_date = m.day(FIRST, LAST - timedelta(days=40))
    # The deadline as printed: met, missed or absent (not every certificate carries one).
    r.reporting_deadline = None if m.chance(0.2) else m.after(r.release_date, 3, 15)
    if status in ("released_not_reported", "overdue") or closed_early:
        r.overdue_state = rng.choice(OVERDUE_STATES) if status == "overdue" else None
    else:
        if r.reporting_deadline is not None and m.chance(0.3):
            r.reported_on = r.reporting_deadline + timedelta(days=rng.choice((0, 1)))
        else:
            r.reported_on = m.after(r.release_date, 0, 30)
        r.work_session_minutes, r.commitment_signed = "Biên bản làm việc", True
    if status in MANAGED or (status == "closed" and not closed_early):
        r.managed_since = m.after(r.reported_on, 0, 10)
        r.dossier_opened_on = r.managed_since
        r.group = "D" if status == "in_custody" else rng.choice(GROUPS)
    if status == "closed":
        begin = r.managed_since or r.release_date
        r.closed_on = begin if m.chance(0.1) else min(m.day(begin, LAST), LAST)
        r.closure_ground = m.cycle(CLOSURE_GROUNDS)
        r.closure_decision_number, r.closure_decision_date = f"{n}/QĐ", r.closed_on
    return r


def _end_of_care(r) -> date:
    return min(r.closed_on, LAST) if r.closed_on else LAST


def _around(m: _Maker, r, teams: list, employers: list) -> list:
    """Assignments, team membership, contacts, reviews, support and incidents of one person."""
    rng, rows = m.rng, []
    since, until = r.managed_since, _end_of_care(r)
    if since is not None and m.chance(0.85):
        proposed = m.after(since, -5, 3)
        decided = None if m.chance(0.2) else m.after(proposed, 0, 20)
        if m.chance(0.35):  # an earlier assignment that ended, then the current one
            ended = m.day(decided or proposed, until)
            rows.append(Assignment(returnee_id=r.id, organisation="Hội Cựu chiến binh", person_name="Ông Ba",
                                   proposed_on=proposed, decision_date=decided, active=False, ended_on=ended))
            proposed, decided = ended, None if m.chance(0.3) else m.after(ended, 0, 10)
        no_dates = m.chance(0.05)
        closed = r.closed_on is not None
        rows.append(Assignment(
            returnee_id=r.id, organisation="Hội Phụ nữ", person_name="Bà Tư",
            proposed_on=None if no_dates else proposed, decision_date=None if no_dates else decided,
            active=not closed, ended_on=r.closed_on if closed else None,
        ))
    if since is not None and m.chance(0.6):
        start = m.after(since, -3, 20)
        left = m.day(start, LAST) if m.chance(0.3) else None
        rows.append(TeamReturnee(returnee_id=r.id, team_id=rng.choice(teams).id, since=start, until=left))
        if left is not None and m.chance(0.5):
            rows.append(TeamReturnee(returnee_id=r.id, team_id=rng.choice(teams).id, since=left))
    # Contacts: weekly-ish while managed; some people far more often, some never; a few before
    # management or after closure (they are held, but outside the schedule).
    habit = rng.choice(("weekly", "weekly", "weekly", "often", "rare", "never"))
    if since is not None and habit != "never":
        step = {"weekly": (4, 10), "often": (1, 3), "rare": (12, 30)}[habit]
        on = m.after(since, 0, 6)
        while on <= until:
            rows.append(Contact(returnee_id=r.id, on=on, contact_person="Cán bộ", method="visit", content="Gặp"))
            on = m.after(on, *step)
    if r.reported_on is not None and m.chance(0.2):
        rows.append(Contact(returnee_id=r.id, on=m.day(), contact_person="Cán bộ", method="phone", content="Gọi"))
    if since is not None:
        for year in (2025, 2026, 2027):
            for q in (1, 2, 3, 4):
                end = periods.parse(f"{year}-Q{q}").end
                if since <= end and (end - timedelta(days=92)) <= until and m.chance(0.75):
                    rows.append(QuarterlyReview(returnee_id=r.id, year=year, quarter=q, group=rng.choice(GROUPS),
                                                reason="Đánh giá", report_received_on=end))
    for _ in range(rng.randint(0, 5) if r.reported_on else 0):
        kind = m.cycle(SUPPORT_KINDS + ("loan", "job_placement", "vocational_training"))
        status = rng.choice(SUPPORT_STATES + ("done",))
        started = m.day()
        action = SupportAction(returnee_id=r.id, kind=kind, status=status, started_on=started)
        if status == "done" or m.chance(0.15):  # a few finished dates on refused/cancelled actions
            action.completed_on = None if m.chance(0.08) else m.day(started, LAST)
        if kind in ("job_placement", "public_works_job") and m.chance(0.7):
            action.employer_id = rng.choice(employers).id
        if kind == "loan":
            action.loan_status = rng.choice(LOAN_STATES + ("disbursed",))
            action.loan_purpose = "business"
            action.amount_vnd = None if m.chance(0.1) else rng.randint(5, 100) * 1_000_000
            if action.loan_status == "disbursed" and m.chance(0.4):
                action.completed_on = None  # disbursed on the day it started
        rows.append(action)
    for _ in range(rng.choice((0, 0, 0, 1, 2))):
        rows.append(Incident(returnee_id=r.id, kind=rng.choice(INCIDENT_KINDS), on=m.day(), description="Vi phạm"))
    return rows


def populate(unit, size: int = 30, seed: int = 1) -> Population:
    """Write `size` people (at least two of each status) and their surroundings into `unit`; commits."""
    m = _Maker(seed)
    rng = m.rng
    pop = Population(tenant_id=unit.id)
    with use_tenant(unit):
        employers = [Employer(name=f"Công ty {i}", active=i != 0) for i in range(4)]
        teams = [SupportTeam(name=f"Tổ {i}") for i in range(4)]
        db.session.add_all(employers + teams)
        db.session.flush()
        members = []
        for i, team in enumerate(teams):
            kinds = list(MEMBER_KINDS)
            if i == 2:
                kinds.remove("family")  # incomplete: a required kind missing
            for kind in kinds:
                # Team 3 has a village cadre who left: present but inactive, so incomplete.
                members.append(TeamMember(team_id=team.id, full_name=f"Thành viên {kind}", kind=kind,
                                          active=not (i == 3 and kind == "village_cadre")))
        db.session.add_all(members)
        statuses = list(STATUSES) * 2 + [rng.choice(STATUSES) for _ in range(max(size - 2 * len(STATUSES), 0))]
        people = [_person(m, status, n) for n, status in enumerate(statuses)]
        db.session.add_all(people)
        db.session.flush()
        rows = []
        for r in people:
            rows += _around(m, r, teams, employers)
        for i in range(8):
            rows.append(OutreachActivity(on=m.day(), form="meeting", topic=f"Tuyên truyền {i}",
                                         participants=rng.randint(0, 120)))
        for i in range(5):
            rows.append(Commendation(on=m.day(), target=rng.choice(("person", "collective")), name=f"Khen {i}"))
        db.session.add_all(rows)
        db.session.flush()
        by_type = {Assignment: pop.assignments, TeamReturnee: pop.team_people, Contact: pop.contacts,
                   QuarterlyReview: pop.reviews, SupportAction: pop.actions, Incident: pop.incidents,
                   OutreachActivity: pop.outreach, Commendation: pop.commendations}
        for row in rows:
            by_type[type(row)].append(snapshot(row))
        pop.people = [snapshot(r) for r in people]
        pop.teams = [snapshot(t) for t in teams]
        pop.members = [snapshot(x) for x in members]
        pop.employers = [snapshot(e) for e in employers]
        db.session.commit()
    return pop
