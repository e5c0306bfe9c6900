"""Accounts: the list, creation, the account page, deactivation and password resets.

A password made here is shown once, in the response to the POST that made it; it is never put
in the session (Flask's cookie is signed, not encrypted) nor stored anywhere in clear.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.admin import queries, services
from blueprints.admin.blueprint import bp
from blueprints.admin.forms import AccountForm, MembershipForm, UserFilterForm, role_options, valid_data
from portal import audit
from portal.accounts import User
from portal.auth import sessions, totp
from portal.extensions import db
from portal.permissions import CITY_ROLES, UNIT_ROLES, Permission, Role, requires
from portal.search import fold


def load_user(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


def membership_form(units) -> MembershipForm:
    form = MembershipForm()
    form.unit.choices = queries.unit_choices(units, _("None (city-level role)"))
    return form


def render_account(user: User, form: MembershipForm, status: int = 200):
    memberships = sorted(
        user.memberships, key=lambda m: (m.tenant is not None, fold(m.tenant.name if m.tenant else ""))
    )
    roles = {"unit": role_options(UNIT_ROLES), "city": role_options(CITY_ROLES)}
    page = render_template(
        "admin/user.html",
        user=user,
        memberships=memberships,
        form=form,
        roles=roles,
        is_self=user.id == current_user.id,
        active_sessions=len(sessions.active(user.id)),
    )
    return page, status


@bp.route("/users")
@requires(Permission.ADMIN)
def users():
    form = UserFilterForm(formdata=request.args)
    form.unit.choices = queries.unit_choices(queries.all_units(), _("All units"))
    page = queries.find_users(**valid_data(form), page=queries.page_number())
    return render_template("admin/users.html", form=form, page=page)


@bp.route("/users/new", methods=["GET", "POST"])
@requires(Permission.ADMIN)
def create_user():
    units = queries.active_units()
    form = AccountForm()
    form.unit.choices = queries.unit_choices(units, _("None (city-level role)"))
    if form.validate_on_submit():
        tenant = next((t for t in units if t.slug == form.unit.data), None)
        try:
            user, password = services.create_account(
                form.username.data, form.full_name.data, Role(form.role.data), tenant, email=form.email.data
            )
        except services.AdminError as exc:
            form[exc.field].errors.append(str(exc))
        else:
            db.session.commit()
            return render_template("admin/password.html", user=user, password=password, created=True), 201
    status = 422 if form.errors else 200
    return render_template("admin/user_new.html", form=form), status


@bp.route("/users/<int:user_id>")
@requires(Permission.ADMIN)
def account(user_id):
    user = load_user(user_id)
    return render_account(user, membership_form(queries.active_units()))


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@requires(Permission.ADMIN)
def deactivate_user(user_id):
    user = load_user(user_id)
    try:
        services.deactivate(user, current_user)
    except services.AdminError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("The account is deactivated and all its sessions have ended."), "info")
    return redirect(url_for("admin.account", user_id=user.id))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@requires(Permission.ADMIN)
def reactivate_user(user_id):
    user = load_user(user_id)
    if not user.active:
        services.reactivate(user)
        db.session.commit()
        flash(_("The account is active again."), "info")
    return redirect(url_for("admin.account", user_id=user.id))


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@requires(Permission.ADMIN)
def reset_password(user_id):
    user = load_user(user_id)
    try:
        password = services.reset_password(user, current_user)
    except services.AdminError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.account", user_id=user.id))
    db.session.commit()
    return render_template("admin/password.html", user=user, password=password, created=False)


@bp.route("/users/<int:user_id>/reset-second-factor", methods=["POST"])
@requires(Permission.ADMIN)
def reset_second_factor(user_id):
    """For a lost phone: the user signs in with the password alone and enrols again; their sessions end."""
    user = load_user(user_id)
    totp.reset(user)
    user.end_all_sessions()
    audit.record("totp.reset", user)
    db.session.commit()
    flash(_("The second factor was reset. The user sets it up again at the next sign-in."), "info")
    return redirect(url_for("admin.account", user_id=user.id))


@bp.route("/users/<int:user_id>/end-sessions", methods=["POST"])
@requires(Permission.ADMIN)
def end_sessions(user_id):
    """A stolen laptop or a suspected intrusion: every browser of the account signs out at once."""
    user = load_user(user_id)
    user.end_all_sessions()
    audit.record("user.end_sessions", user)
    db.session.commit()
    flash(_("Every session of this account was ended."), "info")
    return redirect(url_for("admin.account", user_id=user.id))
