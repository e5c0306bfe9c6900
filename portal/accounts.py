"""Users, their memberships (a unit role or a city role) and API tokens."""

import hashlib
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint, func, update
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.permissions import CITY_ROLES, Role


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(5))
    # Flask-Login's alternative id: rotating it ends every session of the user at once.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    password_changed_at: Mapped[datetime | None]
    # Set when an administrator issued the password: it works for one sign-in, to choose a new one.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    email: Mapped[str | None] = mapped_column(String(200))
    # Second factor (TOTP, RFC 6238): the last time step accepted, so a code is never accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(String(255))  # encrypted, see portal/auth/totp.py
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:
        return self.active

    # The secret of the session this request runs in (set at sign-in and when a session is loaded).
    session_secret = None
    current_session = None

    def get_id(self) -> str | None:
        return self.session_secret

    def end_all_sessions(self) -> None:
        """Sign out everywhere: every session row ends, and a half-finished sign-in is forgotten."""
        self.session_token = new_session_token()
        db.session.execute(
            update(UserSession)
            .where(UserSession.user_id == self.id, UserSession.ended_at.is_(None))
            .values(ended_at=func.now())
        )

    def role_in(self, tenant_id: int | None) -> Role | None:
        """The user's role in a unit (tenant_id) or at city level (None)."""
        for m in self.memberships:
            if m.tenant_id == tenant_id and (tenant_id is not None or m.role in CITY_ROLES):
                return Role(m.role)
        return None

    @property
    def unit_memberships(self) -> list["Membership"]:
        return [m for m in self.memberships if m.tenant_id is not None]

    @property
    def city_role(self) -> Role | None:
        return self.role_in(None)


class RecoveryCode(db.Model):
    """A one-time code that replaces the second factor when the phone is lost; stored hashed."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]


class Membership(db.Model):
    """A role in one unit, or a city-level role (tenant_id empty).

    Registry data read at sign-in and by admins; it names a unit but is not scoped to one.
    """

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "tenant_id", name="uq_memberships_user_tenant"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(30))

    user: Mapped[User] = relationship(back_populates="memberships")
    tenant = relationship("Tenant", lazy="joined")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(db.Model):
    """A bearer token for the API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")

    @classmethod
    def issue(cls, user: User) -> tuple["ApiToken", str]:
        token = "hp_" + secrets.token_urlsafe(32)
        return cls(user=user, token_hash=hash_token(token)), token


class UserSession(db.Model):
    """One signed-in browser. The cookie holds a random secret; only its SHA-256 is stored here, so
    the list of a user's sessions can be shown and any of them ended from the server side."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(45), default="")

    @classmethod
    def open(cls, user: User, user_agent: str, address: str, now: datetime) -> tuple["UserSession", str]:
        secret = secrets.token_urlsafe(32)
        row = cls(
            user_id=user.id, secret_hash=hash_token(secret), created_at=now, last_seen_at=now,
            user_agent=user_agent[:200], address=address[:45],
        )
        return row, secret
