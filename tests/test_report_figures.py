"""Every figure of a unit report equals an independent count, and the city totals equal the sum of
the units (issue 5, "Done when").

The expected values are counted here in plain Python over the records `tests.report_data` wrote,
each rule re-derived from the figure's label and DESIGN.md §8, not from `figures.py`. Where the
label leaves a convention open, the comment beside the count says which one is tested.
"""

import calendar
import dataclasses
from datetime import date

import pytest
from sqlalchemy import select

from blueprints.campaigns.models import Campaign
from blueprints.reports import figures, periods, rollup, services
from blueprints.returnees.models import Returnee
from portal.extensions import db
from tenants.context import use_tenant
from tenants.models import Tenant
from tests.conftest import tenant
from tests.report_data import PERIOD_KEYS, populate

UNITS = {"dac_khu_cat_hai": 11, "xa_an_khanh": 22, "phuong_le_chan": 33}  # slug → seed
REQUIRED_KINDS = {"police", "mass_organisation", "village_cadre", "family"}
WORK = {"job_placement", "public_works_job"}
PAPER_KINDS = {"residence_registration", "civil_status", "id_card", "judicial_record"}
CLOSURES = ("expunged", "moved_residence", "settled_abroad", "declared_missing", "dead", "imprisoned_again")
INCIDENTS = {"administrative_violations": "administrative_violation", "breaches": "breach_of_obligations",
             "new_crimes": "new_crime"}


def inside(day, p) -> bool:
    return day is not None and p.start <= day <= p.end


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def quarter_ends(p) -> list[date]:
    ends = [date(y, m, calendar.monthrange(y, m)[1]) for y in range(p.start.year, p.end.year + 1)
            for m in (3, 6, 9, 12)]
    return [e for e in ends if inside(e, p)]


def managed_on(r, day: date) -> bool:
    """Under management at the end of `day`: taken in by then, and not closed by then."""
    return r.managed_since is not None and r.managed_since <= day and (r.closed_on is None or r.closed_on > day)


def managed_span(r, p):
    """The days of the period the dossier was managed, closure day included (convention: the
    closing decision is taken on a day the person is still managed); None if none."""
    if r.managed_since is None:
        return None
    first = max(r.managed_since, p.start)
    last = min(r.closed_on, p.end) if r.closed_on is not None else p.end
    return (first, last) if first <= last else None


