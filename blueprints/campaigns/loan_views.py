"""The unit's monthly loan lists (Decision 22/2023, Form 01): the lists, one month's list with its
entries, making a list (police), adding and removing people (police, until certified), certifying
(the leader) and the XLSX of Form 01 (an export of personal data: audited; ID numbers masked for
the Fatherland Front member).
"""

import io

from flask import abort, flash, g, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.campaigns import loan_lists
from blueprints.campaigns import unit_queries as uq
from blueprints.campaigns.blueprint import bp
from blueprints.campaigns.forms import LoanEntryForm, LoanListForm, VersionForm, choice
from blueprints.campaigns.views import helpers
from blueprints.returnees import facts
from blueprints.returnees.care_support_services import caps
from blueprints.returnees.labels import shown_national_id
from portal import audit
from portal.extensions import db
from portal.permissions import Permission, can, requires

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def list_url(month: str, anchor: str | None = None) -> str:
    return url_for("campaigns.loan_list", month=month, _anchor=anchor)


def _list_or_404(month: str):
    if loan_lists.month_start(month) is None:
        abort(404)
    loan_list = loan_lists.find(month)
    return loan_list if loan_list is not None else abort(404)


def _new_form(posted: bool = False) -> LoanListForm:
    form = LoanListForm() if posted else LoanListForm(formdata=None)
    form.campaign_id.choices = [choice("", _("No campaign"))] + [
        choice(str(c.id), c.name) for c in loan_lists.open_campaigns()
    ]
    return form


def _index_page(form, status=200):
    page = render_template("campaigns/loans.html", lists=loan_lists.all_lists(), form=form, **helpers())
    return page, status


@bp.route("/loans")
@requires(Permission.CAMPAIGN_UNIT_READ)
def loans():
    form = _new_form() if can(g.role, Permission.CAMPAIGN_UNIT_WORK) else None
    if form is not None:
        form.month.data = facts.today().strftime("%Y-%m")
    return _index_page(form)


@bp.route("/loans", methods=["POST"])
@requires(Permission.CAMPAIGN_UNIT_WORK)
def loan_new():
    form = _new_form(posted=True)
    if not form.validate_on_submit():
        return _index_page(form, 422)
    campaign = None
    if form.campaign_id.data:
        campaign = next((c for c in loan_lists.open_campaigns() if str(c.id) == form.campaign_id.data), None)
        if campaign is None:
            form.campaign_id.errors.append(_("Choose an open campaign."))
            return _index_page(form, 422)
    existing = loan_lists.find(form.month.data)
    if existing is not None:
        flash(_("The list of this month already exists: here it is."), "info")
        return redirect(list_url(existing.month), code=303)
    try:
        loan_list = loan_lists.new_list(form.month.data, campaign, current_user.id)
        db.session.commit()
    except loan_lists.ListError:
        db.session.rollback()
        flash(_("The list of this month already exists: here it is."), "info")
        return redirect(list_url(form.month.data), code=303)
    flash(_("The list was made as a draft."), "info")
    return redirect(list_url(loan_list.month), code=303)


def _entry_form(loan_list, posted: bool = False) -> LoanEntryForm:
    form = LoanEntryForm() if posted else LoanEntryForm(formdata=None)
    people = loan_lists.candidates(loan_list) if loan_list.status != "certified" else []
    form.returnee_id.choices = [choice("", _("Choose"))] + [
        choice(str(p.id), f"{p.full_name} · {p.date_of_birth.strftime('%d/%m/%Y')}"
               + (f" · {shown_national_id(p.national_id)}" if p.national_id else ""))
        for p in people
    ]
    return form


def _list_page(loan_list, *, form=None, problem=None, status=200):
    rows = loan_lists.entries(loan_list)
    audit.record("loan_list.read", loan_list, reason=f"people={len(rows)}")
    writable = loan_list.status != "certified"
    can_work = can(g.role, Permission.CAMPAIGN_UNIT_WORK)
    context = {
        "loan_list": loan_list, "rows": rows, "total": sum(e.amount_vnd for e, _p, _d in rows),
        "form": (form or _entry_form(loan_list)) if writable and can_work else None,
        "caps": caps(loan_lists.loan_day(loan_list, facts.today())), "problem": problem,
        "certifier": loan_lists.certifier_name(loan_list),
        "campaign": uq.campaign_or_none(loan_list.campaign_id),
    }
    return render_template("campaigns/loan_list.html", **context, **helpers()), status


