"""Convictions of a dossier: add, edit, delete. A conviction is loaded through the dossier of the
URL, so the id of another person's conviction is 404 even inside the unit."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from blueprints.returnees import queries, services
from blueprints.returnees.blueprint import bp
from blueprints.returnees.common import refuse_if_closed
from blueprints.returnees.conviction_forms import ConvictionForm
from portal.extensions import db
from portal.permissions import Permission, requires


def _writable_returnee(returnee_id: int):
    returnee = queries.returnee_or_404(returnee_id)
    refuse_if_closed(returnee)
    return returnee


def _back(returnee):
    return redirect(url_for("returnees.dossier", returnee_id=returnee.id, _anchor="convictions"), code=303)


def _page(form, returnee, conviction=None, status=200):
    page = render_template("returnees/conviction_form.html", form=form, returnee=returnee, conviction=conviction)
    return page, status


@bp.route("/returnees/<int:returnee_id>/convictions/new", methods=["GET", "POST"])
@requires(Permission.DOSSIER_WRITE)
def conviction_new(returnee_id):
    returnee = _writable_returnee(returnee_id)
    form = ConvictionForm()
    if form.validate_on_submit():
        services.save_conviction(returnee, None, form.values())
        db.session.commit()
        flash(_("The conviction was added."), "info")
        return _back(returnee)
    return _page(form, returnee, status=422 if form.is_submitted() else 200)


@bp.route("/returnees/<int:returnee_id>/convictions/<int:conviction_id>/edit", methods=["GET", "POST"])
@requires(Permission.DOSSIER_WRITE)
def conviction_edit(returnee_id, conviction_id):
    returnee = _writable_returnee(returnee_id)
    conviction = queries.conviction_or_404(returnee, conviction_id)
    if request.method != "POST":
        form = ConvictionForm(formdata=None)
        form.show(conviction)
        return _page(form, returnee, conviction)
    form = ConvictionForm()
    if form.validate_on_submit():
        services.save_conviction(returnee, conviction, form.values())
        db.session.commit()
        flash(_("The conviction was saved."), "info")
        return _back(returnee)
    return _page(form, returnee, conviction, status=422)


@bp.route("/returnees/<int:returnee_id>/convictions/<int:conviction_id>/delete", methods=["POST"])
@requires(Permission.DOSSIER_WRITE)
def conviction_delete(returnee_id, conviction_id):
    returnee = _writable_returnee(returnee_id)
    conviction = queries.conviction_or_404(returnee, conviction_id)
    services.delete_conviction(returnee, conviction)
    db.session.commit()
    flash(_("The conviction was deleted."), "info")
    return _back(returnee)
