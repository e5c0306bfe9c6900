"""The signed-in user's own account: e-mail address and active sessions ("sign out everywhere")."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user
from flask_wtf import FlaskForm

from portal import audit
from portal.auth import sessions
from portal.auth.forms import EmailForm
from portal.auth.routes import bp, signed_out
from portal.extensions import db
from portal.permissions import signed_in


@bp.route("/account", methods=["GET", "POST"])
@signed_in
def account():
    user = current_user._get_current_object()
    form = EmailForm(obj=user)
    if form.validate_on_submit():
        user.email = form.email.data or None
        audit.record("account.email", user)
        db.session.commit()
        flash(gettext("Your e-mail address was saved."), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, user=user)


@bp.route("/account/sessions")
@signed_in
def account_sessions():
    return render_template(
        "auth/sessions.html",
        rows=sessions.active(current_user.id),
        current_id=current_user.current_session.id,
        form=FlaskForm(),
    )


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
@signed_in
def end_session(session_id: int):
    if not FlaskForm().validate_on_submit():
        abort(400)
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
    if not FlaskForm().validate_on_submit():
        abort(400)
    current_user.end_all_sessions()
    audit.record("session.end_all", current_user)
    db.session.commit()
    return signed_out()

