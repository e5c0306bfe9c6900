"""Schemathesis over /api/v1/openapi.json (issue 6), in-process against the app on the real database.

Every operation of the document is fuzzed as each role: the commune police, leader and Front member
of Cát Hải, the city police, the system admin, and the commune police of An Khánh (another unit's
user). Both units hold the same seeded rows (tests/fuzz_seed.py), each unit's text carrying its own
marker word. Paths name a unit by slug or 5-digit code and rows by their real ids (or generated
values); for the unit roles, one pass stays in their own unit and one crosses into the other.

Every answer must: not be a 5xx (nor an exception: under TESTING the app lets them through); match
the document (a documented status code, its content type, its body schema); refuse input the
document calls invalid; refuse a call without the token. A *cross-unit probe* (a path naming a unit
the caller does not belong to, or a row of such a unit) must answer 403 or 404, and no answer to any
caller may contain a marker or ID number of a unit the caller does not belong to.

The figures (operations, cases, probes, leaks) go to test-artifacts/api-fuzz-<backend>.json and to
the terminal. Generation is derandomized: the same cases every run.
"""

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks
from schemathesis.errors import FailureGroup

from tests import servers
from tests.conftest import BACKEND
from tests.fuzz_seed import UNITS, seed_campaigns, seed_unit
from tests.helpers_returnees import AN_KHANH, CAT_HAI, bearer, issue_token
from tests.test_report_api import deadlines  # noqa: F401  (autouse: the deadlines the migration seeds)

ROLES = {
    "police_cat_hai": ("commune_police", CAT_HAI),
    "leader_cat_hai": ("commune_leader", CAT_HAI),
    "mttq_cat_hai": ("mttq_member", CAT_HAI),
    "city_police": ("city_police", None),
    "system_admin": ("system_admin", None),
    "police_an_khanh": ("commune_police", AN_KHANH),
}
OWN_EXAMPLES = 15  # per operation and role, in the caller's own unit (or anywhere, for the city's roles)
CROSS_EXAMPLES = 6  # per operation and role, aimed at the other unit
ROW_PARAMS = ("returnee_id", "report_id", "job_id")  # path parameters that name a unit's row
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance, checks.negative_data_rejection, checks.ignored_auth]
SETTINGS = settings(
    derandomize=True, database=None, deadline=None, phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="module")
def app(_migrated, tmp_path_factory):
    """An app of its own (its own file storage) on the test database; the per-test cleanup empties
    the tables after each role, so nothing the fuzzer writes reaches another test.

    Its jobs wait for a queue that cannot be reached (nothing listens on port 1): a requested report
    build is recorded as pending, as when Redis is down, instead of rendering a PDF per generated
    period (test_report_builds covers the builds; here they would take most of the run)."""
    tmp = tmp_path_factory.mktemp("fuzz")
    with servers.custom_app(_migrated, tmp, JOBS_INLINE=False, REDIS_URL=UNREACHABLE_REDIS) as application:
        yield application


@pytest.fixture(scope="module")
def schema(app):
    config = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)


class Tally:
    """The run's figures, for the lead's notes: per role, and status codes per operation."""

    def __init__(self):
        self.roles = {who: Counter(dict.fromkeys(("operations", "cases", "probes", "leaks", "failures"), 0))
                      for who in ROLES}
        self.statuses = defaultdict(Counter)

    def summary(self) -> dict:
        total = Counter()
        for counts in self.roles.values():
            total.update(counts)  # keeps the zeros (`sum` of Counters drops them)
        return {"backend": BACKEND, "roles": len(ROLES), **dict(total),
                "by_role": {who: dict(c) for who, c in self.roles.items()},
                "statuses_by_operation": {op: dict(sorted(c.items())) for op, c in sorted(self.statuses.items())}}


@pytest.fixture(scope="module")
def tally(request):
    """Written to test-artifacts/ and the terminal once every role has run."""
    run = Tally()
    yield run
    summary = run.summary()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"api-fuzz-{BACKEND}.json").write_text(json.dumps(summary, indent=2) + "\n")
    line = (f"API fuzz ({BACKEND}): {len(run.statuses)} operations, {summary['operations']} operation runs over "
            f"{len(ROLES)} roles, {summary['cases']} cases, {summary['probes']} cross-unit probes, "
            f"{summary['leaks']} leaked, {summary['failures']} failures")
    plugins = request.config.pluginmanager
    with plugins.get_plugin("capturemanager").global_and_fixture_disabled():
        plugins.get_plugin("terminalreporter").write_line(line)


