"""PostgreSQL row-level security: the policies (run by migrations as the owner) and the app role.

The app connects as a role that owns no table, is not a superuser and cannot bypass RLS; every
tenant-owned table FORCEs its policy, and an unset unit reads as NULL, so it sees no rows.
"""

import re

from psycopg import sql

SETTING = "app.tenant_id"
_CURRENT = f"NULLIF(current_setting('{SETTING}', true), '')::integer"
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# The app may add to these but never change or remove what is there.
APPEND_ONLY = ("audit_events",)


def policy_statements(table: str) -> list[str]:
    """DDL that confines `table` to the current unit; table names come from code, never input."""
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} USING (tenant_id = {_CURRENT}) "
        f"WITH CHECK (tenant_id = {_CURRENT})",
    ]


def published_policy_statements(table: str) -> list[str]:
    """DDL for a table of figures a unit publishes to the city: anyone may read it (counts only,
    never a person), but a row can be written only while acting for its own unit."""
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY published_read ON {table} FOR SELECT USING (true)",
        f"CREATE POLICY published_insert ON {table} FOR INSERT WITH CHECK (tenant_id = {_CURRENT})",
        f"CREATE POLICY published_update ON {table} FOR UPDATE USING (tenant_id = {_CURRENT}) "
        f"WITH CHECK (tenant_id = {_CURRENT})",
        f"CREATE POLICY published_delete ON {table} FOR DELETE USING (tenant_id = {_CURRENT})",
    ]


def drop_published_policy_statements(table: str) -> list[str]:
    return [
        *(f"DROP POLICY IF EXISTS published_{verb} ON {table}" for verb in ("read", "insert", "update", "delete")),
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
    ]


def drop_policy_statements(table: str) -> list[str]:
    return [
        f"DROP POLICY IF EXISTS tenant_isolation ON {table}",
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
    ]


def ensure_app_role(dbapi_conn, name: str, password: str | None) -> None:
    """Create (or correct) the login role the app uses, and grant it what it needs and no more.

    Idempotent: run it again after every `db upgrade`. Default privileges cover tables that later
    migrations create, but append-only tables are revoked again here.
    """
    if not ROLE_NAME.match(name):
        raise ValueError(f"invalid role name: {name!r}")
    role = sql.Identifier(name)
    with dbapi_conn.cursor() as cur:
        cur.execute(
            "SELECT rolsuper OR rolbypassrls OR rolcreatedb OR rolcreaterole OR NOT rolcanlogin "
            "FROM pg_roles WHERE rolname = %s",
            (name,),
        )
        found = cur.fetchone()
        if found is None:
            cur.execute(sql.SQL("CREATE ROLE {} LOGIN").format(role))
        elif found[0]:
            # Only a superuser may change these attributes, so touch them only when they are wrong.
            cur.execute(
                sql.SQL("ALTER ROLE {} NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE LOGIN").format(role)
            )
        if password:
            cur.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(role, sql.Literal(password)))
        for statement in (
            "GRANT USAGE ON SCHEMA public TO {}",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}",
            "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {}",
            "REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {}",
        ):
            cur.execute(sql.SQL(statement).format(role))
        for table in APPEND_ONLY:
            cur.execute(
                sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(sql.Identifier(table), role)
            )
    dbapi_conn.commit()
