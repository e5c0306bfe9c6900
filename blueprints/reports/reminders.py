"""Reminders of reports due: once a day (the scheduler), for every active unit and every regular
period that ended last (month, quarter, half-year, year), a reminder when its report is due within
a few days and another once it is late, unless the report was submitted or approved.

One row per (unit, period, kind), so running twice a day, or again after a failure, reminds no one
twice. When MAIL_SERVER is configured the unit's police and leaders are also told by e-mail; a mail
failure is logged and the reminder row stays (the unit home shows it anyway).
"""

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale, format_date, gettext
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

from blueprints.reports import services
from blueprints.reports.models import APPROVED, SUBMITTED, Report, ReportReminder
from blueprints.reports.periods import Period, containing, parse
from portal.accounts import Membership, User
from portal.extensions import db
from portal.permissions import Role
from tenants.context import use_tenant
from tenants.models import Tenant

log = logging.getLogger(__name__)
REGULAR = ("month", "quarter", "half", "year")
DUE_SOON, LATE = "due_soon", "late"
DONE = (SUBMITTED, APPROVED)
RECIPIENT_ROLES = (Role.COMMUNE_POLICE, Role.COMMUNE_LEADER)


def periods_due(today: date) -> list[Period]:
    """The period of each regular kind that ended last before `today`."""
    return [containing(kind, today).previous() for kind in REGULAR]


def remind(today: date, days_before: int = 3, failed: list[str] | None = None) -> int:
    """Record the reminders due on `today` in every active unit; returns how many were new.

    Unit by unit: a unit that fails is logged (and its slug appended to `failed`) and the others go on.
    """
    days = services.deadlines()
    due = [(period, services.due_on(period, days)) for period in periods_due(today)]
    created = 0
    for unit in db.session.scalars(select(Tenant).where(Tenant.active.is_(True)).order_by(Tenant.id)).all():
        with use_tenant(unit):
            try:
                new = _remind_unit(today, due, days_before)
            except Exception:
                db.session.rollback()
                current_app.logger.exception("report reminders failed in unit %s", unit.code)
                if failed is not None:
                    failed.append(unit.slug)
                continue
            if new:
                created += len(new)
                try:
                    notify(unit, new)
                except Exception:  # the reminders are committed: a mail problem must not stop the sweep
                    db.session.rollback()
                    current_app.logger.exception("reminder mail failed in unit %s", unit.code)
    return created


def _remind_unit(today: date, due: list[tuple[Period, date]], days_before: int) -> list[ReportReminder]:
    keys = [period.key for period, _ in due]
    done = set(db.session.scalars(
        select(Report.period).where(Report.period.in_(keys), Report.period_kind != "adhoc", Report.status.in_(DONE))
    ).all())
    sent = set(db.session.execute(
        select(ReportReminder.period, ReportReminder.kind).where(ReportReminder.period.in_(keys))
    ).all())
    new = []
    for period, due_on in due:
        if period.key in done:
            continue
        if today > due_on:
            kind = LATE
        elif (due_on - today).days <= days_before:
            kind = DUE_SOON
        else:
            continue
        if (period.key, kind) not in sent:
            new.append(ReportReminder(period=period.key, kind=kind, due_on=due_on, emailed=0))
    if not new:
        return []
    db.session.add_all(new)
    try:
        db.session.commit()
    except IntegrityError:  # another run recorded them meanwhile: they were sent once, by it
        db.session.rollback()
        return []
    return new


def open_reminders() -> list[ReportReminder]:
    """The current unit's reminders whose report is still not submitted or approved; the latest
    kind per period (late supersedes due soon). One query."""
    rows = db.session.scalars(
        select(ReportReminder)
        .outerjoin(Report, and_(Report.period == ReportReminder.period, Report.period_kind != "adhoc"))
        .where(or_(Report.id.is_(None), Report.status.not_in(DONE)))
        .order_by(ReportReminder.due_on, ReportReminder.period, ReportReminder.kind)
    ).all()
    latest: dict[str, ReportReminder] = {}
    for row in rows:
        if row.period not in latest or row.kind == LATE:
            latest[row.period] = row
    return sorted(latest.values(), key=lambda r: (r.due_on, r.period))


def label(reminder: ReportReminder) -> str:
    """“Quarter III/2026 report due on 10/10/2026” (or overdue since), in the request's language."""
    if reminder.period.startswith("campaign-"):
        from blueprints.campaigns import reminders as campaign_reminders

        return campaign_reminders.label(reminder)
    period, on = parse(reminder.period).label, format_date(reminder.due_on, "dd/MM/yyyy")
    if reminder.kind == LATE:
        return gettext("%(period)s report overdue since %(date)s", period=period, date=on)
    return gettext("%(period)s report due on %(date)s", period=period, date=on)


# --- E-mail ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mail:
    server: str
    port: int
    sender: str
    tls: bool
    username: str | None
    password: str | None


def mail_settings() -> Mail | None:
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER"):
        return None
    return Mail(cfg["MAIL_SERVER"], int(cfg.get("MAIL_PORT") or 25), cfg.get("MAIL_FROM") or "portal@localhost",
                bool(cfg.get("MAIL_USE_TLS")), cfg.get("MAIL_USERNAME") or None, cfg.get("MAIL_PASSWORD") or None)


def unit_addresses(unit: Tenant) -> list[str]:
    """E-mail addresses of the unit's active police and leaders (accounts without one are skipped)."""
    return sorted(set(db.session.scalars(
        select(User.email).join(Membership, Membership.user_id == User.id).where(
            Membership.tenant_id == unit.id, Membership.role.in_([r.value for r in RECIPIENT_ROLES]),
            User.active.is_(True), User.email.is_not(None), User.email != "",
        )
    ).all()))


def notify(unit: Tenant, reminders: list[ReportReminder], addresses: list[str] | None = None) -> int:
    """E-mail the unit about new reminders (Vietnamese); records and returns how many were told."""
    settings = mail_settings()
    addresses = unit_addresses(unit) if addresses is None else addresses
    if settings is None or not addresses:
        return 0
    with force_locale(unit.locale or "vi"):
        message = EmailMessage()
        message["Subject"] = gettext("Reports due: %(unit)s", unit=unit.name)
        message["From"], message["To"] = settings.sender, ", ".join(addresses)
        lines = [label(r) for r in reminders]
        message.set_content("\n".join([
            gettext("Reminder from the reintegration portal to %(unit)s:", unit=unit.name), "",
            *(f"- {line}" for line in lines), "",
            gettext("Prepare and submit the reports on the portal's Reports page."),
        ]))
    try:
        send(settings, message, addresses)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("reminder mail for unit %s failed: %s", unit.code, type(exc).__name__)
        return 0
    for reminder in reminders:
        reminder.emailed = len(addresses)
    db.session.commit()
    return len(addresses)


def send(settings: Mail, message: EmailMessage, recipients: list[str]) -> None:
    with smtplib.SMTP(settings.server, settings.port, timeout=30) as smtp:
        if settings.tls:
            # Checks the server's certificate and name (smtplib checks neither without a context).
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password or "")
        smtp.send_message(message, to_addrs=recipients)
