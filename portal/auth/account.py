"""The signed-in user's own account: e-mail address and active sessions ("sign out everywhere").

Changes that touch how the account is reached (e-mail, sessions, recovery codes) ask for the
password again: an open session left on a shared computer is not enough to make them.
"""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user

from portal import audit
from portal.auth import sessions
from portal.auth.forms import ConfirmForm, EmailForm
from portal.auth.passwords import verify_password
from portal.auth.routes import bp, signed_out
from portal.extensions import db
from portal.permissions import signed_in


def password_confirmed(form) -> bool:
    """The form validates and its password field holds the user's current password (else an error on it)."""
    if not form.validate_on_submit():
        return False
    if verify_password(current_user.password_hash, form.password.data):
        return True
    form.password.errors.append(gettext("The current password is wrong."))
    return False


@bp.route("/account", methods=["GET", "POST"])
@signed_in
def account():
    user = current_user._get_current_object()
    form = EmailForm(obj=user)
    if password_confirmed(form):
        user.email = form.email.data or None
        audit.record("account.email", user)
        db.session.commit()
        flash(gettext("Your e-mail address was saved."), "success")
        return redirect(url_for("auth.account"))
    status = 422 if form.errors else 200
    return render_template("auth/account.html", form=form, user=user), status


def _sessions_page(form, status=200):
    page = render_template(
        "auth/sessions.html", rows=sessions.active(current_user.id), current_id=current_user.current_session.id,
        form=form,
    )
    return page, status


@bp.route("/account/sessions")
@signed_in
def account_sessions():
    return _sessions_page(ConfirmForm())


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
@signed_in
def end_session(session_id: int):
    form = ConfirmForm()
    if not password_confirmed(form):
        return _sessions_page(form, 422)
    if not sessions.end(current_user.id, session_id):
        abort(404)  # another user's session, or one already ended: nothing to say about it
    audit.record("session.end", current_user, reason=str(session_id))
    db.session.commit()
    if session_id == current_user.current_session.id:
        return signed_out()
    flash(gettext("That session was ended."), "info")
    return redirect(url_for("auth.account_sessions"))


@bp.route("/account/sessions/end-all", methods=["POST"])
@signed_in
def end_all_sessions():
    form = ConfirmForm()
    if not password_confirmed(form):
        return _sessions_page(form, 422)
    current_user.end_all_sessions()
    audit.record("session.end_all", current_user)
    db.session.commit()
    return signed_out()
