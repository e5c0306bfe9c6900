"""The unit's list of dossiers, and the identity/release form (create, edit).

Each handler loads what the URL names (another unit's dossier is 404 through the scoping), refuses
a write to a closed dossier, does the work through services, and commits once.
"""

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from blueprints.returnees import facts, lifecycle, queries, services
from blueprints.returnees.blueprint import bp
from blueprints.returnees.common import attach, can_write, refuse_if_closed, stale, stale_message
from blueprints.returnees.forms import CreateForm, EditForm, FilterForm, choice
from blueprints.returnees.transition_forms import EVENT_DAY
from portal import audit
from portal.extensions import db
from portal.permissions import Permission, can, requires


@bp.route("/returnees")
@requires(Permission.DOSSIER_READ)
def index():
    form = FilterForm(formdata=request.args)
    form.hamlet.choices = [choice("", _("All hamlets"))] + [choice(h, h) for h in queries.hamlets()]
    today = facts.today()
    page = queries.list_page(
        form.values(), queries.page_number(), today, search_ids=can(g.role, Permission.DOSSIER_READ_NATIONAL_ID)
    )
    # A list of people with a criminal record is a read of personal data: logged, without the search
    # terms (a name typed into the search box is personal data too).
    audit.record("returnee.list", object_type="returnees")
    return render_template(
        "returnees/list.html", form=form, page=page, today=today, can_write=can_write(),
        presentation_overdue=facts.presentation_overdue, contact_overdue=facts.contact_overdue,
    )


def _form_page(form, returnee=None, *, existing=None, twins=(), conflict=None, status=200):
    page = render_template(
        "returnees/form.html", form=form, returnee=returnee, creating=returnee is None, existing=existing,
        twins=twins, conflict=conflict,
    )
    return page, status


@bp.route("/returnees/new", methods=["GET", "POST"])
@requires(Permission.DOSSIER_WRITE)
def new():
    form = CreateForm()
    existing, twins = None, []
    if form.validate_on_submit():
        data = form.returnee_data()
        existing = services.same_national_id(data["national_id"])
        if existing is not None:
            form.national_id.errors.append(_("A dossier with this personal ID number already exists in this unit."))
        else:
            twins = services.namesakes(data["full_name"], data["date_of_birth"])
            if twins and not form.confirm_distinct.data:
                form.confirm_distinct.errors.append(
                    _("A dossier with the same name and date of birth exists: check it, then tick this box.")
                )
            else:
                status = form.initial_status.data
                try:
                    returnee = services.create_returnee(
                        data, status, form.facts(), form[EVENT_DAY[status]].data, current_user.id
                    )
                except lifecycle.TransitionError as exc:
                    attach(form, exc)
                else:
                    db.session.commit()
                    flash(_("The dossier was created."), "info")
                    return redirect(url_for("returnees.dossier", returnee_id=returnee.id), code=303)
    status = 422 if form.is_submitted() else 200
    return _form_page(form, existing=existing, twins=twins, status=status)


@bp.route("/returnees/<int:returnee_id>/edit", methods=["GET", "POST"])
@requires(Permission.DOSSIER_WRITE)
def edit(returnee_id):
    returnee = queries.returnee_or_404(returnee_id)
    refuse_if_closed(returnee)
    if request.method != "POST":
        form = EditForm(obj=returnee)
        form.show_needs(returnee.needs)
        return _form_page(form, returnee)
    form = EditForm()
    existing = None
    if form.validate_on_submit():
        if stale(form.version.data, returnee):
            return _conflict(form, returnee)
        data = form.returnee_data()
        existing = services.same_national_id(data["national_id"], exclude_id=returnee.id)
        if existing is not None:
            form.national_id.errors.append(_("Another dossier of this unit has this personal ID number."))
        else:
            try:
                changed = services.update_returnee(returnee, data)
                db.session.commit()
            except lifecycle.TransitionError as exc:
                attach(form, exc)
            except StaleDataError:
                db.session.rollback()
                return _conflict(form, queries.returnee_or_404(returnee_id))
            else:
                flash(_("The dossier was saved.") if changed else _("Nothing was changed."), "info")
                return redirect(url_for("returnees.dossier", returnee_id=returnee.id), code=303)
    return _form_page(form, returnee, existing=existing, status=422)


def _conflict(form, returnee):
    # The form now carries the saved version: submitting it again is a deliberate overwrite.
    form.version.data = returnee.version
    return _form_page(form, returnee, conflict=stale_message(), status=409)


# The dossier's other view modules (listed in routes.py too; importing them here as well keeps the
# dossier whole whatever happens to that shared list).
from blueprints.returnees import conviction_views, dossier_views  # noqa: E402, F401
