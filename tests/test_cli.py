"""The operator commands of the contract, run as a new team member runs them: `flask --app wsgi …`
in a separate process, on a fresh database of their own.

Most tests use their own SQLite file, so they run in both passes; the last two need PostgreSQL
(the login role the app connects as) and run in the PostgreSQL pass.
"""

import hashlib
import os
import re
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portal.auth.passwords import verify_password
from tests.servers import custom_app

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).parent / "flask")
GOOD_PASSWORD = "a long enough password"
# Settings of the surrounding shell that must not leak into a command under test.
FOREIGN = (
    "DATABASE_URL", "MIGRATION_DATABASE_URL", "REDIS_URL", "JOBS_INLINE", "STORAGE_URL", "S3_ENDPOINT_URL",
    "QUEUE_PREFIX", "SECRET_KEY", "PORTAL_INSTANCE_DIR",
)
DEMO = {
    "cathai.police": ("commune_police", "dac_khu_cat_hai"),
    "cathai.leader": ("commune_leader", "dac_khu_cat_hai"),
    "cathai.mttq": ("mttq_member", "dac_khu_cat_hai"),
    "ankhanh.police": ("commune_police", "xa_an_khanh"),
    "ankhanh.leader": ("commune_leader", "xa_an_khanh"),
    "ankhanh.mttq": ("mttq_member", "xa_an_khanh"),
    "city.police": ("city_police", None),
    "admin": ("system_admin", None),
}


