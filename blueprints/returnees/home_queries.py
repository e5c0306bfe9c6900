"""What is due in a unit, for its home page (DESIGN.md §3, §15).

Four statements whatever the number of people: the people still followed (a few columns and whether
an assignment is active, no ORM objects, so nothing can lazy-load), the care
feature's overdue contacts and missing quarterly reviews (care_queries, one statement each), and the
convictions of people under management. Everything else is arithmetic here.

`today` is a parameter so the page and the tests agree on the day. Every date computed from a rule
is an expectation (dự kiến): `DueItem.expected` says so; a deadline printed on a certificate is not.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import groupby

from sqlalchemy import and_, exists, select

from blueprints.returnees import care_queries, deadlines, expungement
from blueprints.returnees.care import Assignment
from blueprints.returnees.facts import conviction_facts
from blueprints.returnees.models import Conviction, Returnee
from blueprints.returnees.workdays import calendar_from_config
from portal.extensions import db
from portal.search import fold

FOLLOWED = ("expected", "released_not_reported", "overdue", "received", "under_management", "in_custody")
MANAGED = ("under_management", "in_custody")
EXPUNGEMENT_WINDOW = timedelta(days=60)
_PERSON = (
    Returnee.id, Returnee.full_name, Returnee.status, Returnee.date_of_birth, Returnee.notice_received_on,
    Returnee.residence_checked_on, Returnee.reporting_deadline, Returnee.reported_on, Returnee.dossier_opened_on,
    Returnee.managed_since,
)


@dataclass(frozen=True)
class DueItem:
    returnee_id: int
    name: str
    due: date | None  # the day it is due (None: no rule in force on the event day)
    late: bool
    expected: bool = True  # computed by the portal (dự kiến); False for a date printed on a document
    since: date | None = None  # the event the delay counts from (notice, work session, last contact)
    detail: str = ""  # a code the page turns into words (expungement status; "child" or "minor")


@dataclass
class Due:
    today: date
    presentations: list[DueItem] = field(default_factory=list)
    residence_checks: list[DueItem] = field(default_factory=list)
    assignments: list[DueItem] = field(default_factory=list)
    dossiers: list[DueItem] = field(default_factory=list)
    contacts: list[DueItem] = field(default_factory=list)
    reviews: list[DueItem] = field(default_factory=list)
    expungements: list[DueItem] = field(default_factory=list)
    minors: list[DueItem] = field(default_factory=list)
    reviewed_quarter: tuple[int, int] = (0, 0)
    review_due: date | None = None
    loan_list_due: date | None = None

    @property
    def count(self) -> int:
        lists = (self.presentations, self.residence_checks, self.assignments, self.dossiers, self.contacts,
                 self.reviews, self.expungements)
        return sum(len(items) for items in lists)


def _joined(model):
    return and_(Returnee.id == model.returnee_id, Returnee.tenant_id == model.tenant_id)


def _rule_due(key: str, event_day: date, cal) -> date | None:
    try:
        return deadlines.due_date(key, event_day, cal)
    except deadlines.RuleNotFound:
        return None


def _item(person, due: date | None, today: date, **extra) -> DueItem:
    return DueItem(person.id, person.full_name, due, due is not None and today > due, **extra)


def _birthday(born: date, age: int) -> date:
    """The day one reaches `age`; born on 29 February, on 1 March of a common year (Returnee.age_on)."""
    try:
        return born.replace(year=born.year + age)
    except ValueError:
        return date(born.year + age, 3, 1)


def due_in_unit(today: date) -> Due:
    """What the current unit has to do, as of `today` (scoped to the current unit like any query)."""
    cal = calendar_from_config()
    due = Due(today)
    assigned = exists().where(_joined(Assignment), Assignment.active.is_(True)).label("assigned")
    people = db.session.execute(select(*_PERSON, assigned).where(Returnee.status.in_(FOLLOWED))).all()
    year, quarter = today.year, deadlines.quarter_of(today)
    due.reviewed_quarter = deadlines.previous_quarter(year, quarter)
    due.review_due = deadlines.quarterly_report_due(year, quarter)
    # The care feature's own definitions of an overdue contact and a missing review: one each.
    for row in care_queries.overdue_contacts(today):
        late_from = row.counted_from + timedelta(days=deadlines.rule_for("weekly_contact", today).amount)
        due.contacts.append(DueItem(row.returnee_id, row.full_name, late_from, True, since=row.last_contact))
    for row in care_queries.reviews_due(today):
        due.reviews.append(DueItem(row.returnee_id, row.full_name, row.due_on, row.overdue))
    convictions = db.session.scalars(
        select(Conviction).join(Returnee, _joined(Conviction)).where(Returnee.status.in_(MANAGED))
        .order_by(Conviction.returnee_id, Conviction.id)
    ).all()
    due.loan_list_due = _rule_due("loan_list", today, cal)

    for person in people:
        _sort_person(due, person, today, cal)
    names = {p.id: p.full_name for p in people}
    for returnee_id, rows in groupby(convictions, key=lambda c: c.returnee_id):
        item = _expungement(returnee_id, names.get(returnee_id, ""), list(rows), today)
        if item is not None:
            due.expungements.append(item)
    for items in (due.presentations, due.residence_checks, due.assignments, due.dossiers, due.contacts,
                  due.reviews, due.expungements):
        items.sort(key=lambda i: (i.due or date.max, fold(i.name)))
    due.minors.sort(key=lambda i: (i.detail != "child", fold(i.name)))
    return due


def _sort_person(due: Due, p, today, cal) -> None:
    """Put one person in each list where something is due for them."""
    if p.status == "overdue" or (
        p.status == "released_not_reported" and p.reporting_deadline and p.reporting_deadline < today
    ):
        due.presentations.append(
            DueItem(p.id, p.full_name, p.reporting_deadline, True, expected=False)
        )
    if p.status == "expected" and p.notice_received_on and p.residence_checked_on is None:
        due.residence_checks.append(
            _item(p, _rule_due("residence_check", p.notice_received_on, cal), today, since=p.notice_received_on)
        )
    if p.status == "received" and p.reported_on:
        if not p.assigned:
            due.assignments.append(
                _item(p, _rule_due("assignment_proposal", p.reported_on, cal), today, since=p.reported_on)
            )
        if p.dossier_opened_on is None:
            due.dossiers.append(_item(p, _rule_due("dossier_open", p.reported_on, cal), today, since=p.reported_on))
    flag = care_queries.age_flag(p.date_of_birth, today) if p.date_of_birth else None
    if p.status in ("received", *MANAGED) and flag:
        # "due" is the 18th birthday, when the priority for minors ends (a fact, not an expectation).
        due.minors.append(DueItem(p.id, p.full_name, _birthday(p.date_of_birth, 18), False, expected=False,
                                  detail=flag))


def _expungement(returnee_id: int, name: str, rows: list[Conviction], today: date) -> DueItem | None:
    """An item when the record is expected to clear within the window (or already has, the dossier
    still open); None when it cannot be computed (facts missing: the dossier page says which)."""
    try:
        result = expungement.compute([conviction_facts(c) for c in rows], today)
    except ValueError:  # IncompleteFacts included
        return None
    if result.status not in ("eligible_on", "court_decision", "expunged") or result.expected_date is None:
        return None
    if result.expected_date > today + EXPUNGEMENT_WINDOW:
        return None
    return DueItem(returnee_id, name, result.expected_date, result.expected_date <= today, detail=result.status)
