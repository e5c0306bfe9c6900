"""`flask --app wsgi returnees …`: the daily sweep the scheduler runs.

Cross-unit work loops over the units with use_tenant (there is no switch to lift the scoping), and
commits unit by unit: a unit whose sweep fails does not hold back the others, and running the
command twice changes nothing the second time.
"""

from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from blueprints.returnees import facts, services
from portal.extensions import db
from tenants.context import use_tenant
from tenants.models import Tenant

returnees_cli = AppGroup("returnees", help="Dossiers of returnees.")


@returnees_cli.command("mark-overdue")
@click.option(
    "--today", "today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
    help="The day to check against (YYYY-MM-DD); default: today in Hải Phòng.",
)
def mark_overdue_command(today):
    """Move released people past the deadline printed on their certificate to "overdue" (verifying)."""
    on: date = today.date() if today else facts.today()
    units = db.session.scalars(select(Tenant).where(Tenant.active.is_(True)).order_by(Tenant.code)).all()
    total, failed = 0, []
    for unit in units:
        with use_tenant(unit):
            try:
                moved = services.mark_overdue(on)
                db.session.commit()
            except Exception:
                db.session.rollback()
                current_app.logger.exception("overdue sweep failed in unit %s", unit.code)
                failed.append(unit.slug)
                continue
        if moved:
            click.echo(f"{unit.slug}: {moved}")
        total += moved
    click.echo(f"{total} dossier(s) marked overdue in {len(units) - len(failed)} unit(s) on {on.isoformat()}")
    if failed:
        raise click.ClickException(f"the sweep failed in {len(failed)} unit(s): {', '.join(failed)}")
