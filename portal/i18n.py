"""Locale selection and the formats a Vietnamese office expects (dd/mm/yyyy, 1.234.567 ₫)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel import negotiate_locale
from babel.numbers import format_decimal
from flask import current_app, g, has_app_context, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

from portal.permissions import ROLE_LABELS
from workers.attachments import STATE_LABELS as ATTACHMENT_STATES
from workers.tasks import STATE_LABELS as TASK_STATES


def select_locale() -> str:
    """User's choice → unit's default → browser → Vietnamese."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    user = g.get("api_user") or (current_user if current_user.is_authenticated else None)
    if user is not None and user.locale in languages:
        return user.locale
    if session.get("locale") in languages:
        return session["locale"]
    tenant = g.get("tenant")
    if tenant is not None and tenant.locale in languages:
        return tenant.locale
    # Babel's negotiation lets "en-GB" choose "en" ahead of a lower-weighted exact "vi".
    preferred = [lang.replace("-", "_") for lang, _quality in request.accept_languages]
    return negotiate_locale(preferred, languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


def local_moment(value: datetime | None) -> datetime | None:
    """A moment in Hải Phòng time (the configured BABEL_DEFAULT_TIMEZONE), naive, for display.

    The one place where stored moments become local ones: they are stored as naive UTC, so a naive
    value is read as UTC; an aware one is converted from its own zone. Outside an app (a script)
    the default zone is used."""
    if value is None:
        return None
    configured = current_app.config.get("BABEL_DEFAULT_TIMEZONE") if has_app_context() else None
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(configured or DEFAULT_TIMEZONE)).replace(tzinfo=None)


def format_day(value: date | datetime | None) -> str:
    """dd/mm/yyyy; a moment (datetime) shows its day in Hải Phòng, a date is shown as it is."""
    if isinstance(value, datetime):
        value = local_moment(value)
    return value.strftime("%d/%m/%Y") if value else ""


def format_moment(value: datetime | None) -> str:
    """A stored moment (naive UTC) as dd/mm/yyyy hh:mm in Hải Phòng time."""
    return local_moment(value).strftime("%d/%m/%Y %H:%M") if value else ""


def format_vnd(amount: int | None) -> str:
    """Money in VND with dot separators, whatever the interface language (1.234.567 ₫)."""
    if amount is None:
        return ""
    return f"{format_decimal(amount, format='#,##0', locale='vi')} ₫"


def init_app(app) -> None:
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["moment"] = format_moment
    app.jinja_env.filters["vnd"] = format_vnd
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
    app.jinja_env.globals["role_label"] = lambda role: ROLE_LABELS.get(role, role or "")
    app.jinja_env.globals["job_state"] = lambda state: TASK_STATES.get(state, state)
    app.jinja_env.globals["attachment_state"] = lambda state: ATTACHMENT_STATES.get(state, state)
