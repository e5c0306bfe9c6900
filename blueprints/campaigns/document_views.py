"""The plan as an official document: building its DOCX and PDF (a job) and downloading them.

Building only reads the plan, so every unit role may ask for it and for a link (FILE_READ, which the
Fatherland Front member has too); the files come through a signed link for one user in one unit,
valid a few minutes, and each download is audited. Another unit's ids are simply not found.
"""

import io

from flask import abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import get_locale, gettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.routing import BuildError

from blueprints.campaigns import unit_queries as uq
from blueprints.campaigns.blueprint import bp
from blueprints.campaigns.models import Campaign, PlanDocument, UnitPlan
from portal import audit
from portal.extensions import db
from portal.permissions import Permission, requires
from workers import plan_documents, tasks
from workers.runner import request_job
from workers.storage import StorageError, storage

MAX_ID = 2**31 - 1


def _campaign_page(campaign_id: int, task) -> str:
    try:
        return url_for("campaigns.show", campaign_id=campaign_id, _anchor="plan-documents")
    except BuildError:  # the campaign page is not there: the job's own page says how it went
        return url_for("units.job_status", task_id=task.id)


def _document_or_404(document_id: int) -> PlanDocument:
    if not 0 < document_id <= MAX_ID:
        abort(404)
    row = db.session.scalar(select(PlanDocument).where(PlanDocument.id == document_id))
    return row if row is not None else abort(404)


@bp.route("/<int:campaign_id>/plan/build", methods=["POST"])
@requires(Permission.FILE_READ)
def plan_build(campaign_id):
    campaign = uq.campaign_or_404(campaign_id)
    plan = db.session.scalar(select(UnitPlan.id).where(UnitPlan.campaign_id == campaign.id))
    if plan is None:
        abort(404)
    task = request_job("campaigns.plan_document", actor_id=current_user.id, locale=str(get_locale()), plan_id=plan)
    if task.state == tasks.FINISHED:
        flash(gettext("The plan's documents were built."), "success")
    elif task.state == tasks.FAILED:
        flash(gettext("The plan's documents could not be built: %(message)s", message=task.message or ""), "error")
    else:
        flash(gettext("The plan's documents are being built; they appear here when ready."), "info")
    return redirect(_campaign_page(campaign.id, task), code=303)


@bp.route("/documents/<int:document_id>/link", methods=["POST"])
@requires(Permission.FILE_READ)
def document_link(document_id):
    row = _document_or_404(document_id)
    token = plan_documents.download_token(row, current_user.id)
    return redirect(url_for("campaigns.document_download", token=token), code=303)


@bp.route("/documents/download/<token>")
@requires(Permission.FILE_READ)
def document_download(token):
    document_id = plan_documents.read_download_token(token, current_user.id)
    if document_id is None:
        abort(404)
    row = _document_or_404(document_id)
    campaign = db.session.scalar(
        select(Campaign).join(UnitPlan, UnitPlan.campaign_id == Campaign.id).where(UnitPlan.id == row.plan_id)
    )
    try:
        data = storage().get(row.storage_key)
    except StorageError:
        current_app.logger.warning("file storage unreachable; download of plan document %s failed", row.id)
        message = gettext("File storage cannot be reached just now; please try the download again in a few minutes.")
        return render_template("error.html", status=503, message=message), 503
    audit.record("campaign.plan_document_download", row)
    response = send_file(io.BytesIO(data), mimetype=plan_documents.CONTENT_TYPES[row.format], as_attachment=True,
                         download_name=plan_documents.download_name(campaign, row.format), etag=False)
    response.headers["X-Content-SHA256"] = row.sha256
    response.headers["Cache-Control"] = "no-store, private"
    return response
