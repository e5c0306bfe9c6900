"""Transfers between units (HTML): start one from a dossier under management, see incoming and
outgoing ones, accept an incoming one, cancel an outgoing one. The cross-unit writes are all in
blueprints.returnees.transfers (the reviewed path); these views load the unit's own row, check,
call it, and commit once."""

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from blueprints.returnees import facts, transfers
from blueprints.returnees.blueprint import bp
from blueprints.returnees.comment_views import dossier_url, load_returnee
from blueprints.returnees.labels import RELEASE_KIND_LABELS, SEX_LABELS
from blueprints.returnees.lifecycle import GROUP_LABELS, STATUS_LABELS, TransitionError
from blueprints.returnees.transfer_queries import (
    TRANSFER_STATES,
    TransferForm,
    find_transfer,
    incoming_view,
    other_units,
    snapshot_view,
    takeover_due,
    transfer_context,
    transfers_of_unit,
    unit_choices,
)
from portal import audit
from portal.extensions import db
from portal.permissions import Permission, can, requires

REFUSED = (transfers.TransferError, TransitionError, StaleDataError)
LABELS = {"status_labels": STATUS_LABELS, "group_labels": GROUP_LABELS, "release_labels": RELEASE_KIND_LABELS,
          "sex_labels": SEX_LABELS, "transfer_states": TRANSFER_STATES}


@bp.context_processor
def _transfer_helpers():
    # For returnees/_transfer.html on the dossier page: it fetches its own context (one query).
    return {"transfer_context": transfer_context}


@bp.route("/transfers")
@requires(Permission.DOSSIER_READ)
def transfers_list():
    today = facts.today()
    incoming = [incoming_view(row, unit, today, name) for row, unit, name in transfers_of_unit("in")]
    outgoing = [
        {"row": row, "unit": unit, "full_name": name, "due": takeover_due(row.notified_on)}
        for row, unit, name in transfers_of_unit("out")
    ]
    audit.record("transfer.list", object_type="transfers")
    return render_template("returnees/transfers.html", incoming=incoming, outgoing=outgoing, today=today, **LABELS)


@bp.route("/transfers/<int:transfer_id>")
@requires(Permission.DOSSIER_READ)
def transfer_detail(transfer_id):
    row, unit, name = find_transfer(transfer_id) or abort(404)
    audit.record("transfer.read", row)
    labels = {**LABELS, "can_write": can(g.role, Permission.DOSSIER_WRITE)}
    if row.direction == "out":
        item = {"row": row, "unit": unit, "full_name": name, "due": takeover_due(row.notified_on)}
        back = dossier_url(row.returnee_id, "transfer")
        return render_template("returnees/transfers_detail.html", item=item, carried={}, back_url=back, **labels)
    item = incoming_view(row, unit, facts.today(), name)
    back = dossier_url(row.returnee_id) if row.returnee_id else None
    return render_template("returnees/transfers_detail.html", item=item, carried=snapshot_view(row.snapshot or {}),
                           back_url=back, **labels)


def _start_page(returnee, form, status=200, message=None):
    return render_template("returnees/transfers_new.html", returnee=returnee, form=form, message=message,
                           back_url=dossier_url(returnee.id)), status


@bp.route("/returnees/<int:returnee_id>/transfer", methods=["GET", "POST"])
@requires(Permission.DOSSIER_WRITE)
def start_transfer(returnee_id):
    returnee = load_returnee(returnee_id)
    form = TransferForm()
    units = other_units(g.tenant_id)
    form.unit.choices = unit_choices(units, gettext("Choose the unit"))
    if returnee.status != "under_management":
        return _start_page(returnee, None, 409, gettext("Only a person under management can be transferred."))
    if not form.is_submitted():
        return _start_page(returnee, form)
    today = facts.today()
    valid = form.validate()
    if valid and form.notified_on.data > today:
        form.notified_on.errors.append(gettext("Not in the future."))
        valid = False
    if not valid:
        return _start_page(returnee, form, 422)
    receiving = next(u for u in units if u.slug == form.unit.data)
    try:
        transfers.start(returnee, receiving, form.notified_on.data, form.new_address.data, current_user.id)
    except REFUSED as exc:
        db.session.rollback()
        return _start_page(load_returnee(returnee_id), form, 409, str(exc))
    db.session.commit()
    flash(gettext("Transfer sent to %(unit)s.", unit=receiving.name), "info")
    return redirect(dossier_url(returnee_id, "transfer"), code=303)


@bp.route("/transfers/<int:transfer_id>/accept", methods=["POST"])
@requires(Permission.DOSSIER_WRITE)
def accept_transfer(transfer_id):
    found = find_transfer(transfer_id, "in") or abort(404)
    try:
        returnee = transfers.accept(found[0], current_user.id, facts.today())
        new_id = returnee.id
    except REFUSED as exc:
        db.session.rollback()
        flash(str(exc) if isinstance(exc, transfers.TransferError) else gettext(
            "The sending unit changed this dossier meanwhile. Nothing was saved; please try again."), "error")
        return redirect(url_for("returnees.transfer_detail", transfer_id=transfer_id), code=303)
    db.session.commit()
    flash(gettext("Taken over: the person is now under management in this unit."), "info")
    return redirect(dossier_url(new_id), code=303)


@bp.route("/transfers/<int:transfer_id>/cancel", methods=["POST"])
@requires(Permission.DOSSIER_WRITE)
def cancel_transfer(transfer_id):
    found = find_transfer(transfer_id, "out") or abort(404)
    returnee_id = found[0].returnee_id
    try:
        transfers.cancel(found[0], current_user.id, facts.today())
    except REFUSED as exc:
        db.session.rollback()
        flash(str(exc) if isinstance(exc, transfers.TransferError) else gettext(
            "Someone changed this dossier meanwhile. Nothing was saved; please try again."), "error")
        return redirect(dossier_url(returnee_id, "transfer"), code=303)
    db.session.commit()
    flash(gettext("Transfer cancelled: the person is under management here again."), "info")
    return redirect(dossier_url(returnee_id, "transfer"), code=303)