class Portal:
    """`flask --app wsgi …` against one database, with a clean environment."""

    def __init__(self, tmp: Path, database_url: str | None = None, **extra_env: str):
        self.tmp = tmp
        self.sqlite_path = tmp / "portal.sqlite3"
        self.database_url = database_url or f"sqlite:///{self.sqlite_path}"
        env = {k: v for k, v in os.environ.items() if k not in FOREIGN and not k.startswith("FLASK_")}
        env.update(
            DATABASE_URL=self.database_url,
            PORTAL_INSTANCE_DIR=str(tmp / "instance"),
            SECRET_KEY="cli-test-" + secrets.token_hex(16),
            PYTHONDONTWRITEBYTECODE="1",
        )
        env.update(extra_env)
        self.env = env

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [FLASK, "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def ok(self, *args: str, stdin: str | None = None) -> str:
        result = self.run(*args, stdin=stdin)
        assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def query(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.sqlite_path) as conn:
            return conn.execute(sql, params).fetchall()

    def dump(self) -> str:
        """Every row of every table, as SQL text."""
        conn = sqlite3.connect(self.sqlite_path)
        try:
            return "\n".join(conn.iterdump())
        finally:
            conn.close()

    def web_app(self):
        """The app a web server would run on this database (the test client stands in for a browser)."""
        database = {"app": self.database_url, "owner": self.database_url}
        return custom_app(database, self.tmp / "web")


def create_alice(portal: Portal, username: str = "alice", stdin: str = GOOD_PASSWORD + "\n"):
    return portal.run(
        "users", "create", username, "--role", "commune_police", "--tenant", "dac_khu_cat_hai", "--password-stdin",
        stdin=stdin,
    )


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    """A fresh database after the first two steps of `make demo`: `db upgrade`, `tenants sync`."""
    portal = Portal(tmp_path_factory.mktemp("cli"))
    portal.ok("db", "upgrade")
    portal.first_sync = portal.ok("tenants", "sync")
    return portal


def test_upgrade_and_sync_load_the_114_units_and_can_run_again(portal):
    assert re.match(r"114 units\b", portal.first_sync), portal.first_sync
    assert portal.query("SELECT count(*) FROM tenants") == [(114,)]
    kinds = dict(portal.query("SELECT kind, count(*) FROM tenants GROUP BY kind"))
    assert kinds == {"xa": 67, "phuong": 45, "dac_khu": 2}
    # Both commands are safe to run again, as an operator does after every deployment.
    portal.ok("db", "upgrade")
    again = portal.ok("tenants", "sync")
    assert re.match(r"114 units\b", again), again
    assert portal.query("SELECT count(*) FROM tenants") == [(114,)]


def test_create_user_reads_the_password_from_stdin_and_can_sign_in(portal):
    result = create_alice(portal)
    assert result.returncode == 0, result.stderr
    assert "alice" in result.stdout
    rows = portal.query(
        "SELECT u.username, u.password_hash, m.role, t.slug FROM users u "
        "JOIN memberships m ON m.user_id = u.id JOIN tenants t ON t.id = m.tenant_id WHERE u.username = 'alice'"
    )
    assert len(rows) == 1
    username, password_hash, role, slug = rows[0]
    assert (username, role, slug) == ("alice", "commune_police", "dac_khu_cat_hai")
    assert GOOD_PASSWORD not in portal.dump()
    assert verify_password(password_hash, GOOD_PASSWORD)

    with portal.web_app() as app:
        response = app.test_client().post("/login", data={"username": "alice", "password": GOOD_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/t/dac_khu_cat_hai/")


BAD_INPUT = {
    # case: (arguments after USERNAME, stdin, what the message must name)
    "bad role": (["--role", "chief", "--tenant", "xa_an_khanh"], GOOD_PASSWORD, ["chief", "commune_police"]),
    "unit role without a unit": (["--role", "commune_leader"], GOOD_PASSWORD, ["--tenant"]),
    "unknown unit": (["--role", "commune_police", "--tenant", "xa_khong_co"], GOOD_PASSWORD, ["xa_khong_co"]),
    "city role with a unit": (["--role", "city_police", "--tenant", "xa_an_khanh"], GOOD_PASSWORD, ["--tenant"]),
    "short password": (["--role", "commune_police", "--tenant", "xa_an_khanh"], "short", ["password", "12"]),
    "nothing on stdin": (["--role", "commune_police", "--tenant", "xa_an_khanh"], "", ["password"]),
}


def test_create_user_refuses_bad_input_with_a_clear_message(portal):
    before = portal.query("SELECT count(*) FROM users")
    # The cases are independent and write nothing, so they run side by side.
    running = {
        case: subprocess.Popen(
            [FLASK, "--app", "wsgi", "users", "create", "bob", *args, "--password-stdin"],
            cwd=ROOT, env=portal.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for case, (args, _, _) in BAD_INPUT.items()
    }
    for case, process in running.items():
        _, stdin, says = BAD_INPUT[case]
        _, stderr = process.communicate(stdin + "\n", timeout=300)
        assert process.returncode != 0, f"{case}: accepted"
        assert "traceback" not in stderr.lower(), f"{case}:\n{stderr}"
        for fragment in says:
            assert fragment.lower() in stderr.lower(), f"{case}: the message does not name {fragment!r}:\n{stderr}"
    assert portal.query("SELECT count(*) FROM users") == before


def test_create_user_refuses_a_duplicate_whatever_the_case(portal):
    first = create_alice(portal, "carol")
    assert first.returncode == 0, first.stderr
    for username in ("carol", "Carol"):
        again = create_alice(portal, username, stdin="another long password\n")
        assert again.returncode != 0
        assert "carol" in again.stderr and "exists" in again.stderr, again.stderr
        assert "traceback" not in again.stderr.lower()
    hashes = portal.query("SELECT password_hash FROM users WHERE username = 'carol'")
    assert len(hashes) == 1
    assert verify_password(hashes[0][0], GOOD_PASSWORD)


def test_token_works_for_the_api_and_only_its_hash_is_stored(portal):
    assert create_alice(portal, "dave").returncode == 0
    output = portal.ok("users", "token", "dave").strip()
    token = output.splitlines()[-1].strip()
    assert len(token) >= 32 and " " not in token

    stored = [row[0] for row in portal.query(
        "SELECT t.token_hash FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE u.username = 'dave'"
    )]
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in portal.dump()

    with portal.web_app() as app:
        client = app.test_client()
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        assert body["username"] == "dave"
        assert [(m["tenant"], m["role"]) for m in body["memberships"]] == [("dac_khu_cat_hai", "commune_police")]
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}x"}).status_code == 401
        assert client.get("/api/v1/me").status_code == 401


def test_token_for_an_unknown_user_is_refused(portal):
    result = portal.run("users", "token", "nobody")
    assert result.returncode != 0
    assert "nobody" in result.stderr
    assert portal.query("SELECT count(*) FROM api_tokens t JOIN users u ON u.id = t.user_id "
                        "WHERE u.username = 'nobody'") == [(0,)]


def test_demo_seed_creates_the_eight_accounts_once(portal):
    output = portal.ok("demo", "seed")
    printed = {}
    for line in output.splitlines():
        fields = line.split()
        if fields and fields[0] in DEMO:
            printed[fields[0]] = fields[-1]
    assert set(printed) == set(DEMO), output

    placeholders = ",".join("?" * len(DEMO))
    rows = portal.query(
        "SELECT u.username, u.password_hash, m.role, t.slug FROM users u JOIN memberships m ON m.user_id = u.id "
        f"LEFT JOIN tenants t ON t.id = m.tenant_id WHERE u.username IN ({placeholders})",
        *DEMO,
    )
    assert {username: (role, slug) for username, _, role, slug in rows} == DEMO
    dump = portal.dump()
    for username, password_hash, _, _ in rows:
        password = printed[username]
        assert output.count(password) == 1
        assert verify_password(password_hash, password), f"the password printed for {username} does not work"
        assert password not in dump
    assert len(set(printed.values())) == len(DEMO)

    # A little sample data in both demo units, each dossier with its status history.
    per_unit = dict(portal.query(
        "SELECT t.slug, count(*) FROM returnees r JOIN tenants t ON t.id = r.tenant_id GROUP BY t.slug"
    ))
    assert per_unit == {"dac_khu_cat_hai": 4, "xa_an_khanh": 2}
    assert portal.query("SELECT count(*) FROM returnees r WHERE NOT EXISTS "
                        "(SELECT 1 FROM status_events e WHERE e.returnee_id = r.id)") == [(0,)]

    # A second run creates nothing and changes no password.
    users_before = portal.query("SELECT username, password_hash FROM users ORDER BY username")
    again = portal.ok("demo", "seed")
    assert portal.query("SELECT username, password_hash FROM users ORDER BY username") == users_before
    assert portal.query("SELECT count(*) FROM returnees") == [(6,)]
    assert not any(password in again for password in printed.values())


def test_app_role_is_for_postgresql_only(portal):
    result = portal.run("tenants", "app-role", "portal_app", "--password-stdin", stdin="secret-secret\n")
    assert result.returncode != 0
    assert "PostgreSQL" in result.stderr


@pytest.fixture
def fresh_postgres():
    """An empty database on the test server, and names for login roles; both dropped afterwards."""
    admin_url = make_url(os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    suffix = f"{os.getpid()}_{secrets.token_hex(3)}"
    name, roles = f"portal_cli_{suffix}", [f"portal_cli_app_{suffix}"]
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    owner_url = admin_url.set(database=name)
    try:
        yield owner_url, roles
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            for role in roles:
                conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
        admin.dispose()


@pytest.mark.postgres
def test_app_role_owns_nothing_and_cannot_bypass_row_level_security(fresh_postgres, tmp_path):
    owner_url, roles = fresh_postgres
    role, password = roles[0], secrets.token_hex(12)
    app_url = owner_url.set(username=role, password=password)
    owner = owner_url.render_as_string(hide_password=False)
    # As in production: the app connects as the app role; migrations and app-role run as the owner.
    portal = Portal(tmp_path, database_url=app_url.render_as_string(hide_password=False),
                    MIGRATION_DATABASE_URL=owner)
    portal.ok("db", "upgrade")
    assert f"role {role}" in portal.ok("tenants", "app-role", role, "--password-stdin", stdin=password + "\n")
    # Idempotent: it runs again after every `db upgrade`.
    portal.ok("tenants", "app-role", role, "--password-stdin", stdin=password + "\n")

    engine = create_engine(owner_url)
    with engine.connect() as conn:
        flags = conn.execute(
            text("SELECT rolsuper, rolbypassrls, rolcreatedb, rolcreaterole, rolcanlogin, rolpassword IS NOT NULL "
                 "FROM pg_authid WHERE rolname = :r"),
            {"r": role},
        ).one()
        assert tuple(flags) == (False, False, False, False, True, True)
        owned = conn.execute(
            text("SELECT c.relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = :r"),
            {"r": role},
        ).scalars().all()
        assert owned == []
        privileges = conn.execute(
            text("SELECT has_table_privilege(:r, 'audit_events', 'INSERT'), "
                 "has_table_privilege(:r, 'audit_events', 'UPDATE'), "
                 "has_table_privilege(:r, 'audit_events', 'DELETE'), "
                 "has_table_privilege(:r, 'audit_events', 'TRUNCATE')"),
            {"r": role},
        ).one()
        assert tuple(privileges) == (True, False, False, False)
    engine.dispose()

    # Connected as the role itself, changing the audit log is refused by the database.
    app_engine = create_engine(app_url)
    for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events",
                      "TRUNCATE audit_events", "DROP TABLE audit_events"):
        with app_engine.connect() as conn, pytest.raises(Exception, match="(?i)permission denied|must be owner"):
            conn.execute(text(statement))
    app_engine.dispose()

    # The rest of the operator's routine works as the app role.
    assert re.match(r"114 units\b", portal.ok("tenants", "sync"))
    portal.ok("users", "create", "erin", "--role", "commune_police", "--tenant", "xa_an_khanh", "--password-stdin",
              stdin=GOOD_PASSWORD + "\n")


@pytest.mark.postgres
def test_app_role_refuses_an_unsafe_name(fresh_postgres, tmp_path):
    owner_url, roles = fresh_postgres
    owner = owner_url.render_as_string(hide_password=False)
    portal = Portal(tmp_path, database_url=owner)
    portal.ok("db", "upgrade")
    bad = 'x"; DROP TABLE audit_events; --'
    result = portal.run("tenants", "app-role", bad, "--password-stdin", stdin="secret-secret\n")
    assert result.returncode != 0
    assert "invalid role name" in result.stderr
    assert "traceback" not in result.stderr.lower(), result.stderr
    engine = create_engine(owner_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT to_regclass('audit_events') IS NOT NULL")).scalar()
        assert conn.execute(text("SELECT count(*) FROM pg_roles WHERE rolname = :r"), {"r": bad}).scalar() == 0
    engine.dispose()
