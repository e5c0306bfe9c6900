"""`flask --app wsgi reports remind`: the daily reminders of reports due, periodic and campaign
(the scheduler runs it)."""

import click
from flask.cli import AppGroup

from blueprints.campaigns.reminders import remind_campaigns
from blueprints.reports import reminders
from blueprints.returnees import facts

reports_cli = AppGroup("reports", help="Unit reports.")


@reports_cli.command("remind")
@click.option(
    "--today", "today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
    help="The day to check against (YYYY-MM-DD); default: today in Hải Phòng.",
)
@click.option("--days-before", default=3, show_default=True, type=click.IntRange(0, 60),
              help="Remind this many days before the due date.")
def remind_command(today, days_before):
    """Record (and e-mail, when MAIL_SERVER is set) reminders of reports due soon or late."""
    on = today.date() if today else facts.today()
    failed: list[str] = []
    count = reminders.remind(on, days_before, failed=failed)
    count += remind_campaigns(on, days_before, failed=failed)
    click.echo(f"{count} reminder(s) on {on.isoformat()}")
    if failed:
        raise click.ClickException(f"reminders failed in {len(failed)} unit(s): {', '.join(failed)}")
