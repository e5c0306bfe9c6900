"""The city's figures for a period as a few hand-written SQL statements, GROUP BY tenant_id over
all units at once, run as the database owner (no row-level security): the yardstick the app's
unit-by-unit roll-up is measured against.

The rules are the figures of DESIGN.md §8 as the label states them, written out again here (not
generated from figures.py), so the benchmark also cross-checks the app's values.
"""

from blueprints.reports.periods import Period

PEOPLE = """
WITH assigned AS (
    SELECT DISTINCT tenant_id, returnee_id FROM assignments
    WHERE coalesce(decision_date, proposed_on) <= %(end)s AND (ended_on IS NULL OR ended_on > %(end)s)
), complete AS (
    SELECT tenant_id, team_id FROM team_members
    WHERE active AND kind IN ('police', 'mass_organisation', 'village_cadre', 'family')
    GROUP BY tenant_id, team_id HAVING count(DISTINCT kind) >= 4  -- as = 4, better estimated
), teamed AS (
    SELECT DISTINCT t.tenant_id, t.returnee_id FROM team_returnees t JOIN complete c USING (tenant_id, team_id)
    WHERE t.since <= %(end)s AND (t.until IS NULL OR t.until > %(end)s)
), held AS (
    SELECT tenant_id, returnee_id, count(*) AS n FROM contacts
    WHERE "on" BETWEEN %(start)s AND %(end)s GROUP BY tenant_id, returnee_id
), people AS (
    SELECT r.*,
        r.release_date BETWEEN %(start)s AND %(end)s AS released,
        r.reported_on IS NOT NULL AND r.reported_on <= %(end)s AS came,
        r.managed_since <= %(end)s AND (r.closed_on IS NULL OR r.closed_on > %(end)s) AS at_end,
        r.managed_since <= %(end)s AND (r.closed_on IS NULL OR r.closed_on >= %(start)s) AS during,
        (least(coalesce(r.closed_on, %(end)s), %(end)s) - greatest(r.managed_since, %(start)s) + 7) / 7 AS weeks,
        coalesce(h.n, 0) AS held, a.returnee_id IS NOT NULL AS assigned, t.returnee_id IS NOT NULL AS teamed
    FROM returnees r
    LEFT JOIN held h ON h.tenant_id = r.tenant_id AND h.returnee_id = r.id
    LEFT JOIN assigned a ON a.tenant_id = r.tenant_id AND a.returnee_id = r.id
    LEFT JOIN teamed t ON t.tenant_id = r.tenant_id AND t.returnee_id = r.id
)
SELECT tenant_id,
    count(*) FILTER (WHERE released) AS released,
    count(*) FILTER (WHERE reported_on BETWEEN %(start)s AND %(end)s) AS received,
    count(*) FILTER (WHERE reported_on BETWEEN %(start)s AND %(end)s AND release_kind = 'completed_sentence')
        AS received_completed_sentence,
    count(*) FILTER (WHERE reported_on BETWEEN %(start)s AND %(end)s AND release_kind = 'special_pardon')
        AS received_special_pardon,
    count(*) FILTER (WHERE reported_on BETWEEN %(start)s AND %(end)s AND release_kind = 'conditional_release_ended')
        AS received_conditional_release_ended,
    count(*) FILTER (WHERE released AND came AND (reporting_deadline IS NULL OR reported_on <= reporting_deadline))
        AS presented_on_time,
    count(*) FILTER (WHERE released AND came AND reported_on > reporting_deadline) AS presented_late,
    count(*) FILTER (WHERE released AND NOT came) AS not_presented,
    count(*) FILTER (WHERE at_end) AS under_management,
    count(*) FILTER (WHERE at_end AND "group" = 'A') AS group_a,
    count(*) FILTER (WHERE at_end AND "group" = 'B') AS group_b,
    count(*) FILTER (WHERE at_end AND "group" = 'C') AS group_c,
    count(*) FILTER (WHERE at_end AND "group" = 'D') AS group_d,
    count(*) FILTER (WHERE at_end AND date_of_birth > %(born18)s) AS minors,
    count(*) FILTER (WHERE at_end AND date_of_birth > %(born16)s) AS children,
    count(*) FILTER (WHERE at_end AND assigned) AS assigned,
    count(*) FILTER (WHERE at_end AND teamed) AS in_complete_team,
    count(*) FILTER (WHERE during) AS managed_during,
    coalesce(sum(held), 0) AS contacts_held,
    coalesce(sum(weeks) FILTER (WHERE during), 0) AS contacts_expected,
    coalesce(sum(least(held, weeks)) FILTER (WHERE during), 0) AS contacts_on_schedule,
    {due} AS reviews_due,
    count(*) FILTER (WHERE status = 'closed' AND closed_on BETWEEN %(start)s AND %(end)s) AS closed,
    {grounds}
FROM people GROUP BY tenant_id
"""
GROUNDS = ("expunged", "moved_residence", "settled_abroad", "declared_missing", "dead", "imprisoned_again")

