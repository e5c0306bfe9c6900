"""Sign in, sign out, change password, pick a unit, pick a language."""

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, logout_user
from sqlalchemy import select

from portal import audit
from portal.accounts import User
from portal.auth import sessions, throttle
from portal.auth.forms import LoginForm, PasswordChangeForm
from portal.auth.passwords import MIN_LENGTH, hash_password, needs_rehash, password_problem, verify_password
from portal.extensions import db
from portal.permissions import Role, public, signed_in

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no '//' or '/\\' that browsers read as a host."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def landing_url(user: User) -> str:
    units = user.unit_memberships
    if user.city_role is None and len(units) == 1:
        return url_for("units.home", tenant_slug=units[0].tenant.slug)
    if user.city_role == Role.SYSTEM_ADMIN and not units:
        return url_for("admin.index")
    if user.city_role == Role.CITY_POLICE and not units:
        return url_for("city.home")
    return url_for("auth.choose_unit")


def _aimed_at(user: User | None) -> dict:
    """The account a refused sign-in aimed at, for its audit row. What was typed is kept only when it
    names an account: a password typed into the username field must not land in the audit log."""
    if user is None:
        return {"object_id": None, "reason": "unknown_account"}
    return {"object_id": user.username}


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(landing_url(current_user))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        username = form.username.data.strip().lower()
        address = request.remote_addr or "unknown"
        user = db.session.scalar(select(User).where(User.username == username))
        if throttle.is_blocked(username, address):
            error = gettext("Too many failed attempts. Please wait a few minutes and try again.")
            status = 429
            audit.record("login.blocked", object_type="user", **_aimed_at(user))
        else:
            ok = verify_password(user.password_hash if user else None, form.password.data)
            if ok and user.active:
                throttle.record_success(username, address)
                if needs_rehash(user.password_hash):
                    user.password_hash = hash_password(form.password.data)
                next_url = _safe_next(request.args.get("next"))
                if user.totp_enabled_at is not None:
                    db.session.commit()
                    return second_factor.start(user, next_url)
                session.clear()
                sessions.start(user)
                audit.record("login.success", user, user_id=user.id)
                db.session.commit()
                return redirect(next_url or landing_url(user))
            throttle.record_failure(username, address)
            audit.record("login.failure", object_type="user", **_aimed_at(user))
            error = gettext("Wrong username or password.")
            status = 401
        db.session.commit()
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    """Ends every session of this user, on every device."""
    current_user.end_all_sessions()
    audit.record("logout", current_user)
    db.session.commit()
    return signed_out()


def signed_out():
    """Forget this browser's session and go back to the sign-in page."""
    logout_user()
    session.clear()
    flash(gettext("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        problem = password_problem(form.new.data, current_user.username, current_user.full_name)
        if not verify_password(current_user.password_hash, form.current.data):
            form.current.errors.append(gettext("The current password is wrong."))
        elif problem:
            form.new.errors.append(problem)
        elif form.new.data == form.current.data:
            form.new.errors.append(gettext("Choose a password different from the current one."))
        else:
            user = current_user._get_current_object()
            user.password_hash = hash_password(form.new.data)
            user.password_changed_at = datetime.now(UTC).replace(tzinfo=None)
            user.must_change_password = False
            user.end_all_sessions()
            audit.record("password.change", user)
            db.session.commit()
            logout_user()
            session.clear()
            flash(gettext("Your password was changed. Please sign in again."), "info")
            return redirect(url_for("auth.login"))
    return render_template("auth/password.html", form=form, min_length=MIN_LENGTH)


@bp.route("/units")
@signed_in
def choose_unit():
    return render_template("auth/choose_unit.html", memberships=current_user.unit_memberships)


@bp.route("/locale/<code>", methods=["POST"])
@public
def set_locale(code):
    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")) or url_for("auth.login"))


@bp.route("/")
@public
def index():
    if current_user.is_authenticated:
        return redirect(landing_url(current_user))
    return redirect(url_for("auth.login"))


# The second factor's and the account's views attach to this blueprint (they need the helpers above).
from portal.auth import account, second_factor  # noqa: E402, F401
