"""Every main page and API call issues a constant number of SQL statements, whatever the row count,
and never a lazy load (DESIGN.md §14, issue 7).

One table names each page, who asks for it and its bound: at most 6 statements for a list, 8 for a
dossier; other pages carry the count measured when the bound was set, so any growth fails. The unit
and the city are filled with 10 rows of every kind, each page is counted, then filled up to 1,000
rows and counted again: the counts must be identical. Another test keeps the table whole: every GET
endpoint of the app and every GET of the OpenAPI document is in it, or named below with the reason.
"""

import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, event, select
from sqlalchemy.orm import Session

from blueprints.returnees import facts
from blueprints.returnees.models import Returnee
from portal.auth import sessions
from portal.extensions import db
from tenants.context import use_tenant
from tests import statement_world
from tests.conftest import BACKEND, tenant
from tests.helpers_returnees import CAT_HAI, add_conviction, bearer, make_returnee

LIST, DOSSIER = 6, 8  # DESIGN §14; any other page: the count measured when its row was written


@dataclass(frozen=True)
class Page:
    name: str
    url: str  # a template over the world's ids: {slug}, {rid}, {cid}, …
    who: str  # police / city / admin (signed-in browsers), api:police / api:city (bearer tokens)
    bound: int
    kind: str = "page"  # list / dossier / page: which bound applies


def lst(name, url, who="police"):
    return Page(name, url, who, LIST, "list")


def page(name, url, bound, who="police"):
    return Page(name, url, who, bound)


