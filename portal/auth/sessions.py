"""Server-side sessions for Flask-Login.

The cookie carries a random secret; `user_sessions` keeps its SHA-256, when it started and when it
was last seen. A session is alive while it is not ended, younger than the absolute lifetime and
seen within the idle timeout; the server decides, so a copied cookie dies with its row.
"""

from datetime import UTC, datetime, timedelta

from flask import current_app, g, request
from flask_babel import lazy_gettext as _l
from flask_login import login_user
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from portal.accounts import User, UserSession, hash_token
from portal.extensions import db, login_manager

# last_seen_at is written at most once a minute: most requests write nothing.
TOUCH_EVERY = timedelta(seconds=60)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def alive(now: datetime):
    """The conditions under which a session row still signs its user in."""
    cfg = current_app.config
    return (
        UserSession.ended_at.is_(None),
        UserSession.created_at > now - cfg["PERMANENT_SESSION_LIFETIME"],
        UserSession.last_seen_at > now - timedelta(seconds=cfg["SESSION_IDLE_SECONDS"]),
    )


def start(user: User) -> UserSession:
    """Sign `user` in on this browser with a new session row (the caller commits)."""
    row, secret = UserSession.open(
        user, request.user_agent.string or "", request.remote_addr or "", utcnow()
    )
    db.session.add(row)
    db.session.flush()
    user.session_secret, user.current_session = secret, row
    login_user(user)
    return row


def touch() -> None:
    """Record that the current session is in use (committed with the response, see guard)."""
    row = getattr(_current(), "current_session", None)
    now = utcnow()
    if row is not None and now - row.last_seen_at >= TOUCH_EVERY:
        db.session.execute(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))
        g.session_touched = True


def active(user_id: int) -> list[UserSession]:
    query = (
        select(UserSession)
        .where(UserSession.user_id == user_id, *alive(utcnow()))
        .order_by(UserSession.last_seen_at.desc())
    )
    return list(db.session.scalars(query))


def end(user_id: int, session_id: int) -> bool:
    """End one of the user's own sessions; False when there is no such live session."""
    result = db.session.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    return result.rowcount == 1


def _current():
    from flask_login import current_user

    return current_user._get_current_object() if current_user.is_authenticated else None


def init_app(app) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(secret: str):
        # One statement for the session, its user, their memberships and those units.
        query = (
            select(User, UserSession)
            .join(UserSession, UserSession.user_id == User.id)
            .options(joinedload(User.memberships))
            .where(UserSession.secret_hash == hash_token(secret), User.active.is_(True), *alive(utcnow()))
        )
        row = db.session.execute(query).unique().first()
        if row is None:
            return None
        user, user_session = row
        user.session_secret, user.current_session = secret, user_session
        return user