@pytest.fixture
def seeded(app, make_user, deadlines):  # noqa: F811
    campaigns = seed_campaigns(app)
    units = {slug: seed_unit(app, slug, make_user("commune_police", slug, full_name=f"Cán bộ {u['marker']}"),
                             campaigns[0])
             for slug, u in UNITS.items()}
    return units, campaigns


class Caller:
    """One role's token, its unit, and what it must never see."""

    def __init__(self, who: str, unit: str | None, headers: dict, units: dict):
        self.who, self.unit, self.headers = who, unit, headers
        self.forbidden = [m for slug, seeded in units.items() if slug != unit for m in seeded.markers]
        # Which unit each fixed path value belongs to.
        self.owner = {}
        for slug, seeded in units.items():
            self.owner.update({("tenant_slug", seeded.slug): slug, ("tenant_slug", seeded.code): slug})
            for name in ROW_PARAMS:
                self.owner.update({(name, value): slug for value in getattr(seeded, name)})

    def is_probe(self, path_parameters: dict) -> bool:
        owners = {self.owner.get((name, value)) for name, value in path_parameters.items()}
        return bool(owners - {None, self.unit})


def path_choices(operation, caller: Caller, units: dict, campaigns: list, cross: bool) -> list[dict]:
    """The fixed path values of one pass (a name left out is generated): every combination of the
    seeded values that leaves the caller's unit (cross pass) or stays in it (own pass; none for the
    city's roles on unit paths, which the cross pass covers)."""
    names = [p.name for p in operation.path_parameters]
    if not cross and caller.unit is None and "tenant_slug" in names:
        return []
    # A unit is always named (an unknown one is a plain 404); rows may also be generated ids.
    values = {"campaign_id": [*campaigns, None], "period": [None],
              "tenant_slug": [v for u in units.values() for v in (u.slug, u.code)]}
    for name in ROW_PARAMS:
        values[name] = [v for u in units.values() for v in getattr(u, name)] + [None]
    combos = [{}]
    for name in names:
        combos = [{**c, **({name: v} if v is not None else {})} for c in combos for v in values[name]]
    return [c for c in combos if caller.is_probe(c) == cross]


def strategy(operation, choices: list[dict]):
    cache = {}

    def cases(fixed: dict):
        key = tuple(sorted(fixed.items()))
        if key not in cache:
            modes = [GenerationMode.POSITIVE]
            free = {p.name for p in operation.path_parameters} - set(fixed)
            if free or len(operation.query) or len(operation.body):
                modes.append(GenerationMode.NEGATIVE)
            cache[key] = st.one_of(*(operation.as_strategy(generation_mode=m, path_parameters=fixed) for m in modes))
        return cache[key]

    return st.sampled_from(choices).flatmap(cases)


def check_case(case, caller: Caller, tally: Tally, failures: list) -> None:
    counts = tally.roles[caller.who]
    counts["cases"] += 1
    probe = caller.is_probe(case.path_parameters)
    counts["probes"] += probe
    try:
        response = case.call(headers=caller.headers)
    except Exception as exc:  # a 500 under TESTING
        failures.append(f"{case.operation.label} {case.path_parameters}: raised {type(exc).__name__}: {exc}")
        return
    tally.statuses[case.operation.label][response.status_code] += 1
    try:
        case.validate_response(response, checks=CHECKS, headers=caller.headers)
    except FailureGroup as exc:
        failures.append(str(exc))
    leaked = [m for m in caller.forbidden if m in response.text]
    if leaked or (probe and response.status_code not in (403, 404)):
        counts["leaks"] += 1
        failures.append(f"LEAK {case.operation.label} {case.path_parameters} -> {response.status_code} {leaked}")


def fuzz(operation, caller: Caller, choices: list[dict], examples: int, tally: Tally, failures: list) -> None:
    if not choices:
        return

    @settings(SETTINGS, max_examples=examples)
    @given(case=strategy(operation, choices))
    def run(case):
        check_case(case, caller, tally, failures)

    run()


@pytest.mark.parametrize("who", ROLES)
def test_every_operation_as_each_role(who, app, schema, seeded, make_user, tally):
    role, unit = ROLES[who]
    units, campaigns = seeded
    caller = Caller(who, unit, bearer(issue_token(app, make_user(role, unit))), units)
    counts, failures = tally.roles[who], []
    for result in schema.get_all_operations():
        operation = result.ok()
        counts["operations"] += 1
        for cross, examples in ((False, OWN_EXAMPLES), (True, CROSS_EXAMPLES)):
            choices = path_choices(operation, caller, units, campaigns, cross)
            fuzz(operation, caller, choices, examples, tally, failures)
    counts["failures"] = len(failures)
    assert not failures, f"{len(failures)} failures:\n" + "\n\n".join(failures[:15])
    assert counts["leaks"] == 0
