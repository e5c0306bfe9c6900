import sys

import click
import psycopg
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import create_engine

from tenants import registry, rls

tenants_cli = AppGroup("tenants", help="The registry of Hải Phòng's units.")


@tenants_cli.command("sync")
def sync_command():
    """Load or refresh all units of Hải Phòng (idempotent); prints the count."""
    total, created = registry.sync()
    click.echo(f"{total} units ({created} new)")


@tenants_cli.command("app-role")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the role's password from standard input.")
def app_role_command(name, password_stdin):
    """Create or correct the PostgreSQL login role the app connects as (run as the owner)."""
    url = current_app.config["MIGRATION_DATABASE_URL"]
    if not url.startswith("postgresql"):
        raise click.ClickException("app-role applies to PostgreSQL only")
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    if not rls.ROLE_NAME.match(name):
        raise click.ClickException(f"invalid role name {name!r}: lowercase letters, digits and _ only")
    engine = create_engine(url)
    try:
        raw = engine.raw_connection()
        try:
            rls.ensure_app_role(raw.driver_connection, name, password)
        finally:
            raw.close()
    except psycopg.Error as exc:
        raise click.ClickException(f"could not prepare role {name}: {exc}".strip()) from exc
    finally:
        engine.dispose()
    click.echo(f"role {name} ready")
