"""A unit's pages under /t/<tenant_slug>/: its home and its files."""

from flask import Blueprint, Response, abort, g, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from portal import audit
from portal.extensions import db
from portal.permissions import Permission, requires
from workers import tasks as states
from workers.attachments import STORED, Attachment, download_token, read_download_token
from workers.runner import find_task, refresh_state
from workers.storage import StorageError, storage

bp = Blueprint("units", __name__, url_prefix="/t/<tenant_slug>")


@bp.route("/")
@requires(Permission.UNIT_HOME)
def home():
    open_jobs = db.session.scalar(
        select(func.count()).select_from(states.Task).where(states.Task.state.in_(states.OPEN_STATES))
    )
    files_count = db.session.scalar(select(func.count()).select_from(Attachment))
    return render_template("units/home.html", tenant=g.tenant, open_jobs=open_jobs, files_count=files_count)


@bp.route("/files")
@requires(Permission.FILE_READ)
def files():
    page = max(request.args.get("page", 1, type=int), 1)
    query = select(Attachment).order_by(Attachment.created_at.desc(), Attachment.id.desc())
    rows = db.session.scalars(query.limit(50).offset((page - 1) * 50)).all()
    return render_template("units/files.html", attachments=rows, page=page)


@bp.route("/files/<int:attachment_id>/link", methods=["POST"])
@requires(Permission.FILE_READ)
def file_link(attachment_id):
    """A short-lived link for this user to download one stored file."""
    attachment = _stored_or_404(attachment_id)
    token = download_token(attachment, current_user.id)
    return {"url": url_for("units.file_download", attachment_id=attachment.id, token=token)}


@bp.route("/files/<int:attachment_id>/download")
@requires(Permission.FILE_READ)
def file_download(attachment_id):
    granted = read_download_token(request.args.get("token", ""), current_user.id)
    if granted != attachment_id:
        abort(404)
    attachment = _stored_or_404(attachment_id)
    try:
        data = storage().get(attachment.storage_key)
    except StorageError:
        abort(503)
    audit.record("attachment.download", attachment)
    response = Response(data, mimetype=attachment.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="file-{attachment.id}"'
    response.headers["X-Content-SHA256"] = attachment.sha256
    return response


@bp.route("/jobs/<task_id>")
@requires(Permission.JOB_READ)
def job_status(task_id):
    task = find_task(task_id)
    if task is None:
        abort(404)
    return render_template("units/job.html", task=refresh_state(task))


def _stored_or_404(attachment_id: int) -> Attachment:
    attachment = db.session.scalar(
        select(Attachment).where(Attachment.id == attachment_id, Attachment.state == STORED)
    )
    if attachment is None:
        abort(404)
    return attachment
