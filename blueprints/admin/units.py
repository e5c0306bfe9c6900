"""The 114 units: the list with its filters, and switching a unit on or off."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from blueprints.admin import queries, services
from blueprints.admin.blueprint import bp
from blueprints.admin.forms import KIND_LABELS, UnitFilterForm, valid_data
from portal.extensions import db
from portal.permissions import Permission, requires
from tenants.models import Tenant

FILTERS = ("q", "kind", "status")


@bp.route("/units")
@requires(Permission.ADMIN)
def units():
    form = UnitFilterForm(formdata=request.args)
    filters = valid_data(form)
    rows = queries.unit_rows(**filters)
    return render_template("admin/units.html", form=form, rows=rows, kinds=KIND_LABELS, filters=filters)


@bp.route("/units/<int:tenant_id>/activate", methods=["POST"])
@requires(Permission.ADMIN)
def activate_unit(tenant_id):
    return _set_active(tenant_id, True)


@bp.route("/units/<int:tenant_id>/deactivate", methods=["POST"])
@requires(Permission.ADMIN)
def deactivate_unit(tenant_id):
    return _set_active(tenant_id, False)


def _set_active(tenant_id: int, active: bool):
    tenant = db.session.get(Tenant, tenant_id) or abort(404)
    if services.set_unit_active(tenant, active):
        db.session.commit()
        if active:
            flash(_("%(unit)s is active again.", unit=tenant.name), "info")
        else:
            flash(_("%(unit)s is deactivated.", unit=tenant.name), "info")
    # Back to the list as it was filtered; only known filter names are carried over.
    back = {k: request.form[k] for k in FILTERS if request.form.get(k)}
    return redirect(url_for("admin.units", **back))
