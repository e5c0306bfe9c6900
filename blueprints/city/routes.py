"""City pages under /city/: the city police's and the administrator's starting point."""

from flask import Blueprint, render_template
from sqlalchemy import func, select

from portal.extensions import db
from portal.permissions import Permission, requires
from tenants.models import Tenant

bp = Blueprint("city", __name__, url_prefix="/city")


@bp.route("/")
@requires(Permission.CITY_HOME)
def home():
    by_kind = dict(
        db.session.execute(
            select(Tenant.kind, func.count()).where(Tenant.active.is_(True)).group_by(Tenant.kind)
        ).all()
    )
    return render_template("city/home.html", by_kind=by_kind, total=sum(by_kind.values()))