REVIEWS = """
SELECT tenant_id, count(*) AS reviews_done FROM quarterly_reviews
WHERE (year, quarter) IN ({quarters}) GROUP BY tenant_id
"""

SUPPORT = """
SELECT tenant_id,
    count(DISTINCT returnee_id) FILTER (WHERE work AND done) AS employed,
    count(DISTINCT returnee_id) FILTER (WHERE kind = 'vocational_training' AND done) AS trained,
    count(*) FILTER (WHERE disbursed) AS loans,
    coalesce(sum(amount_vnd) FILTER (WHERE disbursed), 0) AS loans_vnd,
    count(*) FILTER (WHERE kind IN ('residence_registration', 'civil_status', 'id_card', 'judicial_record') AND done)
        AS papers_done,
    count(*) FILTER (WHERE kind = 'social_assistance' AND done) AS social_assistance,
    count(*) FILTER (WHERE kind = 'expungement_application' AND done) AS expungement_applications,
    count(DISTINCT employer_id) FILTER (WHERE work AND done) AS employers_hiring
FROM (
    SELECT *, status = 'done' AND completed_on BETWEEN %(start)s AND %(end)s AS done,
        kind IN ('job_placement', 'public_works_job') AS work,
        kind = 'loan' AND loan_status = 'disbursed'
            AND coalesce(completed_on, started_on) BETWEEN %(start)s AND %(end)s AS disbursed
    FROM support_actions
) s GROUP BY tenant_id
"""

INCIDENTS = """
SELECT tenant_id,
    count(*) FILTER (WHERE kind = 'administrative_violation') AS administrative_violations,
    count(*) FILTER (WHERE kind = 'breach_of_obligations') AS breaches,
    count(*) FILTER (WHERE kind = 'new_crime') AS new_crimes,
    count(DISTINCT returnee_id) FILTER (WHERE kind = 'new_crime') AS reoffenders
FROM incidents WHERE "on" BETWEEN %(start)s AND %(end)s GROUP BY tenant_id
"""

COMMUNITY = """
SELECT t.id AS tenant_id,
    (SELECT count(*) FROM outreach_activities o
     WHERE o.tenant_id = t.id AND o."on" BETWEEN %(start)s AND %(end)s) AS outreach_sessions,
    (SELECT coalesce(sum(participants), 0) FROM outreach_activities o
     WHERE o.tenant_id = t.id AND o."on" BETWEEN %(start)s AND %(end)s) AS outreach_participants,
    (SELECT count(*) FROM employers e WHERE e.tenant_id = t.id AND e.active) AS employers_registered,
    (SELECT count(*) FROM commendations c
     WHERE c.tenant_id = t.id AND c."on" BETWEEN %(start)s AND %(end)s) AS commendations
FROM tenants t WHERE t.active
"""


def _years_before(day, years):
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def statements(p: Period) -> list[tuple[str, dict]]:
    ends = p.quarter_ends()
    due = " + ".join(
        f"count(*) FILTER (WHERE managed_since <= DATE '{e}' AND (closed_on IS NULL OR closed_on > DATE '{e}'))"
        for e in ends
    ) or "0"
    grounds = ",\n    ".join(
        f"count(*) FILTER (WHERE status = 'closed' AND closed_on BETWEEN %(start)s AND %(end)s "
        f"AND closure_ground = '{g}') AS closed_{g}" for g in GROUNDS
    )
    quarters = ", ".join(f"({e.year}, {(e.month - 1) // 3 + 1})" for e in ends) or "(0, 0)"
    params = {"start": p.start, "end": p.end, "born18": _years_before(p.end, 18), "born16": _years_before(p.end, 16)}
    return [
        (PEOPLE.format(due=due, grounds=grounds), params),
        (REVIEWS.format(quarters=quarters), params),
        (SUPPORT, params),
        (INCIDENTS, params),
        (COMMUNITY, params),
    ]


def run(conn, p: Period, units: list[int]) -> dict[int, dict[str, int]]:
    """{tenant_id: figures} for every unit in `units` (zeros where a unit has no rows)."""
    out: dict[int, dict[str, int]] = {t: {} for t in units}
    for statement, params in statements(p):
        cur = conn.execute(statement, params)
        names = [d.name for d in cur.description][1:]
        for tenant_id, *values in cur:
            if tenant_id in out:
                out[tenant_id].update(zip(names, (int(v) for v in values), strict=True))
    return out

