"""Reminders of campaign results reports: once a day, for every open campaign and every active unit
whose campaign report is not submitted or approved, a reminder when the deadline is a few days away
and another once it has passed.

They are `ReportReminder` rows like the regular reports' (period = the campaign's `period_key`), one
per (unit, campaign, kind), so a second run the same day, or a rerun after a failure, reminds no one
twice. The e-mail goes through the reports' mail settings and sender (`blueprints.reports.reminders`).
"""

import logging
import smtplib
from datetime import date
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale, format_date, gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from blueprints.campaigns.models import OPEN, Campaign
from blueprints.reports import reminders as report_reminders
from blueprints.reports.models import APPROVED, SUBMITTED, Report, ReportReminder
from portal.extensions import db
from tenants.context import use_tenant
from tenants.models import Tenant

log = logging.getLogger(__name__)
DUE_SOON, LATE = report_reminders.DUE_SOON, report_reminders.LATE
PREFIX = "campaign-"


def remind_campaigns(today: date, days_before: int = 3, failed: list[str] | None = None) -> int:
    """Record the campaign reminders due on `today` in every active unit; returns how many were new.

    A unit that fails is logged (its slug appended to `failed`) and the others go on.
    """
    campaigns = db.session.scalars(select(Campaign).where(Campaign.status == OPEN).order_by(Campaign.id)).all()
    due = [c for c in campaigns if _kind(today, c.report_due_on, days_before)]
    if not due:
        return 0
    created = 0
    for unit in db.session.scalars(select(Tenant).where(Tenant.active.is_(True)).order_by(Tenant.id)).all():
        with use_tenant(unit):
            try:
                new = _remind_unit(today, due, days_before)
            except Exception:
                db.session.rollback()
                current_app.logger.exception("campaign reminders failed in unit %s", unit.code)
                if failed is not None:
                    failed.append(unit.slug)
                continue
            if new:
                created += len(new)
                try:
                    notify(unit, new, {c.period_key: c for c in due})
                except Exception:  # the reminders are committed: a mail problem must not stop the sweep
                    db.session.rollback()
                    current_app.logger.exception("campaign reminder mail failed in unit %s", unit.code)
    return created


def _kind(today: date, due_on: date, days_before: int) -> str | None:
    if today > due_on:
        return LATE
    if (due_on - today).days <= days_before:
        return DUE_SOON
    return None


def _remind_unit(today: date, campaigns: list[Campaign], days_before: int) -> list[ReportReminder]:
    ids = [c.id for c in campaigns]
    keys = [c.period_key for c in campaigns]
    done = set(db.session.scalars(
        select(Report.campaign_id).where(Report.campaign_id.in_(ids), Report.period_kind == "campaign",
                                         Report.status.in_((SUBMITTED, APPROVED)))
    ).all())
    sent = set(db.session.execute(
        select(ReportReminder.period, ReportReminder.kind).where(ReportReminder.period.in_(keys))
    ).all())
    new = []
    for campaign in campaigns:
        kind = _kind(today, campaign.report_due_on, days_before)
        if campaign.id in done or kind is None or (campaign.period_key, kind) in sent:
            continue
        new.append(ReportReminder(period=campaign.period_key, kind=kind, due_on=campaign.report_due_on, emailed=0))
    if not new:
        return []
    db.session.add_all(new)
    try:
        db.session.commit()
    except IntegrityError:  # another run recorded them meanwhile: they were sent once, by it
        db.session.rollback()
        return []
    return new


def is_campaign(reminder: ReportReminder) -> bool:
    return reminder.period.startswith(PREFIX)


def label(reminder: ReportReminder, name: str | None = None) -> str:
    """“Special-pardon campaign report due on 05/09/2025” (or overdue since), without a query."""
    on = format_date(reminder.due_on, "dd/MM/yyyy")
    if name:
        if reminder.kind == LATE:
            return gettext("Campaign report “%(name)s” overdue since %(date)s", name=name, date=on)
        return gettext("Campaign report “%(name)s” due on %(date)s", name=name, date=on)
    if reminder.kind == LATE:
        return gettext("Special-pardon campaign report overdue since %(date)s", date=on)
    return gettext("Special-pardon campaign report due on %(date)s", date=on)


def notify(unit: Tenant, reminders: list[ReportReminder], campaigns: dict[str, Campaign],
           addresses: list[str] | None = None) -> int:
    """E-mail the unit's police and leaders about new campaign reminders (in the unit's language);
    records and returns how many were told. Nothing is sent when mail is not configured."""
    settings = report_reminders.mail_settings()
    addresses = report_reminders.unit_addresses(unit) if addresses is None else addresses
    if settings is None or not addresses:
        return 0
    with force_locale(unit.locale or "vi"):
        lines = [label(r, campaigns[r.period].name if r.period in campaigns else None) for r in reminders]
        message = EmailMessage()
        message["Subject"] = gettext("Campaign report due: %(unit)s", unit=unit.name)
        message["From"], message["To"] = settings.sender, ", ".join(addresses)
        message.set_content("\n".join([
            gettext("Reminder from the reintegration portal to %(unit)s:", unit=unit.name), "",
            *(f"- {line}" for line in lines), "",
            gettext("Prepare and submit the campaign report on the portal's Campaigns page."),
        ]))
    try:
        report_reminders.send(settings, message, addresses)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("campaign reminder mail for unit %s failed: %s", unit.code, type(exc).__name__)
        return 0
    for reminder in reminders:
        reminder.emailed = len(addresses)
    db.session.commit()
    return len(addresses)
