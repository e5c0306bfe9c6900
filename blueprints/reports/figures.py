"""The figures of a unit's report (DESIGN.md §8), computed from the unit's rows by set-based queries.

Each figure is defined once, as a condition on one table and a measure. The same definition gives
the number (every figure of a table a FILTERed aggregate, all tables in one statement) and the
people it counts (the drill-down from a figure to its cases). Rates are derived from counts, so a
city total is the ratio of summed counts, never a sum of rates.

Everything runs inside the current unit: the queries are ORM statements, scoped like any other.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from blueprints.reports.conditions import (
    EMPLOYMENT,
    PAPERS,
    complete_teams,
    incidents_of,
    loans_disbursed,
    managed_at,
    managed_during,
    presented_by_end,
    released_in,
    reviewed_quarters,
    support_done,
    years_before,
)
from blueprints.reports.periods import Period
from blueprints.returnees.care import (
    Assignment,
    Contact,
    Incident,
    QuarterlyReview,
    SupportAction,
    TeamReturnee,
)
from blueprints.returnees.community import Commendation, Employer, OutreachActivity
from blueprints.returnees.lifecycle import CLOSURE_GROUNDS
from blueprints.returnees.models import GROUPS, RELEASE_KINDS, Returnee
from portal.extensions import db

SECTIONS = ("intake", "management", "contacts", "support", "incidents", "closures", "community")
SECTION_LABELS = {
    "intake": _l("Release and reception"),
    "management": _l("Under management"),
    "contacts": _l("Contacts and quarterly reviews"),
    "support": _l("Support for reintegration"),
    "incidents": _l("Violations and reoffending"),
    "closures": _l("Closed cases"),
    "community": _l("Outreach, employers and commendations"),
}


# --- The figures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    key: str
    section: str
    label: object
    model: type | None  # the table `where` reads; None for the contact and review schedules
    where: Callable[[Period], ColumnElement] | None = None
    measure: str = "rows"  # rows | persons | sum:<column> | distinct:<column>
    money: bool = False

    @property
    def about_people(self) -> bool:
        """Whether the figure counts people of the unit (and so can list them)."""
        return self.model is None or hasattr(self.model, "returnee_id") or self.model is Returnee


@dataclass(frozen=True)
class Rate:
    key: str
    section: str
    label: object
    numerator: str
    denominator: str


def _figures() -> list[Figure]:
    R = Returnee
    out = [
        Figure("released", "intake", _l("Released in the period"), R, released_in),
        Figure("received", "intake", _l("Received in the period"), R,
               lambda p: R.reported_on.between(p.start, p.end)),
    ]
    kind_labels = {
        "completed_sentence": _l("received: completed their sentence"),
        "special_pardon": _l("received: special pardon"),
        "conditional_release_ended": _l("received: end of conditional early release"),
    }
    for kind in RELEASE_KINDS:
        out.append(Figure(
            f"received_{kind}", "intake", kind_labels[kind], R,
            lambda p, kind=kind: and_(R.reported_on.between(p.start, p.end), R.release_kind == kind),
        ))
    out += [
        Figure("presented_on_time", "intake", _l("Presented on time"), R, lambda p: and_(
            released_in(p), presented_by_end(p),
            or_(R.reporting_deadline.is_(None), R.reported_on <= R.reporting_deadline),
        )),
        Figure("presented_late", "intake", _l("Presented late"), R, lambda p: and_(
            released_in(p), presented_by_end(p),
            R.reporting_deadline.is_not(None), R.reported_on > R.reporting_deadline,
        )),
        Figure("not_presented", "intake", _l("Released but not presented by the end of the period"), R,
               lambda p: and_(released_in(p), ~presented_by_end(p))),
        Figure("under_management", "management", _l("Under management at the end of the period"), R,
               lambda p: managed_at(p.end)),
    ]
    for group in GROUPS:
        out.append(Figure(
            f"group_{group.lower()}", "management", _l("Group %(group)s", group=group), R,
            lambda p, group=group: and_(managed_at(p.end), R.group == group),
        ))
    out += [
        Figure("minors", "management", _l("Minors (under 18)"), R,
               lambda p: and_(managed_at(p.end), R.date_of_birth > years_before(p.end, 18))),
        Figure("children", "management", _l("Children (under 16)"), R,
               lambda p: and_(managed_at(p.end), R.date_of_birth > years_before(p.end, 16))),
        Figure("assigned", "management", _l("With an organisation or person assigned"), R, lambda p: and_(
            managed_at(p.end),
            R.id.in_(select(Assignment.returnee_id).where(
                func.coalesce(Assignment.decision_date, Assignment.proposed_on) <= p.end,
                or_(Assignment.ended_on.is_(None), Assignment.ended_on > p.end),
            )),
        )),
        Figure("in_complete_team", "management", _l("In a complete support team"), R, lambda p: and_(
            managed_at(p.end),
            R.id.in_(select(TeamReturnee.returnee_id).where(
                TeamReturnee.since <= p.end,
                or_(TeamReturnee.until.is_(None), TeamReturnee.until > p.end),
                TeamReturnee.team_id.in_(complete_teams()),
            )),
        )),
        Figure("managed_during", "contacts", _l("Managed at some time in the period"), R, managed_during),
        Figure("contacts_held", "contacts", _l("Contacts held"), Contact,
               lambda p: Contact.on.between(p.start, p.end)),
        Figure("contacts_expected", "contacts", _l("Contacts expected (weekly)"), None),
        Figure("contacts_on_schedule", "contacts", _l("Contacts held against the weekly schedule"), None),
        # Rows, not people: reviews due are person-quarters (one review per person and quarter).
        Figure("reviews_done", "contacts", _l("Quarterly reviews done"), QuarterlyReview, reviewed_quarters),
        Figure("reviews_due", "contacts", _l("Quarterly reviews due"), None),
        Figure("employed", "support", _l("Helped into work"), SupportAction,
               lambda p: support_done(EMPLOYMENT, p), measure="persons"),
        Figure("trained", "support", _l("Vocational training completed"), SupportAction,
               lambda p: support_done(("vocational_training",), p), measure="persons"),
        Figure("loans", "support", _l("Loans disbursed"), SupportAction, loans_disbursed),
        Figure("loans_vnd", "support", _l("Loans disbursed (VND)"), SupportAction, loans_disbursed,
               measure="sum:amount_vnd", money=True),
        Figure("papers_done", "support", _l("Papers done (residence, civil status, ID card, judicial record)"),
               SupportAction, lambda p: support_done(PAPERS, p)),
        Figure("social_assistance", "support", _l("Social assistance given"), SupportAction,
               lambda p: support_done(("social_assistance",), p)),
        Figure("expungement_applications", "support", _l("Expungement applications completed"), SupportAction,
               lambda p: support_done(("expungement_application",), p)),
        Figure("administrative_violations", "incidents", _l("Administrative violations"), Incident,
               lambda p: incidents_of("administrative_violation", p)),
        Figure("breaches", "incidents", _l("Breaches of obligations"), Incident,
               lambda p: incidents_of("breach_of_obligations", p)),
        Figure("new_crimes", "incidents", _l("New crimes"), Incident, lambda p: incidents_of("new_crime", p)),
        Figure("reoffenders", "incidents", _l("People who reoffended"), Incident,
               lambda p: incidents_of("new_crime", p), measure="persons"),
        Figure("closed", "closures", _l("Closed in the period"), R,
               lambda p: and_(R.status == "closed", R.closed_on.between(p.start, p.end))),
    ]
    ground_labels = {
        "expunged": _l("closed: conviction expunged"),
        "moved_residence": _l("closed: moved to another unit"),
        "settled_abroad": _l("closed: settled abroad"),
        "declared_missing": _l("closed: declared missing"),
        "dead": _l("closed: died"),
        "imprisoned_again": _l("closed: imprisoned again"),
    }
    for ground in CLOSURE_GROUNDS:
        out.append(Figure(
            f"closed_{ground}", "closures", ground_labels[ground], R,
            lambda p, ground=ground: and_(
                R.status == "closed", R.closed_on.between(p.start, p.end), R.closure_ground == ground
            ),
        ))
    out += [
        Figure("outreach_sessions", "community", _l("Outreach sessions"), OutreachActivity,
               lambda p: OutreachActivity.on.between(p.start, p.end)),
        Figure("outreach_participants", "community", _l("Outreach participants"), OutreachActivity,
               lambda p: OutreachActivity.on.between(p.start, p.end), measure="sum:participants"),
        Figure("employers_registered", "community", _l("Employers registered"), Employer,
               lambda p: Employer.active.is_(True)),
        Figure("employers_hiring", "community", _l("Employers who took someone on"), SupportAction,
               lambda p: and_(support_done(EMPLOYMENT, p), SupportAction.employer_id.is_not(None)),
               measure="distinct:employer_id"),
        Figure("commendations", "community", _l("Commendations"), Commendation,
               lambda p: Commendation.on.between(p.start, p.end)),
    ]
    return out


FIGURES: list[Figure] = _figures()
BY_KEY: dict[str, Figure] = {f.key: f for f in FIGURES}
RATES: list[Rate] = [
    Rate("contact_compliance", "contacts", _l("Contact compliance (%)"), "contacts_on_schedule", "contacts_expected"),
    Rate("review_compliance", "contacts", _l("Quarterly reviews done (%)"), "reviews_done", "reviews_due"),
    Rate("reoffending_rate", "incidents", _l("Reoffending rate (%)"), "reoffenders", "managed_during"),
]
KEYS = [f.key for f in FIGURES]


# --- Computing -------------------------------------------------------------------------------------


def compute(period: Period, campaign_id: int | None = None) -> dict[str, int]:
    """Every figure of the current unit for `period`, in one statement (`figure_statement`).
    With `campaign_id`, the figures about people count that campaign's people only."""
    from blueprints.reports.figure_statement import statement  # it is built from the figures above

    row = db.session.execute(statement(period, campaign_id)).one()._mapping
    return {key: int(row[key] or 0) for key in KEYS}


def rates(values: dict[str, int]) -> dict[str, float | None]:
    """Percentages with one decimal, None where nothing was due."""
    out = {}
    for rate in RATES:
        denominator = values.get(rate.denominator) or 0
        out[rate.key] = round(100 * values.get(rate.numerator, 0) / denominator, 1) if denominator else None
    return out


def total(rows: list[dict[str, int]]) -> dict[str, int]:
    """The sum of several units' figures (rates are recomputed from the sums with `rates`)."""
    return {key: sum(int(row.get(key) or 0) for row in rows) for key in KEYS}


def cases(key: str, period: Period, campaign_id: int | None = None) -> ColumnElement | None:
    """The condition on Returnee that selects the people `key` counts; None if it counts no one."""
    figure = BY_KEY[key]
    if not figure.about_people:
        return None
    if campaign_id is not None:
        return and_(Returnee.campaign_id == campaign_id, cases(key, period))
    if figure.model is Returnee:
        return figure.where(period)
    if figure.model is not None:
        return Returnee.id.in_(select(figure.model.returnee_id).where(figure.where(period)))
    if key == "reviews_due":
        return or_(*(managed_at(end) for end in period.quarter_ends())) if period.quarter_ends() else false()
    return managed_during(period)
