"""Operator commands: `flask --app wsgi users …`, `demo seed`, `jobs …` (and `tenants …`)."""

import sys

import click
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from blueprints.reports.cli import reports_cli
from blueprints.returnees.cli import returnees_cli
from portal import audit, crypto
from portal.accounts import ApiToken, Membership, User
from portal.auth.passwords import hash_password, password_problem
from portal.extensions import db
from portal.permissions import CITY_ROLES, UNIT_ROLES, Role
from tenants.cli import tenants_cli
from tenants.resolve import find_tenant

users_cli = AppGroup("users", help="Accounts and API tokens.")
jobs_cli = AppGroup("jobs", help="Background workers.")
demo_cli = AppGroup("demo", help="The seeded demonstration.")


def create_user(username: str, role: Role, tenant_slug: str | None, password: str, full_name: str = "") -> User:
    """Create an account with one membership; raises click errors on bad input."""
    username = username.strip().lower()
    with force_locale("en"):
        problem = password_problem(password, username, full_name)
    if problem:
        raise click.ClickException(f"the password is refused: {problem}")
    if role in UNIT_ROLES and not tenant_slug:
        raise click.ClickException(f"role {role} needs --tenant")
    if role in CITY_ROLES and tenant_slug:
        raise click.ClickException(f"role {role} is city-level: do not give --tenant")
    tenant = None
    if tenant_slug:
        tenant = find_tenant(tenant_slug)
        if tenant is None:
            raise click.ClickException(f"no active unit {tenant_slug!r} (run `flask --app wsgi tenants sync`)")
    user = db.session.scalar(select(User).where(User.username == username))
    if user is not None:
        raise click.ClickException(f"user {username} exists")
    user = User(username=username, full_name=full_name or username, password_hash=hash_password(password))
    user.memberships.append(Membership(tenant_id=tenant.id if tenant else None, role=role))
    db.session.add(user)
    db.session.commit()
    return user


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--tenant", "tenant_slug", help="Unit slug or 5-digit code, for unit roles.")
@click.option("--password-stdin", is_flag=True, required=True, help="Read the password from standard input.")
@click.option("--full-name", default="")
def create_command(username, role, tenant_slug, password_stdin, full_name):
    """Create an account."""
    password = sys.stdin.readline().rstrip("\n")
    user = create_user(username, Role(role), tenant_slug, password, full_name)
    click.echo(f"created {user.username} ({role}{' @ ' + tenant_slug if tenant_slug else ''})")


@users_cli.command("token")
@click.argument("username")
def token_command(username):
    """Print a new API token for USERNAME (only its hash is stored)."""
    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.active:
        raise click.ClickException(f"no active user {username}")
    api_token, token = ApiToken.issue(user)
    db.session.add(api_token)
    db.session.commit()
    click.echo(token)


@users_cli.command("end-sessions")
@click.argument("username", required=False)
@click.option("--all", "everyone", is_flag=True, help="Every account (after a suspected breach).")
def end_sessions_command(username, everyone):
    """Sign USERNAME (or, with --all, every account) out of every browser."""
    if bool(username) == everyone:
        raise click.UsageError("give a USERNAME or --all")
    query = select(User) if everyone else select(User).where(User.username == username.strip().lower())
    users = db.session.scalars(query).all()
    if not users:
        raise click.ClickException(f"no user {username}")
    for user in users:
        user.end_all_sessions()
    audit.record("users.end_sessions", object_type="users", object_id="all" if everyone else users[0].id)
    db.session.commit()
    click.echo(f"ended the sessions of {len(users)} account(s)")


@users_cli.command("reencrypt")
def reencrypt_command():
    """Re-encrypt every stored second-factor key under the first key of DATA_ENCRYPTION_KEYS."""
    users = db.session.scalars(select(User).where(User.totp_secret.is_not(None))).all()
    for user in users:
        user.totp_secret = crypto.reencrypt(user.totp_secret)
    db.session.commit()
    click.echo(f"re-encrypted {len(users)} second-factor keys")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.argument("purposes", nargs=-1)
def worker_command(burst, purposes):
    """Run an RQ worker inside the app (queues by purpose; all by default)."""
    import redis
    from flask import current_app

    from workers import worker
    from workers.queues import QUEUES
    from workers.runner import enqueue_pending

    if current_app.config["JOBS_INLINE"] or not current_app.config["REDIS_URL"]:
        raise click.ClickException("jobs run in-process here: set REDIS_URL (and JOBS_INLINE=0) to use workers")
    unknown = set(purposes) - set(QUEUES)
    if unknown:
        raise click.BadParameter(f"unknown queue(s) {', '.join(sorted(unknown))}; known: {', '.join(QUEUES)}")
    queued = enqueue_pending()
    if queued:
        click.echo(f"queued {queued} job(s) recorded while Redis was down")
    try:
        worker.run(tuple(purposes), burst=burst)
    except redis.ConnectionError as exc:
        raise click.ClickException("Redis is unreachable; the jobs stay recorded and will be queued later") from exc


@jobs_cli.command("requeue")
def requeue_command():
    """Queue the jobs recorded while Redis was down (run it from the scheduler)."""
    from workers.runner import enqueue_pending

    click.echo(f"{enqueue_pending()} job(s) queued")


@demo_cli.command("seed")
def seed_command():
    """Demo accounts, one per role, with random passwords printed once."""
    from blueprints.returnees.facts import today
    from portal.demo import seed
    from portal.demo_people import seed_people
    from portal.demo_reports import seed_reports

    accounts = seed()
    for username, role, unit, password in accounts:
        click.echo(f"{username:<22} {role:<16} {unit or '-':<18} {password}")
    if not accounts:
        click.echo("demo accounts exist already; reset a password with the admin area")
    people = seed_people(actor_id=None, today=today())
    if people:
        click.echo(f"{people} sample dossiers created")
    for line in seed_reports(today()):
        click.echo(line)


def init_app(app) -> None:
    for group in (users_cli, jobs_cli, demo_cli, tenants_cli, returnees_cli, reports_cli):
        app.cli.add_command(group)
