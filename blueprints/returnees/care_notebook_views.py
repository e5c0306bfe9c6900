"""The progress notebook (weekly contacts) and the quarterly reviews (HCD-08 and the A/B/C/D group)
of one person: each a page with its history and, for the commune police, the form to add a line."""

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.returnees import care_queries, care_services, care_team_queries
from blueprints.returnees.blueprint import bp
from blueprints.returnees.care_forms import ContactForm, ReviewForm
from blueprints.returnees.care_views import (
    PER_PAGE,
    audit_read,
    form_data,
    load_returnee,
    page_number,
    person_page,
    refused,
)
from blueprints.returnees.deadlines import previous_quarter, quarter_of
from portal.extensions import db
from portal.permissions import Permission, requires

CONTACT_FIELDS = ("on", "contact_person", "method", "content", "state_of_mind", "risk_signals", "next_step")
REVIEW_FIELDS = ("year", "quarter", "report_received_on", "group", "reason", "progress", "proposals")


def contact_form(returnee, form=None):
    on = care_queries.today()
    form = form or ContactForm(formdata=None, on=on)
    form.member.choices, members = care_team_queries.member_choices(returnee.id, on, _("Not a team member"))
    return form, members


def _contacts_page(returnee, form=None, status=200):
    form, _members = contact_form(returnee, form)
    page = page_number()
    rows = care_queries.contacts(returnee.id, limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE)
    last = care_queries.contacts(returnee.id, limit=1)
    state = care_queries.contact_state(returnee, last[0].on if last else None, care_queries.today())
    return person_page(
        "returnees/care/contacts.html", returnee, status,
        contacts=rows[:PER_PAGE], page=page, has_next=len(rows) > PER_PAGE, form=form,
        last_contact_on=last[0].on if last else None, **state,
    )


@bp.route("/returnees/<int:returnee_id>/contacts")
@requires(Permission.DOSSIER_READ)
def contacts(returnee_id):
    returnee = load_returnee(returnee_id)
    audit_read(returnee, "contacts")
    return _contacts_page(returnee)


@bp.route("/returnees/<int:returnee_id>/contacts", methods=["POST"])
@requires(Permission.DOSSIER_WRITE)
def add_contact(returnee_id):
    returnee = load_returnee(returnee_id, for_update=True)
    form, members = contact_form(returnee, ContactForm())
    if not form.validate_on_submit():
        return _contacts_page(returnee, form, 422)
    try:
        care_services.add_contact(
            returnee, form_data(form, *CONTACT_FIELDS), members.get(form.member.data), current_user.id
        )
    except care_services.CareError as exc:
        return _contacts_page(returnee, form, refused(form, exc))
    db.session.commit()
    flash(_("The contact was added to the notebook."), "info")
    return redirect(url_for("returnees.contacts", returnee_id=returnee.id), code=303)


def _reviews_page(returnee, form=None, status=200):
    on = care_queries.today()
    if form is None:
        year, quarter = previous_quarter(on.year, quarter_of(on))
        form = ReviewForm(formdata=None, year=year, quarter=quarter, group=returnee.group)
    rows = care_queries.reviews(returnee.id)
    return person_page(
        "returnees/care/reviews.html", returnee, status,
        reviews=rows, review_due=care_queries.review_due(returnee, rows, on), form=form,
    )


@bp.route("/returnees/<int:returnee_id>/reviews")
@requires(Permission.DOSSIER_READ)
def reviews(returnee_id):
    returnee = load_returnee(returnee_id)
    audit_read(returnee, "reviews")
    return _reviews_page(returnee)


@bp.route("/returnees/<int:returnee_id>/reviews", methods=["POST"])
@requires(Permission.DOSSIER_WRITE)
def add_review(returnee_id):
    returnee = load_returnee(returnee_id, for_update=True)
    form = ReviewForm()
    if not form.validate_on_submit():
        return _reviews_page(returnee, form, 422)
    try:
        care_services.add_review(returnee, form_data(form, *REVIEW_FIELDS), current_user.id)
    except care_services.CareError as exc:
        return _reviews_page(returnee, form, refused(form, exc))
    db.session.commit()
    flash(_("The quarterly review was recorded."), "info")
    return redirect(url_for("returnees.reviews", returnee_id=returnee.id), code=303)
