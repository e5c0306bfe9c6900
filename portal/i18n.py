"""Locale selection and the formats a Vietnamese office expects (dd/mm/yyyy, 1.234.567 ₫)."""

from datetime import date, datetime

from babel import negotiate_locale
from babel.numbers import format_decimal
from flask import current_app, g, has_request_context, request, session
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


def format_day(value: date | datetime | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def format_moment(value: datetime | None) -> str:
    return value.strftime("%d/%m/%Y %H:%M") if value else ""


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
