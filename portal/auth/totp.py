"""The second factor: time-based one-time codes (RFC 6238) and one-time recovery codes.

A code is accepted once: the time step of the last accepted code is kept, and a code of that step
or an earlier one is refused (replay). Recovery codes are stored as SHA-256 digests (they are long
random strings, so a fast hash is enough) and each works once.
"""

import hashlib
import io
import secrets
from datetime import UTC, datetime, timedelta

import pyotp
import qrcode
import qrcode.image.svg
from flask import current_app
from markupsafe import Markup
from sqlalchemy import delete, select, update

from portal import crypto
from portal.accounts import RecoveryCode, User
from portal.extensions import db
from portal.permissions import Role

# Roles that must use a second factor (DESIGN §12: police and admin roles; the Front member reads only).
REQUIRED_FOR = frozenset({Role.COMMUNE_POLICE, Role.COMMUNE_LEADER, Role.CITY_POLICE, Role.SYSTEM_ADMIN})
RECOVERY_CODES = 10
ISSUER = "Cổng tái hòa nhập Hải Phòng"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def required(user: User) -> bool:
    return any(m.role in REQUIRED_FOR for m in user.memberships)


def enrolment_overdue(user: User, now: datetime | None = None) -> bool:
    """A user of a role that needs the second factor, not enrolled, past the grace period."""
    if user.totp_enabled_at is not None or not required(user):
        return False
    grace = timedelta(days=current_app.config["TOTP_GRACE_DAYS"])
    return (user.created_at or _now()) + grace <= (now or _now())


def new_secret() -> str:
    return pyotp.random_base32()


def qr_svg(user: User, secret: str) -> Markup:
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    out = io.BytesIO()
    qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8).save(out)
    svg = out.getvalue().decode()
    # The library's own markup (a path of squares, no script, no style); the XML prolog is dropped.
    return Markup(svg[svg.index("<svg"):])  # noqa: S704 # nosec B704


def matching_step(secret: str, code: str, now: datetime | None = None) -> int | None:
    """The time step `code` belongs to (this one or one either side, for clock drift), or None."""
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    at = (now or datetime.now(UTC)).timestamp()
    current = int(at // totp.interval)
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.at(step * totp.interval), code):
            return step
    return None


def accept_code(user: User, code: str, secret: str | None = None, now: datetime | None = None) -> bool:
    """True once per valid code: the step is recorded with a conditional update, so two requests
    racing with the same code cannot both pass."""
    step = matching_step(secret or stored_secret(user), code, now)
    if step is None:
        return False
    last = user.totp_last_step if user.totp_last_step is not None else -1
    if step <= last:
        return False
    moved = db.session.execute(
        update(User)
        .where(User.id == user.id, (User.totp_last_step.is_(None)) | (User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved:
        user.totp_last_step = step
    return bool(moved)


def _digest(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace("-", "").encode()).hexdigest()


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes; the plain codes are shown once and never stored."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    # 128 random bits each (ASVS V6.5.2: a plain hash is enough from 112 bits up), in four groups.
    codes = ["-".join(secrets.token_hex(4) for _ in range(4)) for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_digest(c)) for c in codes)
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    used = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _digest(code),
               RecoveryCode.used_at.is_(None))
        .values(used_at=_now())
        .execution_options(synchronize_session=False)
    ).rowcount
    return bool(used)


def remaining_recovery_codes(user: User) -> int:
    return len(db.session.scalars(
        select(RecoveryCode.id).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).all())


def stored_secret(user: User) -> str:
    """The user's TOTP key, decrypted (the column holds it encrypted, see portal/crypto.py)."""
    return crypto.decrypt(user.totp_secret) if user.totp_secret else ""


def enable(user: User, secret: str, now: datetime | None = None) -> list[str]:
    user.totp_secret, user.totp_enabled_at = crypto.encrypt(secret), now or _now()
    return new_recovery_codes(user)


def reset(user: User) -> None:
    """An administrator's reset: the user enrols again at the next sign-in."""
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
