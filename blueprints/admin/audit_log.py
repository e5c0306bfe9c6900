"""The audit log viewer: every unit's events, filtered, 50 a page, newest first."""

from flask import render_template, request
from flask_babel import gettext as _

from blueprints.admin import queries
from blueprints.admin.blueprint import bp
from blueprints.admin.forms import AuditFilterForm, valid_data
from portal.permissions import Permission, requires


@bp.route("/audit")
@requires(Permission.AUDIT_READ)
def audit():
    form = AuditFilterForm(formdata=request.args)
    form.unit.choices = queries.unit_choices(queries.all_units(), _("All units"))
    page = queries.audit_page(**valid_data(form), page=queries.page_number())
    return render_template("admin/audit.html", form=form, page=page)
