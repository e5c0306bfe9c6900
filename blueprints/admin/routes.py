"""The administrator's area: units, accounts and memberships, the audit log (DESIGN.md §5).

Views live in one module per idea; importing them here registers them on the blueprint, which
`blueprints.register_blueprints` takes from this module.
"""

from flask import render_template
from sqlalchemy import func, select

from blueprints.admin import audit_log, breaches, memberships, units, users  # noqa: F401  (registers views)
from blueprints.admin.blueprint import bp
from portal.accounts import User
from portal.extensions import db
from portal.permissions import Permission, requires
from tenants.models import Tenant

__all__ = ["bp"]


@bp.route("/")
@requires(Permission.ADMIN)
def index():
    active_units = db.session.scalar(select(func.count()).select_from(Tenant).where(Tenant.active.is_(True)))
    active_users = db.session.scalar(select(func.count()).select_from(User).where(User.active.is_(True)))
    return render_template("admin/index.html", active_units=active_units, active_users=active_users)
