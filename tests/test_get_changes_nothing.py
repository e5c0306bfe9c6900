"""A GET changes nothing (ASVS V3.5.3): every change is a POST or PATCH, so a link followed, a page
prefetched or an image tag pointing at the portal cannot alter a dossier.

The world of the statement-count test (tests/statement_world.py) is built and filled with 10 rows of
every kind; then every GET page and API call of that test's table is asked for, as the role it names,
and every table of the database is compared with what it held before: its row count and a hash of all
its rows. Only three tables may change: the audit log (reads of personal data are audited), the
sessions (their last-seen time) and the figures a unit publishes (a page may bring them up to date).
Both backends run it; on PostgreSQL the snapshot is read as the owner, which row-level security does
not confine, so every unit's rows are compared.
"""

import hashlib

import pytest
from sqlalchemy import create_engine, inspect, text

from blueprints.returnees import facts
from tests import statement_world
from tests.helpers_returnees import bearer
from tests.test_statement_counts import PAGES

MAY_CHANGE = {"audit_events", "user_sessions", "unit_figures"}


@pytest.fixture
def world(app, login):
    with app.app_context():
        today = facts.today()
    built = statement_world.build(app, login, today)
    built.update(police_id=built["clients"]["police"].user_id, to="in_custody", figure="under_management")
    statement_world.grow(app, built, 10, start=0)
    return built


@pytest.fixture
def snapshot(_migrated):
    """{table: (rows, hash of the sorted rows)} of every table of the database, read as the owner."""
    engine = create_engine(_migrated["owner"])

    def take() -> dict[str, tuple[int, str]]:
        found = {}
        with engine.connect() as conn:
            for name in sorted(inspect(conn).get_table_names()):
                rows = sorted(repr(tuple(row)) for row in conn.execute(text(f'SELECT * FROM "{name}"')))  # noqa: S608
                found[name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
        return found

    yield take
    engine.dispose()


def changed(before: dict, after: dict) -> list[str]:
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


def test_no_get_changes_anything_but_the_audit_log_sessions_and_published_figures(app, world, snapshot):
    before = snapshot()
    assert before["returnees"][0] >= 10 and before["tenants"][0] >= 100  # every unit's rows are seen
    writes = {}
    for page in PAGES:
        who, _, token = page.who.partition(":")
        client = world["clients"]["police" if token else who]
        response = client.get(page.url.format(**world), headers=bearer(world["tokens"][token]) if token else {})
        assert response.status_code == 200, (page.name, response.status_code)
        after = snapshot()
        if wrote := [name for name in changed(before, after) if name not in MAY_CHANGE]:
            writes[page.name] = wrote
        before = after
    assert writes == {}
