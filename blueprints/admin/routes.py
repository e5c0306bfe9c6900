"""The administrator's area: units, accounts and memberships, the audit log."""

from flask import Blueprint, render_template

from portal.permissions import Permission, requires

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@requires(Permission.ADMIN)
def index():
    return render_template("admin/index.html")
