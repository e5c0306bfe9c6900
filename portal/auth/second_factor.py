"""Sign-in with a second factor, enrolment, and new recovery codes.

After a correct password, a user who has enrolled is not signed in yet: the session only remembers
who is half-way (for five minutes), and `/login/code` finishes the sign-in with a one-time code or a
recovery code. Wrong codes count as failed sign-ins (the same throttle and lock).
"""

import time

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from portal import audit, crypto
from portal.accounts import User
from portal.auth import sessions, throttle, totp
from portal.auth.account import password_confirmed
from portal.auth.forms import CodeForm, ConfirmForm, EnrolForm
from portal.auth.routes import _safe_next, bp, landing_url
from portal.extensions import db
from portal.permissions import public, signed_in

PENDING_SECONDS = 300


def start(user: User, next_url: str | None):
    """Password accepted: ask for the code instead of signing in."""
    session.clear()
    session["pending_user"] = user.session_token
    session["pending_since"] = int(time.time())
    if next_url:
        session["pending_next"] = next_url
    return redirect(url_for("auth.second_factor"))


def finish(user: User, how: str):
    next_url = session.get("pending_next")
    session.clear()
    sessions.start(user)
    audit.record("login.success", user, user_id=user.id, reason=how)
    db.session.commit()
    return redirect(_safe_next(next_url) or landing_url(user))


def _pending_user() -> User | None:
    token, since = session.get("pending_user"), session.get("pending_since", 0)
    if not token or time.time() - since > PENDING_SECONDS:
        return None
    return db.session.scalar(select(User).where(User.session_token == token, User.active.is_(True)))


@bp.route("/login/code", methods=["GET", "POST"])
@public
def second_factor():
    user = _pending_user()
    if user is None:
        session.clear()
        flash(gettext("Please sign in again."), "info")
        return redirect(url_for("auth.login"))
    form, error, status = CodeForm(), None, 200
    if form.validate_on_submit():
        address = request.remote_addr or "unknown"
        if throttle.is_blocked(user.username, address):
            error, status = gettext("Too many failed attempts. Please wait a few minutes and try again."), 429
        elif totp.accept_code(user, form.code.data):
            throttle.record_success(user.username, address)
            return finish(user, "totp")
        elif totp.use_recovery_code(user, form.code.data):
            throttle.record_success(user.username, address)
            return finish(user, "recovery_code")
        else:
            throttle.record_failure(user.username, address)
            audit.record("login.failure", object_type="user", object_id=user.username[:64], reason="code")
            error, status = gettext("This code is wrong or was already used."), 401
        db.session.commit()
    return render_template("auth/code.html", form=form, error=error), status


@bp.route("/account/second-factor", methods=["GET", "POST"])
@signed_in
def second_factor_setup():
    user = current_user._get_current_object()
    if user.totp_enabled_at is not None:
        return render_template(
            "auth/second_factor.html", enabled=True, remaining=totp.remaining_recovery_codes(user),
            form=ConfirmForm(),
        )
    # The key being enrolled waits in the (signed, not secret) cookie encrypted.
    try:
        secret = crypto.decrypt(session["totp_setup"])
    except (KeyError, crypto.InvalidToken):  # none yet, or made under a key since retired
        secret = totp.new_secret()
        session["totp_setup"] = crypto.encrypt(secret)
    form, status = EnrolForm(), 200
    if password_confirmed(form):
        if totp.accept_code(user, form.code.data, secret=secret):
            codes = totp.enable(user, secret)
            session.pop("totp_setup", None)
            audit.record("totp.enable", user)
            db.session.commit()
            return render_template("auth/recovery_codes.html", codes=codes)
        form.code.errors.append(gettext("This code is wrong or was already used."))
    if form.errors:
        status = 422
    return render_template(
        "auth/second_factor.html", enabled=False, form=form, secret=secret, qr=totp.qr_svg(user, secret),
        overdue=totp.enrolment_overdue(user),
    ), status


@bp.route("/account/second-factor/recovery-codes", methods=["POST"])
@signed_in
def new_recovery_codes():
    user = current_user._get_current_object()
    if user.totp_enabled_at is None:
        return redirect(url_for("auth.second_factor_setup"))
    form = ConfirmForm()
    if not password_confirmed(form):
        page = render_template(
            "auth/second_factor.html", enabled=True, remaining=totp.remaining_recovery_codes(user), form=form
        )
        return page, 422
    codes = totp.new_recovery_codes(user)
    audit.record("totp.recovery_codes", user)
    db.session.commit()
    return render_template("auth/recovery_codes.html", codes=codes)