@bp.route("/loans/<month>")
@requires(Permission.CAMPAIGN_UNIT_READ)
def loan_list(month):
    return _list_page(_list_or_404(month))


@bp.route("/loans/<month>/entries", methods=["POST"])
@requires(Permission.CAMPAIGN_UNIT_WORK)
def loan_entry(month):
    loan_list = _list_or_404(month)
    if loan_list.status == "certified":
        return _list_page(loan_list, problem=_("This list has been certified by the leader: it can no longer be "
                                               "changed."), status=409)
    form = _entry_form(loan_list, posted=True)
    if not form.validate_on_submit():
        return _list_page(loan_list, form=form, status=422)
    person = uq.returnee_or_none(form.chosen_id())
    if person is None:
        form.returnee_id.errors.append(_("Choose a person of this unit."))
        return _list_page(loan_list, form=form, status=422)
    data = {name: form[name].data for name in ("purpose", "amount_vnd", "term_months", "need")}
    try:
        loan_lists.add_entry(loan_list, person, data, facts.today(), current_user.id)
        db.session.commit()
    except loan_lists.ListError as exc:
        db.session.rollback()
        form[exc.field or "returnee_id"].errors.append(str(exc))
        return _list_page(loan_list, form=form, status=422)
    flash(_("%(name)s was added to the list.", name=person.full_name), "info")
    return redirect(list_url(month, "entries"), code=303)


@bp.route("/loans/<month>/entries/<int:entry_id>/delete", methods=["POST"])
@requires(Permission.CAMPAIGN_UNIT_WORK)
def loan_entry_delete(month, entry_id):
    loan_list = _list_or_404(month)
    entry = uq.entry_or_404(loan_list, entry_id)
    try:
        loan_lists.delete_entry(loan_list, entry, current_user.id)
        db.session.commit()
    except loan_lists.ListError as exc:
        db.session.rollback()
        return _list_page(loan_list, problem=str(exc), status=409)
    flash(_("The person was removed from the list."), "info")
    return redirect(list_url(month, "entries"), code=303)


@bp.route("/loans/<month>/certify", methods=["POST"])
@requires(Permission.CAMPAIGN_UNIT_APPROVE)
def loan_certify(month):
    loan_list = _list_or_404(month)
    form = VersionForm()
    if not form.validate() or str(form.version.data or "") != str(loan_list.version):
        return _list_page(loan_list, problem=_("The list changed since you opened the page: check it, then "
                                               "certify it again."), status=409)
    try:
        loan_lists.certify(loan_list, current_user.id)
        db.session.commit()
    except loan_lists.ListError as exc:
        db.session.rollback()
        return _list_page(loan_list, problem=str(exc), status=409)
    flash(_("The list was certified."), "info")
    return redirect(list_url(month), code=303)


@bp.route("/loans/<month>.xlsx")
@requires(Permission.CAMPAIGN_UNIT_READ)
def loan_export(month):
    loan_list = _list_or_404(month)
    show_id = can(g.role, Permission.DOSSIER_READ_NATIONAL_ID)
    rows = loan_lists.entries(loan_list)
    data = loan_lists.workbook(loan_list, rows, g.tenant.name, show_id, loan_lists.certifier_name(loan_list))
    name = f"mau-01-vay-von_{g.tenant.slug}_{month}.xlsx"  # read before the commit expires the unit
    audit.record("loan_list.export", loan_list, reason=f"rows={len(rows)} format=xlsx")
    db.session.commit()  # the export leaves with the response: its audit row must be saved first
    response = send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, etag=False, download_name=name)
    response.headers["Cache-Control"] = "no-store, private"
    return response