T, R = "/t/{slug}", "/t/{slug}/returnees/{rid}"
API, API_T = "/api/v1", "/api/v1/t/{slug}"
PAGES = [
    # The unit: home, the dossiers and each part of a dossier.
    page("unit home", f"{T}/", 10),
    lst("returnees", f"{T}/returnees"),
    lst("returnees, searched", f"{T}/returnees?q=nguyen+van"),
    lst("returnees, filtered", f"{T}/returnees?status=under_management&group=A&age=&hamlet=Th%C3%B4n+1&overdue=y"),
    lst("returnees, minors, page 2", f"{T}/returnees?age=minor&page=2"),
    Page("dossier", R, "police", DOSSIER, "dossier"),
    page("dossier: care overview", f"{R}/care", 5),
    page("dossier: assignments", f"{R}/assignments", 5),
    page("dossier: contacts", f"{R}/contacts", 7),
    page("dossier: reviews", f"{R}/reviews", 5),
    page("dossier: support", f"{R}/support", 6),
    page("dossier: a support action", f"{R}/support/{{action}}", 6),
    page("dossier: incidents", f"{R}/incidents", 5),
    page("dossier: comments", f"{R}/comments", 5),
    page("dossier: edit", f"{R}/edit", 3),
    page("dossier: subject access", f"{R}/subject-access", 3),
    page("dossier: transfer", f"{R}/transfer", 4),
    page("dossier: status change", f"{R}/transition/{{to}}", 3),
    page("dossier: new conviction", f"{R}/convictions/new", 3),
    page("dossier: edit conviction", f"{R}/convictions/{{conviction}}/edit", 4),
    page("new dossier", f"{T}/returnees/new", 2),
    page("import dossiers", f"{T}/returnees/import", 2),
    page("import template", f"{T}/returnees/import/template.xlsx", 2),
    page("export dossiers", f"{T}/returnees/export.xlsx", 4),
    # The unit's teams, transfers, community work, files and jobs.
    lst("teams", f"{T}/teams"),
    page("team", f"{T}/teams/{{team}}", 7),
    lst("transfers", f"{T}/transfers"),
    page("transfer", f"{T}/transfers/{{transfer}}", 4),
    lst("employers", f"{T}/employers"),
    page("new employer", f"{T}/employers/new", 2),
    page("edit employer", f"{T}/employers/{{employer}}/edit", 3),
    lst("outreach", f"{T}/outreach"),
    page("new outreach", f"{T}/outreach/new", 2),
    page("edit outreach", f"{T}/outreach/{{outreach}}/edit", 3),
    lst("commendations", f"{T}/commendations"),
    page("new commendation", f"{T}/commendations/new", 2),
    page("edit commendation", f"{T}/commendations/{{commendation}}/edit", 3),
    lst("files", f"{T}/files"),
    page("job", f"{T}/jobs/{{task}}", 3),
    # Reports and campaigns of the unit.
    lst("reports", f"{T}/reports/"),
    # A draft computes its live figures: one statement for all of them (blueprints/reports/figures.py).
    page("report", f"{T}/reports/{{report}}", 6),
    page("report: edit", f"{T}/reports/{{report}}/edit", 3),
    page("report: people of a figure", f"{T}/reports/{{report}}/figures/{{figure}}", 5),
    page("unit dashboard", f"{T}/reports/dashboard", 8),  # four quarters' live figures, one each
    lst("campaigns", f"{T}/campaigns/"),
    page("campaign", f"{T}/campaigns/{{cid}}", 11),
    page("campaign plan", f"{T}/campaigns/{{cid}}/plan", 5),
    page("campaign: new person", f"{T}/campaigns/{{cid}}/people/new", 3),
    page("campaign: import people", f"{T}/campaigns/{{cid}}/people/import", 3),
    page("campaign: arrival", f"{T}/campaigns/{{cid}}/people/{{person}}/arrive", 4),
    lst("loan lists", f"{T}/campaigns/loans"),
    page("loan list", f"{T}/campaigns/loans/{{month}}", 7),
    page("loan list export", f"{T}/campaigns/loans/{{month}}.xlsx", 5),
    # The city.
    page("city home", "/city/", 2, "city"),
    lst("city campaigns", "/city/campaigns/", "city"),
    page("city: new campaign", "/city/campaigns/new", 1, "city"),
    page("city: campaign board", "/city/campaigns/{cid}", 5, "city"),
    page("city: edit campaign", "/city/campaigns/{cid}/edit", 2, "city"),
    page("city: campaign export", "/city/campaigns/{cid}/export.xlsx", 5, "city"),
    page("city dashboard", "/city/dashboard", 3, "city"),
    page("city roll-ups", "/city/rollups/", 1, "city"),
    page("city roll-up board", "/city/rollups/{period}", 7, "city"),
    page("city roll-up board, live", "/city/rollups/{period}?source=live", 7, "city"),
    page("city roll-up of a unit", "/city/rollups/{period}/units/{code}", 3, "city"),
    page("city report deadlines", "/city/report-deadlines", 2, "city"),
    page("city job", "/city/jobs/{city_task}", 2, "city"),
    # Administration and one's own account.
    page("admin home", "/admin/", 3, "admin"),
    lst("admin: audit log", "/admin/audit", "admin"),
    lst("admin: units", "/admin/units", "admin"),
    lst("admin: users", "/admin/users", "admin"),
    page("admin: an account", "/admin/users/{police_id}", 5, "admin"),
    page("admin: new account", "/admin/users/new", 2, "admin"),
    lst("admin: breaches", "/admin/breaches", "admin"),
    page("admin: a breach", "/admin/breaches/{breach}", 4, "admin"),
    page("admin: new breach", "/admin/breaches/new", 2, "admin"),
    page("account", "/account", 1),
    page("account: sessions", "/account/sessions", 2),
    page("account: password", "/account/password", 1),
    page("account: second factor", "/account/second-factor", 1),
    page("choose a unit", "/units", 1),
    # The API (every GET of the OpenAPI document).
    page("api: me", f"{API}/me", 1, "api:police"),
    lst("api: units", f"{API}/tenants", "api:police"),
    lst("api: returnees", f"{API_T}/returnees", "api:police"),
    lst("api: returnees, searched", f"{API_T}/returnees?q=nguyen+van&status=under_management", "api:police"),
    Page("api: a returnee", f"{API_T}/returnees/{{rid}}", "api:police", DOSSIER, "dossier"),
    lst("api: contacts", f"{API_T}/returnees/{{rid}}/contacts", "api:police"),
    lst("api: comments", f"{API_T}/returnees/{{rid}}/comments", "api:police"),
    lst("api: reports", f"{API_T}/reports", "api:police"),
    page("api: a report", f"{API_T}/reports/{{report}}", 5, "api:police"),  # live figures, as above
    page("api: a unit's campaign", f"{API_T}/campaigns/{{cid}}", 7, "api:police"),
    page("api: a job", f"{API}/jobs/{{task}}", 2, "api:police"),
    lst("api: campaigns", f"{API}/campaigns", "api:city"),
    page("api: campaign board", f"{API}/city/campaigns/{{cid}}/board", 4, "api:city"),
    page("api: city roll-up", f"{API}/city/rollups/{{period}}", 4, "api:city"),
    page("api: OpenAPI document", f"{API}/openapi.json", 0, "api:police"),
]

