"""Configuration from environment variables, with the embedded defaults of the demo.

Nothing here opens a connection: values are read once, when the app is created.
"""

import os
from datetime import timedelta
from pathlib import Path

INSTANCE_DIR = Path(os.environ.get("PORTAL_INSTANCE_DIR", Path(__file__).resolve().parent.parent / "instance"))


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def engine_options(database_url: str) -> dict:
    options = {"pool_pre_ping": True}
    if database_url.startswith("postgresql"):
        # Moments are stored without a zone and shown in Hải Phòng time: the database's clock
        # (now(), server defaults) must write UTC whatever the server's TimeZone setting.
        options["connect_args"] = {"options": "-c timezone=UTC"}
    return options


def from_environment() -> dict:
    """The settings of one deployment; embedded defaults when a variable is unset."""
    instance = Path(os.environ.get("PORTAL_INSTANCE_DIR", INSTANCE_DIR))
    database_url = os.environ.get("DATABASE_URL", f"sqlite:///{instance / 'portal.sqlite3'}")
    secure_cookies = _bool("SESSION_COOKIE_SECURE", database_url.startswith("postgresql"))
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "INSTANCE_DIR": str(instance),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # Migrations run as the schema owner; the app connects as a role that owns nothing.
        "MIGRATION_DATABASE_URL": os.environ.get("MIGRATION_DATABASE_URL") or database_url,
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "QUEUE_PREFIX": os.environ.get("QUEUE_PREFIX", "portal"),
        "JOBS_INLINE": _bool("JOBS_INLINE", not os.environ.get("REDIS_URL")),
        "STORAGE_URL": os.environ.get("STORAGE_URL", f"file://{instance / 'files'}"),
        "S3_ENDPOINT_URL": os.environ.get("S3_ENDPOINT_URL") or None,
        "S3_REGION": os.environ.get("S3_REGION", "ap-southeast-1"),
        "MAX_CONTENT_LENGTH": _int("MAX_UPLOAD_BYTES", 20 * 1024 * 1024),
        "DOWNLOAD_LINK_SECONDS": _int("DOWNLOAD_LINK_SECONDS", 300),
        "LOGIN_MAX_FAILURES": _int("LOGIN_MAX_FAILURES", 5),
        "LOGIN_LOCK_SECONDS": _int("LOGIN_LOCK_SECONDS", 15 * 60),
        "LOGIN_ADDRESS_LIMIT": _int("LOGIN_ADDRESS_LIMIT", 30),
        "LOGIN_WINDOW_SECONDS": _int("LOGIN_WINDOW_SECONDS", 15 * 60),
        "SESSION_COOKIE_SECURE": secure_cookies,
        # The __Host- prefix needs Secure; browsers drop it on plain http (the demo).
        "SESSION_COOKIE_NAME": "__Host-portal" if secure_cookies else "portal_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "SESSION_IDLE_SECONDS": _int("SESSION_IDLE_SECONDS", 30 * 60),
        # Days a new account of a police, leader, city or admin role may work before enrolling a second factor.
        "TOTP_GRACE_DAYS": _int("TOTP_GRACE_DAYS", 7),
        # Fernet keys for the TOTP secrets (portal/crypto.py); first encrypts, all decrypt.
        "DATA_ENCRYPTION_KEYS": _list("DATA_ENCRYPTION_KEYS"),
        "REMEMBER_COOKIE_DURATION": timedelta(seconds=0),
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "LANGUAGES": ("vi", "en"),
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        # Government-announced bridge days off and swapped working Saturdays (ISO dates, comma-separated).
        "WORKDAYS_EXTRA_OFF": _list("WORKDAYS_EXTRA_OFF"),
        "WORKDAYS_EXTRA_WORKING": _list("WORKDAYS_EXTRA_WORKING"),
        # Outgoing mail (report reminders); no MAIL_SERVER, no mail: reminders show on the unit home only.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": _int("MAIL_PORT", 587),
        "MAIL_FROM": os.environ.get("MAIL_FROM", ""),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", True),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
    }
