"""The campaign's expected people: entering one from the prison's notice, linking an existing dossier,
and recording an arrival.

An expected person is a dossier (status `expected`, kind special_pardon, the campaign's id), made by
the dossier service with the dossier pages' duplicate rules: the same personal ID is refused with a
link to the existing dossier, and an open one can be linked to the campaign instead of copied; the
same name and date of birth asks for a confirmation. An arrival is the lifecycle's `received` step,
wrapped here so the campaign's progress is republished for the city's board.
"""

from flask import flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from blueprints.campaigns import unit_queries as uq
from blueprints.campaigns import unit_services
from blueprints.campaigns.blueprint import bp
from blueprints.campaigns.forms import ArrivalForm, PersonForm
from blueprints.campaigns.models import OPEN
from blueprints.campaigns.services import publish
from blueprints.campaigns.views import helpers, show_url
from blueprints.returnees import facts, lifecycle, returnee_import, spreadsheet_views, spreadsheets
from blueprints.returnees import services as dossiers
from blueprints.returnees.common import attach, stale, stale_message
from portal import audit
from portal.extensions import db
from portal.permissions import Permission, requires


def _refused(message: str):
    return render_template("error.html", status=409, message=message), 409


def _closed_campaign():
    return _refused(_("This campaign is closed: no one can be added to it any more."))


def _person_page(campaign, form, *, existing=None, link_refusal=None, twins=(), status=200):
    page = render_template("campaigns/person_form.html", campaign=campaign, form=form, existing=existing,
                           link_refusal=link_refusal, twins=twins, **helpers())
    return page, status


@bp.route("/<int:campaign_id>/people/new", methods=["GET", "POST"])
@requires(Permission.CAMPAIGN_UNIT_WORK)
def person_new(campaign_id):
    campaign = uq.campaign_or_404(campaign_id)
    if campaign.status != OPEN:
        return _closed_campaign()
    form = PersonForm()
    existing, refusal, twins = None, None, []
    if form.validate_on_submit():
        data = form.person_data()
        existing = dossiers.same_national_id(data["national_id"])
        if existing is not None:
            form.national_id.errors.append(_("A dossier with this personal ID number already exists in this unit."))
            refusal = unit_services.link_refusal(campaign, existing)
        else:
            twins = dossiers.namesakes(data["full_name"], data["date_of_birth"])
            if twins and not form.confirm_distinct.data:
                form.confirm_distinct.errors.append(
                    _("A dossier with the same name and date of birth exists: check it, then tick this box.")
                )
            else:
                try:
                    person = unit_services.add_person(campaign, data, current_user.id)
                except lifecycle.TransitionError as exc:
                    attach(form, exc)
                else:
                    db.session.commit()
                    flash(_("%(name)s was added to the expected people.", name=person.full_name), "info")
                    return redirect(show_url(campaign.id, "people"), code=303)
    status = 422 if form.is_submitted() else 200
    return _person_page(campaign, form, existing=existing, link_refusal=refusal, twins=twins, status=status)


@bp.route("/<int:campaign_id>/people/<int:returnee_id>/link", methods=["POST"])
@requires(Permission.CAMPAIGN_UNIT_WORK)
def person_link(campaign_id, returnee_id):
    campaign = uq.campaign_or_404(campaign_id)
    returnee = uq.returnee_or_404(returnee_id)
    if campaign.status != OPEN:
        return _closed_campaign()
    try:
        unit_services.link_person(campaign, returnee)
        db.session.commit()
    except (unit_services.UnitError, lifecycle.TransitionError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(show_url(campaign.id, "people"), code=303)
    flash(_("%(name)s's dossier now belongs to the campaign.", name=returnee.full_name), "info")
    return redirect(show_url(campaign.id, "people"), code=303)


def _arrival_page(campaign, person, form, *, conflict=None, status=200):
    page = render_template("campaigns/arrive.html", campaign=campaign, person=person, form=form,
                           conflict=conflict, **helpers())
    return page, status


@bp.route("/<int:campaign_id>/people/<int:returnee_id>/arrive", methods=["GET", "POST"])
@requires(Permission.CAMPAIGN_UNIT_WORK)
def arrive(campaign_id, returnee_id):
    campaign = uq.campaign_or_404(campaign_id)
    person = uq.person_or_404(campaign, returnee_id)
    if person.status not in unit_services.ARRIVING:
        return _refused(_("This person has already presented themselves (or the dossier is past that step)."))
    if request.method != "POST":
        form = ArrivalForm(obj=person)
        form.version.data = person.version
        return _arrival_page(campaign, person, form)
    form = ArrivalForm()
    if not form.validate_on_submit():
        return _arrival_page(campaign, person, form, status=422)
    if stale(form.version.data, person):
        form.version.data = person.version
        return _arrival_page(campaign, person, form, conflict=stale_message(), status=409)
    try:
        unit_services.arrive(campaign, person, form.facts(), form.release_date.data, form.reporting_deadline.data,
                             current_user.id)
        db.session.commit()
    except lifecycle.TransitionError as exc:
        db.session.rollback()
        attach(form, exc)
        return _arrival_page(campaign, uq.person_or_404(campaign, returnee_id), form, status=422)
    except unit_services.UnitError as exc:
        db.session.rollback()
        return _refused(str(exc))
    except StaleDataError:
        db.session.rollback()
        person = uq.person_or_404(campaign, returnee_id)
        form.version.data = person.version
        return _arrival_page(campaign, person, form, conflict=stale_message(), status=409)
    flash(_("%(name)s presented themselves: the dossier is now being opened.", name=person.full_name), "info")
    return redirect(show_url(campaign.id, "people"), code=303)


# --- Importing the prisons' notices ----------------------------------------------------------------------


def _import_page(campaign, *, errors=(), message=None, status=200):
    page = render_template("campaigns/import.html", campaign=campaign, columns=spreadsheets.COLUMNS,
                           errors=errors, message=message, **helpers())
    return page, status


@bp.route("/<int:campaign_id>/people/import", methods=["GET", "POST"])
@requires(Permission.CAMPAIGN_UNIT_WORK)
def people_import(campaign_id):
    """The dossier import (same file format, parsing and checks, all or nothing), with every row taken
    as a special pardon of this campaign."""
    campaign = uq.campaign_or_404(campaign_id)
    if campaign.status != OPEN:
        return _closed_campaign()
    if request.method != "POST":
        return _import_page(campaign)
    try:
        sheet = spreadsheet_views.read_upload()
    except spreadsheets.FileRefused as exc:
        return _import_page(campaign, message=str(exc), status=exc.status)
    preset = {"release_kind": "special_pardon", "campaign_id": campaign.id}
    checked = returnee_import.check(sheet, facts.today(), spreadsheet_views.ids_in_unit, preset=preset,
                                    defaults=unit_services.pardon_fields(campaign))
    if checked.errors:
        return _import_page(campaign, errors=checked.errors, status=422)
    try:
        created = returnee_import.create(checked.people, current_user.id)
    except lifecycle.TransitionError as exc:
        db.session.rollback()
        return _import_page(campaign, message=str(exc), status=422)
    audit.record("returnee.import", campaign, reason=f"rows={len(created)}")
    publish(campaign)
    db.session.commit()
    flash(_("%(count)d people were imported.", count=len(created)), "info")
    return redirect(show_url(campaign.id, "people"), code=303)