def expected(pop, p) -> tuple[dict, dict]:
    """(values, people): every figure counted independently, and the ids each person-figure counts."""
    values, people = {}, {}

    def persons(key, rows):
        people[key] = {r.id for r in rows}
        values[key] = len(people[key])

    def by_rows(key, rows, measure=len):
        values[key] = measure(rows)
        people[key] = {x.returnee_id for x in rows}

    everyone = pop.people
    released = [r for r in everyone if inside(r.release_date, p)]
    received = [r for r in everyone if inside(r.reported_on, p)]
    persons("released", released)
    persons("received", received)
    for kind in ("completed_sentence", "special_pardon", "conditional_release_ended"):
        persons(f"received_{kind}", [r for r in received if r.release_kind == kind])
    came = [r for r in released if r.reported_on is not None and r.reported_on <= p.end]
    # Convention: a certificate without a printed deadline cannot be missed, so it counts as on time.
    missed = [r for r in came if r.reporting_deadline is not None and r.reported_on > r.reporting_deadline]
    persons("presented_on_time", [r for r in came if r not in missed])
    persons("presented_late", missed)
    persons("not_presented", [r for r in released if r not in came])
    at_end = [r for r in everyone if managed_on(r, p.end)]
    persons("under_management", at_end)
    for group in "ABCD":
        persons(f"group_{group.lower()}", [r for r in at_end if r.group == group])
    persons("minors", [r for r in at_end if age_on(r.date_of_birth, p.end) < 18])
    persons("children", [r for r in at_end if age_on(r.date_of_birth, p.end) < 16])
    assigned = {a.returnee_id for a in pop.assignments
                if (a.decision_date or a.proposed_on) is not None and (a.decision_date or a.proposed_on) <= p.end
                and (a.ended_on is None or a.ended_on > p.end)}
    persons("assigned", [r for r in at_end if r.id in assigned])
    complete = {t.id for t in pop.teams
                if {m.kind for m in pop.members if m.team_id == t.id and m.active} >= REQUIRED_KINDS}
    in_team = {t.returnee_id for t in pop.team_people if t.team_id in complete and t.since <= p.end
               and (t.until is None or t.until > p.end)}
    persons("in_complete_team", [r for r in at_end if r.id in in_team])
    during = [r for r in everyone if managed_span(r, p)]
    persons("managed_during", during)
    contacts = [c for c in pop.contacts if inside(c.on, p)]
    by_rows("contacts_held", contacts)
    expected_weeks = held_on_schedule = 0
    for r in during:
        first, last = managed_span(r, p)
        weeks = -(-((last - first).days + 1) // 7)  # weeks begun
        # Convention (as figures.py): every contact of the period counts, even one held before
        # management began; capped per person so one well-visited person cannot hide another.
        held = sum(1 for c in contacts if c.returnee_id == r.id)
        expected_weeks += weeks
        held_on_schedule += min(held, weeks)
    values["contacts_expected"], values["contacts_on_schedule"] = expected_weeks, held_on_schedule
    people["contacts_expected"] = people["contacts_on_schedule"] = {r.id for r in during}
    ends = quarter_ends(p)
    quarters = {(e.year, (e.month - 1) // 3 + 1) for e in ends}
    done = {(v.returnee_id, v.year, v.quarter) for v in pop.reviews if (v.year, v.quarter) in quarters}
    # One review per person and quarter: over a half or a year a person owes (and can do) several.
    values["reviews_done"], people["reviews_done"] = len(done), {d[0] for d in done}
    values["reviews_due"] = sum(managed_on(r, e) for e in ends for r in everyone)
    people["reviews_due"] = {r.id for r in everyone if any(managed_on(r, e) for e in ends)}

    def finished(kinds):
        return [a for a in pop.actions if a.kind in kinds and a.status == "done" and inside(a.completed_on, p)]

    work = finished(WORK)
    by_rows("employed", work, lambda rows: len({a.returnee_id for a in rows}))
    by_rows("trained", finished({"vocational_training"}), lambda rows: len({a.returnee_id for a in rows}))
    # A disbursed loan is dated by its completion, or by its start when no completion is recorded.
    loans = [a for a in pop.actions if a.kind == "loan" and a.loan_status == "disbursed"
             and inside(a.completed_on or a.started_on, p)]
    by_rows("loans", loans)
    by_rows("loans_vnd", loans, lambda rows: sum(a.amount_vnd or 0 for a in rows))
    by_rows("papers_done", finished(PAPER_KINDS))
    by_rows("social_assistance", finished({"social_assistance"}))
    by_rows("expungement_applications", finished({"expungement_application"}))
    for key, kind in INCIDENTS.items():
        by_rows(key, [i for i in pop.incidents if i.kind == kind and inside(i.on, p)])
    by_rows("reoffenders", [i for i in pop.incidents if i.kind == "new_crime" and inside(i.on, p)],
            lambda rows: len({i.returnee_id for i in rows}))
    closed = [r for r in everyone if r.status == "closed" and inside(r.closed_on, p)]
    persons("closed", closed)
    for ground in CLOSURES:
        persons(f"closed_{ground}", [r for r in closed if r.closure_ground == ground])
    sessions = [o for o in pop.outreach if inside(o.on, p)]
    values["outreach_sessions"] = len(sessions)
    values["outreach_participants"] = sum(o.participants for o in sessions)
    values["employers_registered"] = sum(1 for e in pop.employers if e.active)
    hired = [a for a in work if a.employer_id is not None]
    by_rows("employers_hiring", hired, lambda rows: len({a.employer_id for a in rows}))
    values["commendations"] = sum(1 for c in pop.commendations if inside(c.on, p))
    return values, people


def expected_rates(v: dict) -> dict:
    def pct(n, d):
        return round(100 * v[n] / v[d], 1) if v[d] else None

    return {"contact_compliance": pct("contacts_on_schedule", "contacts_expected"),
            "review_compliance": pct("reviews_done", "reviews_due"),
            "reoffending_rate": pct("reoffenders", "managed_during")}


@pytest.fixture
def populations(ctx):
    return {slug: populate(tenant(slug), size=40, seed=seed) for slug, seed in UNITS.items()}


def diff(got: dict, want: dict) -> dict:
    return {k: (got.get(k), want.get(k)) for k in set(got) | set(want) if got.get(k) != want.get(k)}


def report(wrong: dict) -> str:
    return "\n".join(f"{where}: {what}" for where, what in sorted(wrong.items()))


def test_the_generated_data_reaches_every_figure(populations):
    """Guards the test itself: over the periods, each figure is non-zero somewhere."""
    seen = set()
    for pop in populations.values():
        for key in PERIOD_KEYS:
            seen |= {k for k, v in expected(pop, periods.parse(key))[0].items() if v}
    assert seen == set(figures.KEYS)


def test_every_figure_and_rate_equals_an_independent_count(populations):
    wrong = {}
    for slug, pop in populations.items():
        with use_tenant(tenant(slug)):
            for key in PERIOD_KEYS:
                p = periods.parse(key)
                values, _ = expected(pop, p)
                got = figures.compute(p)
                assert list(got) == figures.KEYS
                if d := diff(got, values):
                    wrong[(slug, key)] = d
                if d := diff(figures.rates(got), expected_rates(values)):
                    wrong[(slug, key, "rates")] = d
    assert not wrong, report(wrong)


def test_a_period_without_data_and_a_unit_without_data_count_nothing(populations):
    with use_tenant(tenant("dac_khu_cat_hai")):
        values = figures.compute(periods.parse("2019-Q2"))
    # Employers are counted as registered now, whatever the period (no registration date is kept).
    assert values.pop("employers_registered") == 3
    assert not any(values.values()), values
    # Another unit, while three units hold data for the same period, counts nothing of theirs.
    other = db.session.scalar(select(Tenant).where(Tenant.slug.not_in(UNITS)).order_by(Tenant.code))
    with use_tenant(other):
        assert not any(figures.compute(periods.parse("2026")).values())


# The records about one person; the others are the unit's own work (outreach, employers, teams…).
ABOUT_A_PERSON = ("assignments", "team_people", "contacts", "reviews", "actions", "incidents")


def test_a_campaigns_figures_count_its_people_and_the_units_own_work(populations):
    """A special-pardon campaign's report counts what concerns the campaign's people, and the unit's
    own work (outreach, employers, commendations, teams) whole: the same independent counts over
    the campaign's half of the unit."""
    slug = "xa_an_khanh"
    pop = populations[slug]
    campaign = Campaign(name="Đặc xá năm 2025", year=2025, pardon_decision_number="1244/QĐ-CTN",
                        pardon_decision_date=date(2025, 8, 20), report_due_on=date(2025, 9, 10))
    db.session.add(campaign)
    db.session.commit()
    chosen = {r.id for r in pop.people[::2]}
    with use_tenant(tenant(slug)):
        for person in db.session.scalars(select(Returnee).where(Returnee.id.in_(chosen))):
            person.campaign_id = campaign.id
        db.session.commit()
    theirs = dataclasses.replace(
        pop, people=[r for r in pop.people if r.id in chosen],
        **{name: [x for x in getattr(pop, name) if x.returnee_id in chosen] for name in ABOUT_A_PERSON},
    )
    wrong, narrowed = {}, set()
    with use_tenant(tenant(slug)):
        for key in PERIOD_KEYS:
            p = periods.parse(key)
            got = figures.compute(p, campaign_id=campaign.id)
            if d := diff(got, expected(theirs, p)[0]):
                wrong[key] = d
            narrowed |= {k for k, v in figures.compute(p).items() if v != got[k]}
    assert not wrong, report(wrong)
    assert {"under_management", "contacts_held", "reviews_due"} <= narrowed  # the test narrows


def test_cases_list_exactly_the_people_each_figure_counts(populations):
    wrong = {}
    for slug, pop in populations.items():
        with use_tenant(tenant(slug)):
            for key in PERIOD_KEYS:
                p = periods.parse(key)
                _, people = expected(pop, p)
                for fig in figures.FIGURES:
                    where = figures.cases(fig.key, p)
                    if fig.key not in people:
                        assert where is None, fig.key  # unit-level figures list no one
                        continue
                    ids = set(db.session.scalars(select(Returnee.id).where(where)))
                    if ids != people[fig.key]:
                        wrong[(slug, key, fig.key)] = (sorted(ids - people[fig.key]), sorted(people[fig.key] - ids))
    assert not wrong, report(wrong)


def test_the_live_city_totals_are_the_sum_of_the_units(populations):
    p = periods.parse("2026-Q3")
    units = {}
    for slug in UNITS:
        with use_tenant(tenant(slug)):
            units[slug] = figures.compute(p)
            services.publish_live(p)
            db.session.commit()
    result = rollup.rollup(p, "live")
    rows = {row.tenant.slug: row for row in result.rows}
    assert {slug: rows[slug].figures for slug in UNITS} == units
    assert all(row.figures is None for slug, row in rows.items() if slug not in UNITS)
    summed = {k: sum(v[k] for v in units.values()) for k in figures.KEYS}
    assert result.totals == summed
    assert any(summed.values())
    assert result.rates == expected_rates(summed)  # a ratio of sums, never a sum of ratios
    assert result.as_json()["totals"] == summed


def test_computing_costs_the_same_statements_for_a_small_and_a_large_unit(ctx, count_queries):
    small, large = tenant("xa_an_khanh"), tenant("phuong_le_chan")
    populate(small, size=16, seed=5)
    populate(large, size=120, seed=6)
    counts = []
    for unit in (small, large):
        for key in ("2026-Q3", "2026"):
            with use_tenant(unit), count_queries() as q:
                assert any(figures.compute(periods.parse(key)).values())
            counts.append(len(q))
    assert counts[0] == counts[2] and counts[1] == counts[3], counts
