"""Support actions (papers, training, jobs, loans under Decision 22/2023) and incidents of one person.

A support action is loaded through the person of the URL (another person's is 404). The employer is
chosen among the unit's own rows, so a job placement cannot point at another unit's business.
"""

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.returnees import care_queries, care_services, care_support_services, care_team_queries
from blueprints.returnees.blueprint import bp
from blueprints.returnees.care import SupportAction
from blueprints.returnees.care_forms import IncidentForm, SupportForm
from blueprints.returnees.care_rows import split_note
from blueprints.returnees.care_views import audit_read, load_child, load_returnee, person_page, refused
from blueprints.returnees.lifecycle import allowed
from portal.extensions import db
from portal.permissions import Permission, requires

SUPPORT_FIELDS = ("kind", "status", "started_on", "completed_on", "provider", "loan_purpose", "loan_status", "note")
INCIDENT_FIELDS = ("kind", "on", "until", "description", "decision")


def support_form(form=None, action: SupportAction | None = None) -> SupportForm:
    """The form with the unit's employers (and the one already chosen, even if inactive since)."""
    if form is None and action is not None:
        months, note = split_note(action.note)
        form = SupportForm(formdata=None, obj=action, employer=action.employer_id, amount=action.amount_vnd,
                           months=months, note=note)
    form = form or SupportForm(formdata=None, status="proposed")
    keep = action.employer_id if action is not None else None
    form.employer.choices = care_team_queries.employer_choices(_("No employer"), keep)
    return form


def support_data(form: SupportForm) -> dict:
    data = {name: form[name].data or None for name in SUPPORT_FIELDS}
    data.update(kind=form.kind.data, status=form.status.data, employer_id=form.employer.data,
                amount_vnd=form.amount.data, months=form.months.data)
    return data


def _support_page(returnee, form=None, status=200):
    return person_page(
        "returnees/care/support.html", returnee, status,
        rows=care_queries.support_rows(returnee.id), form=support_form(form),
        loan_caps=care_support_services.caps(care_queries.today()),
    )


def _edit_page(returnee, action, form=None, status=200):
    return person_page(
        "returnees/care/support_edit.html", returnee, status, action=action, form=support_form(form, action),
        loan_caps=care_support_services.caps(care_queries.today()),
    )


@bp.route("/returnees/<int:returnee_id>/support")
@requires(Permission.DOSSIER_READ)
def support(returnee_id):
    returnee = load_returnee(returnee_id)
    audit_read(returnee, "support")
    return _support_page(returnee)


@bp.route("/returnees/<int:returnee_id>/support", methods=["POST"])
@requires(Permission.DOSSIER_WRITE)
def add_support(returnee_id):
    returnee = load_returnee(returnee_id, for_update=True)
    form = support_form(SupportForm())
    if not form.validate_on_submit():
        return _support_page(returnee, form, 422)
    try:
        care_support_services.save_support(returnee, None, support_data(form), care_queries.today())
    except care_services.CareError as exc:
        return _support_page(returnee, form, refused(form, exc))
    db.session.commit()
    flash(_("The support action was recorded."), "info")
    return redirect(url_for("returnees.support", returnee_id=returnee.id), code=303)


@bp.route("/returnees/<int:returnee_id>/support/<int:action_id>")
@requires(Permission.DOSSIER_READ)
def support_action(returnee_id, action_id):
    returnee = load_returnee(returnee_id)
    action = load_child(SupportAction, returnee, action_id)
    audit_read(returnee, "support")
    return _edit_page(returnee, action)


@bp.route("/returnees/<int:returnee_id>/support/<int:action_id>", methods=["POST"])
@requires(Permission.DOSSIER_WRITE)
def update_support(returnee_id, action_id):
    returnee = load_returnee(returnee_id, for_update=True)
    action = load_child(SupportAction, returnee, action_id)
    form = support_form(SupportForm(), action)
    if not form.validate_on_submit():
        return _edit_page(returnee, action, form, 422)
    try:
        care_support_services.save_support(returnee, action, support_data(form), care_queries.today())
    except care_services.CareError as exc:
        status = refused(form, exc)
        # The checks run before any attribute changes, but reload anyway: the page shows what is stored.
        db.session.rollback()
        returnee = load_returnee(returnee_id)
        return _edit_page(returnee, load_child(SupportAction, returnee, action_id), form, status)
    db.session.commit()
    flash(_("The support action was updated."), "info")
    return redirect(url_for("returnees.support", returnee_id=returnee.id), code=303)


def _incidents_page(returnee, form=None, status=200):
    form = form or IncidentForm(formdata=None, move_to_custody=True)
    rows = care_queries.incidents(returnee.id)
    return person_page(
        "returnees/care/incidents.html", returnee, status, incidents=rows, form=form,
        custody_possible="in_custody" in allowed(returnee.status),
    )


@bp.route("/returnees/<int:returnee_id>/incidents")
@requires(Permission.DOSSIER_READ)
def incidents(returnee_id):
    returnee = load_returnee(returnee_id)
    audit_read(returnee, "incidents")
    return _incidents_page(returnee)


@bp.route("/returnees/<int:returnee_id>/incidents", methods=["POST"])
@requires(Permission.DOSSIER_WRITE)
def add_incident(returnee_id):
    returnee = load_returnee(returnee_id, for_update=True)
    form = IncidentForm()
    if not form.validate_on_submit():
        return _incidents_page(returnee, form, 422)
    data = {name: form[name].data or None for name in INCIDENT_FIELDS}
    data.update(kind=form.kind.data, on=form.on.data, description=form.description.data)
    try:
        to_custody = bool(form.move_to_custody.data) and form.kind.data == "custody_period"
        care_services.add_incident(returnee, data, to_custody, current_user.id)
    except care_services.CareError as exc:
        status = refused(form, exc)
        db.session.rollback()  # the incident may be flushed already: nothing of it is kept
        return _incidents_page(load_returnee(returnee_id), form, status)
    db.session.commit()
    flash(_("The incident was recorded."), "info")
    return redirect(url_for("returnees.incidents", returnee_id=returnee.id), code=303)
