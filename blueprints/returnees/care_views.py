"""The help around one person: the shared steps of its pages, the care overview and the assignment.

Every handler runs load → check → work → commit once. A person is loaded through the scoped query (a
person of another unit is 404, like a missing one); children (an assignment, a link) are loaded
through their parent of the URL, so an id that does not belong to it is 404 too. Writes load the
person FOR UPDATE and need DOSSIER_WRITE; reads need DOSSIER_READ and are audited.
"""

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from blueprints.returnees import care_queries, care_services
from blueprints.returnees.blueprint import bp
from blueprints.returnees.care import Assignment
from blueprints.returnees.care_forms import AssignmentForm, DecisionForm
from blueprints.returnees.care_labels import LABELS
from blueprints.returnees.models import Returnee
from portal import audit
from portal.extensions import db
from portal.permissions import Permission, can, requires

PER_PAGE = 50


def load_returnee(returnee_id: int, for_update: bool = False) -> Returnee:
    query = select(Returnee).where(Returnee.id == returnee_id)
    if for_update:
        query = query.with_for_update()
    return db.session.scalar(query) or abort(404)


def load_child(model, returnee: Returnee, child_id: int):
    """A row of `model` that belongs to this person, else 404."""
    query = select(model).where(model.id == child_id, model.returnee_id == returnee.id)
    return db.session.scalar(query) or abort(404)


def dossier_url(returnee: Returnee) -> str:
    """The dossier page (dossier_views), at its care section."""
    return url_for("returnees.dossier", returnee_id=returnee.id, _anchor="care")


def can_write(returnee: Returnee | None = None) -> bool:
    return can(g.role, Permission.DOSSIER_WRITE) and not (returnee is not None and returnee.is_closed)


def audit_read(returnee: Returnee, section: str) -> None:
    audit.record("returnee.care_read", returnee, reason=section)


def page_number() -> int:
    return max(request.args.get("page", 1, type=int), 1)


def refused(form, exc: care_services.CareError) -> int:
    """Show a refused change next to its field (or at the top) and give the status to answer."""
    if exc.field and exc.field in form:
        form[exc.field].errors = [*form[exc.field].errors, str(exc)]
    else:
        flash(str(exc), "error")
    return exc.status


def person_page(template: str, returnee: Returnee, status: int = 200, **values):
    on = care_queries.today()
    page = render_template(
        template,
        returnee=returnee,
        today=on,
        age_flag=care_queries.age_flag(returnee.date_of_birth, on),
        labels=LABELS,
        can_write=can_write(returnee),
        back_url=dossier_url(returnee),
        **values,
    )
    return page, status


def form_data(form, *names) -> dict:
    return {name: form[name].data for name in names}


@bp.route("/returnees/<int:returnee_id>/care")
@requires(Permission.DOSSIER_READ)
def care_overview(returnee_id):
    """The care section on its own page (the dossier page includes the same partial)."""
    returnee = load_returnee(returnee_id)
    audit_read(returnee, "care")
    return person_page("returnees/care/overview.html", returnee, **care_queries.care_context(returnee))


# --- Assignment ------------------------------------------------------------------------------------

ASSIGNMENT_FIELDS = ("organisation", "person_name", "person_phone", "proposed_on", "decision_number", "decision_date")


def _assignment_page(returnee: Returnee, form=None, decision_form=None, decision_for=None, status=200):
    return person_page(
        "returnees/care/assignment.html", returnee, status,
        assignments=care_queries.assignments(returnee.id),
        assignment_due_on=care_queries.assignment_due(returnee),
        form=form or AssignmentForm(formdata=None),
        decision_form=decision_form or DecisionForm(formdata=None),
        decision_for=decision_for,
    )


@bp.route("/returnees/<int:returnee_id>/assignments")
@requires(Permission.DOSSIER_READ)
def assignments(returnee_id):
    returnee = load_returnee(returnee_id)
    audit_read(returnee, "assignments")
    return _assignment_page(returnee)


@bp.route("/returnees/<int:returnee_id>/assignments", methods=["POST"])
@requires(Permission.DOSSIER_WRITE)
def create_assignment(returnee_id):
    returnee = load_returnee(returnee_id, for_update=True)
    form = AssignmentForm()
    if not form.validate_on_submit():
        return _assignment_page(returnee, form, status=422)
    try:
        care_services.create_assignment(returnee, form_data(form, *ASSIGNMENT_FIELDS), care_queries.today())
    except care_services.CareError as exc:
        status = refused(form, exc)
        # A refused insert rolled the transaction back: read the person again for the page.
        return _assignment_page(load_returnee(returnee_id), form, status=status)
    db.session.commit()
    flash(_("The assignment was recorded."), "info")
    return redirect(url_for("returnees.assignments", returnee_id=returnee.id), code=303)


@bp.route("/returnees/<int:returnee_id>/assignments/<int:assignment_id>/decision", methods=["POST"])
@requires(Permission.DOSSIER_WRITE)
def record_decision(returnee_id, assignment_id):
    returnee = load_returnee(returnee_id, for_update=True)
    assignment = load_child(Assignment, returnee, assignment_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _assignment_page(returnee, decision_form=form, decision_for=assignment.id, status=422)
    try:
        care_services.record_decision(returnee, assignment, form.decision_number.data, form.decision_date.data)
    except care_services.CareError as exc:
        status = refused(form, exc)
        return _assignment_page(returnee, decision_form=form, decision_for=assignment.id, status=status)
    db.session.commit()
    flash(_("The chairman's decision was recorded."), "info")
    return redirect(url_for("returnees.assignments", returnee_id=returnee.id), code=303)
