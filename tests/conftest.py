"""Test toolkit: a real database per run (SQLite or PostgreSQL with row-level security), the app,
clients signed in as users of chosen roles and units, and a per-test cleanup.

PORTAL_TEST_DB=sqlite runs the embedded default; PORTAL_TEST_DB=postgresql (what `make test` runs
second) creates a throwaway database on TEST_DATABASE_URL, migrates it as the owner and connects the
app as a role that owns nothing and cannot bypass row-level security.
"""

import os
import secrets
import uuid
from datetime import UTC, datetime

import pytest
import redis
from flask.globals import _cv_app
from flask_login.utils import _create_identifier
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import make_url

from portal.accounts import Membership, User, UserSession
from portal.app import create_app
from portal.auth.passwords import hash_password
from portal.extensions import db
from tenants import registry, rls
from tenants.models import Tenant

BACKEND = os.environ.get("PORTAL_TEST_DB", "sqlite")
PASSWORD = "correct horse battery staple"
_PASSWORD_HASH = hash_password(PASSWORD)
KEEP_TABLES = {"tenants", "alembic_version"}


def pytest_report_header(config):
    return f"portal test pass: {BACKEND}"


def pytest_collection_modifyitems(config, items):
    if BACKEND == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL/Redis: runs in the PostgreSQL pass of `make test`")
    for item in items:
        if "postgres" in item.keywords or "redis" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    """Connection settings for a migrated database holding the 114 units; dropped afterwards."""
    if BACKEND == "sqlite":
        path = tmp_path_factory.mktemp("db") / "portal.sqlite3"
        yield {"app": f"sqlite:///{path}", "owner": f"sqlite:///{path}"}
        return
    admin_url = make_url(os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    suffix = f"{os.getpid()}_{secrets.token_hex(3)}"
    name, role, password = f"portal_test_{suffix}", f"portal_app_{suffix}", secrets.token_hex(12)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    owner_url = admin_url.set(database=name)
    app_url = owner_url.set(username=role, password=password)
    yield {
        "app": app_url.render_as_string(hide_password=False),
        "owner": owner_url.render_as_string(hide_password=False),
        "role": role,
        "password": password,
    }
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
    admin.dispose()


def app_config(database, tmp_path, **extra) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-" + "x" * 20,
        "SQLALCHEMY_DATABASE_URI": database["app"],
        "MIGRATION_DATABASE_URL": database["owner"],
        "WTF_CSRF_ENABLED": False,
        "STORAGE_URL": f"file://{tmp_path / 'files'}",
        "INSTANCE_DIR": str(tmp_path / "instance"),
        "JOBS_INLINE": True,
        "REDIS_URL": "",
        "QUEUE_PREFIX": f"test-{os.getpid()}",
        "SESSION_COOKIE_SECURE": False,
        "SESSION_COOKIE_NAME": "portal_session",
    }
    if BACKEND == "postgresql":
        config["REDIS_URL"] = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    config.update(extra)
    return config


@pytest.fixture(scope="session")
def _migrated(database, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("setup")
    setup_app = create_app(app_config(database, tmp, SQLALCHEMY_DATABASE_URI=database["owner"]))
    with setup_app.app_context():
        upgrade(directory=setup_app.extensions["migrate"].directory)
        if BACKEND == "postgresql":
            engine = create_engine(database["owner"])
            raw = engine.raw_connection()
            rls.ensure_app_role(raw.driver_connection, database["role"], database["password"])
            raw.close()
            engine.dispose()
        registry.sync()
        db.engine.dispose()
    return database


@pytest.fixture(scope="session")
def app(_migrated, tmp_path_factory):
    application = create_app(app_config(_migrated, tmp_path_factory.mktemp("app")))
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean(request, _migrated):
    """Each test starts with the 114 units and nothing else; nothing is dropped or recreated."""
    yield
    if _cv_app.get(None) is not None:
        # Every later request of the shared app would reuse this context (one g, one session).
        while _cv_app.get(None) is not None:
            _cv_app.get().pop()
        pytest.fail("the test left an application context pushed")
    if "app" in request.fixturenames:
        request.getfixturevalue("app").extensions.pop("login_counters", None)
    engine = create_engine(_migrated["owner"])
    with engine.begin() as conn:
        tables = [t for t in db.metadata.sorted_tables if t.name not in KEEP_TABLES]
        if BACKEND == "postgresql":
            names = ", ".join(t.name for t in tables)
            conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            for table in reversed(tables):
                conn.execute(table.delete())
        conn.execute(text("UPDATE tenants SET active = :a, locale = NULL"), {"a": True})
    engine.dispose()
    if BACKEND == "postgresql":
        client = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
        for key in client.scan_iter(f"test-{os.getpid()}*"):
            client.delete(key)
        for key in client.scan_iter(f"rq:*test-{os.getpid()}*"):
            client.delete(key)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.remove()


def tenant(slug: str) -> Tenant:
    return db.session.scalar(select(Tenant).where(Tenant.slug == slug))


@pytest.fixture
def make_user(app):
    """make_user(role, unit_slug=None, username=None) → user id; password is conftest.PASSWORD."""

    def make(role: str, unit: str | None = None, username: str | None = None, **fields) -> int:
        with app.app_context():
            user = User(
                username=username or f"{role}-{uuid.uuid4().hex[:8]}",
                password_hash=_PASSWORD_HASH,
                full_name=fields.pop("full_name", "Người dùng thử"),
                **fields,
            )
            user.memberships.append(Membership(tenant_id=tenant(unit).id if unit else None, role=role))
            db.session.add(user)
            db.session.commit()
            user_id = user.id
            db.session.remove()
            return user_id

    return make


def sign_in(client, app, user_id: int) -> None:
    """Put a signed-in session in the client's cookie (the login form has its own tests)."""
    with app.app_context():
        user = db.session.get(User, user_id)
        row, secret = UserSession.open(user, "", "127.0.0.1", datetime.now(UTC).replace(tzinfo=None))
        db.session.add(row)
        db.session.commit()
        client.session_id = row.id
        db.session.remove()
    with client.session_transaction() as session:
        session["_user_id"] = secret
        session["_fresh"] = True
        # Flask-Login's "strong" protection binds the session to the client's address and agent.
        with app.test_request_context(environ_base=client.environ_base):
            session["_id"] = _create_identifier()


@pytest.fixture
def login(app, make_user):
    """login(role, unit=None) → a test client signed in as a new user with that membership."""

    def make(role: str, unit: str | None = None, **fields):
        client = app.test_client()
        user_id = make_user(role, unit, **fields)
        sign_in(client, app, user_id)
        client.user_id = user_id
        return client

    return make


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, *args):
        self.statements.append(statement)

    def __len__(self):
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """with count_queries() as q: … ; len(q) is the number of SQL statements sent."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        counter = QueryCounter()
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", counter)

    return counting


@pytest.fixture(scope="session")
def moto():
    """The endpoint of moto's standalone S3 server, a subprocess on loopback, for the whole run."""
    from tests import servers

    with servers.moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def aws(monkeypatch):
    """Dummy credentials for boto3 (moto accepts any)."""
    from tests import servers

    for name, value in servers.DUMMY_AWS.items():
        monkeypatch.setenv(name, value)