# GET endpoints left out of the table, and why.
NOT_COUNTED = {
    "static": "files, no SQL",
    "health.healthz": "process check, no SQL",
    "health.readyz": "one probe of each service",
    "auth.login": "the sign-in form (no user yet)",
    "auth.second_factor": "the second step of a sign-in",
    "auth.index": "redirects to the user's home",
    "units.file_download": "a short-lived signed link, tested with the files",
    "reports.download": "a short-lived signed link, tested with the builds",
    "rollups.download": "a short-lived signed link, tested with the builds",
    "campaigns.document_download": "a short-lived signed link, tested with the plan documents",
}


@contextmanager
def lazy_loads():
    """Records every statement the ORM issues to fill one object's relationship (a lazy load) or its
    unloaded columns: each is one hidden query per object, the N+1 this test exists to catch."""
    seen = []

    def record(state):
        if state.lazy_loaded_from is not None or state.is_column_load:
            seen.append(str(state.statement)[:120])

    event.listen(Session, "do_orm_execute", record)
    try:
        yield seen
    finally:
        event.remove(Session, "do_orm_execute", record)


def measure(world, count_queries) -> dict[str, tuple[int, list]]:
    """{page name: (statements, lazy loads)} for every page of the table."""
    counts = {}
    for p in PAGES:
        url = p.url.format(**world)
        who, _, token = p.who.partition(":")
        client = world["clients"]["police" if token else who]
        headers = bearer(world["tokens"][token]) if token else {}
        with lazy_loads() as lazy, count_queries() as queries:
            response = client.get(url, headers=headers)
        assert response.status_code == 200, (p.name, url, response.status_code)
        counts[p.name] = (len(queries), lazy)
    return counts


@pytest.fixture
def world(app, login, monkeypatch):
    # A session's last-seen time is written at most once a minute: never during this test, so no
    # request pays for it by chance.
    monkeypatch.setattr(sessions, "TOUCH_EVERY", timedelta(days=1))
    with app.app_context():
        today = facts.today()
    built = statement_world.build(app, login, today)
    built.update(police_id=built["clients"]["police"].user_id, to="in_custody", figure="under_management")
    return built


@pytest.fixture
def analyze(_migrated):
    """Fresh planner statistics after a bulk load, as autovacuum gathers them (PostgreSQL): without
    them the planner takes every table for empty."""

    def run():
        if BACKEND != "postgresql":
            return
        engine = create_engine(_migrated["owner"], isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
        engine.dispose()

    return run


def test_every_page_costs_the_same_statements_for_10_or_1000_rows(app, world, analyze, count_queries):
    statement_world.grow(app, world, 10, start=0)
    analyze()
    few = measure(world, count_queries)
    statement_world.grow(app, world, 990, start=10)
    analyze()
    many = measure(world, count_queries)
    print(f"\n{'page':40} {'kind':8} {'10 rows':>8} {'1000 rows':>10} {'bound':>6}")
    for p in PAGES:
        print(f"{p.name:40} {p.kind:8} {few[p.name][0]:8} {many[p.name][0]:10} {p.bound:6}")
    assert {n: c for n, (c, _) in few.items()} == {n: c for n, (c, _) in many.items()}
    assert {n: lazy for n, (_, lazy) in many.items() if lazy} == {}
    over = {p.name: many[p.name][0] for p in PAGES if many[p.name][0] > p.bound}
    assert over == {}


def test_the_table_names_every_get_endpoint_and_every_api_get(app):
    shapes = {re.sub(r"\{[^}]+\}", "<>", p.url.split("?")[0]) for p in PAGES}
    missing = [
        rule.rule for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint not in NOT_COUNTED
        and re.sub(r"<[^>]+>", "<>", rule.rule) not in shapes
    ]
    assert missing == []
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    base = document["servers"][0]["url"]
    api = {re.sub(r"\{[^}]+\}", "<>", base + path) for path, ops in document["paths"].items() if "get" in ops}
    assert len(api) > 10 and api - shapes == set()


def test_the_detector_sees_a_lazy_load(app):
    rid = make_returnee(app)
    add_conviction(app, CAT_HAI, rid)
    with app.app_context(), use_tenant(tenant(CAT_HAI)), lazy_loads() as seen:
        returnee = db.session.scalar(select(Returnee).where(Returnee.id == rid))
        assert seen == []
        assert len(returnee.convictions) == 1  # not loaded with the person: one more query
        assert len(seen) == 1
        db.session.remove()
