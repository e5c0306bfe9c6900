"""Migrations run forward from empty, step back one and forward again, on both databases, with a
single head; and a database connection dropped between requests does not fail the next one."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from tests.conftest import BACKEND

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "portal" / "migrations"


def _flask(database_url: str, *args: str, instance: Path) -> str:
    env = dict(os.environ, DATABASE_URL=database_url, MIGRATION_DATABASE_URL=database_url, REDIS_URL="",
               SECRET_KEY="migration-test-" + "x" * 24, PORTAL_INSTANCE_DIR=str(instance))
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout + done.stderr


def test_the_migrations_have_a_single_head():
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


@pytest.fixture
def empty_database(tmp_path):
    if BACKEND == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    admin_url = make_url(os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    name = f"portal_migrations_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield admin_url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _schema(url: str) -> dict:
    """Every table's columns and indexes."""
    engine = create_engine(url)
    try:
        found = inspect(engine)
        return {
            table: (sorted(c["name"] for c in found.get_columns(table)),
                    sorted((i["name"], tuple(i["column_names"])) for i in found.get_indexes(table)))
            for table in found.get_table_names()
        }
    finally:
        engine.dispose()


def _indexes(schema: dict, table: str) -> set:
    return {name for name, _ in schema[table][1]}


def test_upgrade_from_empty_then_two_steps_down_and_up_again(empty_database, tmp_path):
    _flask(empty_database, "upgrade", instance=tmp_path)
    at_head = _schema(empty_database)
    assert {"returnees", "reports", "campaigns", "recovery_codes", "user_sessions", "breach_records"} <= set(at_head)
    assert {"ix_returnees_tenant_search", "ix_returnees_tenant_hamlet"} <= _indexes(at_head, "returnees")
    _flask(empty_database, "downgrade", "--", "-1", instance=tmp_path)
    stepped_back = _schema(empty_database)
    assert not {"ix_returnees_tenant_search", "ix_returnees_tenant_hamlet"} & _indexes(stepped_back, "returnees")
    assert "user_sessions" in stepped_back
    _flask(empty_database, "downgrade", "--", "-1", instance=tmp_path)
    stepped_back = _schema(empty_database)
    assert not {"user_sessions", "breach_records", "breach_record_units"} & set(stepped_back)
    assert "recovery_codes" in stepped_back
    _flask(empty_database, "upgrade", instance=tmp_path)
    assert _schema(empty_database) == at_head


def test_the_migrated_schema_is_the_models_schema(app, empty_database, tmp_path):
    """What the code declares is what a deployment gets: no table, column or index only on one side."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from portal.extensions import db

    _flask(empty_database, "upgrade", instance=tmp_path)
    engine = create_engine(empty_database)
    try:
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), db.metadata)
    finally:
        engine.dispose()
    assert differences == []


@pytest.mark.postgres
def test_a_connection_dropped_between_requests_does_not_fail_the_next(app, login, database):
    client = login("commune_police", "dac_khu_cat_hai")
    assert client.get("/t/dac_khu_cat_hai/").status_code == 200
    admin_url = make_url(os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        dropped = conn.execute(
            text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                 "WHERE datname = :name AND usename = :role"),
            {"name": make_url(database["app"]).database, "role": database["role"]},
        ).scalar()
    admin.dispose()
    assert dropped >= 1  # the app's pooled connection was there, and is gone now
    assert client.get("/t/dac_khu_cat_hai/").status_code == 200
