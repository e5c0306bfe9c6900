"""Session users for Flask-Login: loaded by their rotating session token, never by plain id."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.accounts import User
from portal.extensions import db, login_manager


def init_app(app) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(session_token: str):
        # One statement for the user, their memberships and those units: every request pays it.
        query = (
            select(User)
            .options(joinedload(User.memberships))
            .where(User.session_token == session_token, User.active.is_(True))
        )
        return db.session.scalars(query).unique().first()
