"""Memberships of an account: add one (a unit role in a unit, or a city role), change its role,
remove it. A membership is loaded through the account of the URL; one of another account is 404.

Roles are read from memberships on every request (portal.guard), so a change applies to the
account's next request without ending its sessions.
"""

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from blueprints.admin import queries, services
from blueprints.admin.blueprint import bp
from blueprints.admin.forms import RoleForm, role_choices
from blueprints.admin.users import load_user, membership_form, render_account
from portal.accounts import Membership
from portal.extensions import db
from portal.permissions import CITY_ROLES, UNIT_ROLES, Permission, Role, requires


def load_membership(user_id: int, membership_id: int) -> Membership:
    membership = db.session.scalar(
        select(Membership).where(Membership.id == membership_id, Membership.user_id == user_id)
    )
    return membership or abort(404)


@bp.route("/users/<int:user_id>/memberships", methods=["POST"])
@requires(Permission.ADMIN)
def add_membership(user_id):
    user = load_user(user_id)
    units = queries.active_units()
    form = membership_form(units)
    if form.validate_on_submit():
        tenant = next((t for t in units if t.slug == form.unit.data), None)
        try:
            services.add_membership(user, tenant, Role(form.role.data))
        except services.AdminError as exc:
            form[exc.field].errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("The membership was added."), "info")
            return redirect(url_for("admin.account", user_id=user.id))
    return render_account(user, form, 422)


@bp.route("/users/<int:user_id>/memberships/<int:membership_id>/role", methods=["POST"])
@requires(Permission.ADMIN)
def change_role(user_id, membership_id):
    membership = load_membership(user_id, membership_id)
    form = RoleForm()
    form.role.choices = role_choices(UNIT_ROLES if membership.tenant_id is not None else CITY_ROLES)
    if not form.validate_on_submit():
        flash(_("Choose one of the roles offered for this membership."), "error")
        return redirect(url_for("admin.account", user_id=user_id))
    try:
        changed = services.change_role(membership, Role(form.role.data), current_user)
    except services.AdminError as exc:
        flash(str(exc), "error")
    else:
        if changed:
            db.session.commit()
            flash(_("The role was changed."), "info")
    return redirect(url_for("admin.account", user_id=user_id))


@bp.route("/users/<int:user_id>/memberships/<int:membership_id>/delete", methods=["POST"])
@requires(Permission.ADMIN)
def remove_membership(user_id, membership_id):
    membership = load_membership(user_id, membership_id)
    try:
        services.remove_membership(membership, current_user)
    except services.AdminError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("The membership was removed."), "info")
    return redirect(url_for("admin.account", user_id=user_id))
