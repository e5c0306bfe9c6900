"""A unit's pages under /t/<tenant_slug>/: its home, its files and its background jobs."""

import io
import re

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale, gettext
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.exceptions import RequestEntityTooLarge

from blueprints.reports import reminders as report_reminders
from blueprints.returnees import facts, home_queries
from blueprints.returnees.attachment_queries import TARGET as TARGET_RETURNEE
from blueprints.returnees.expungement import STATUS_LABELS as EXPUNGEMENT_LABELS
from blueprints.returnees.models import Returnee
from portal import audit
from portal.extensions import db
from portal.permissions import Permission, can, requires
from workers import tasks as states
from workers.attachments import (
    REJECT_LABELS,
    REJECTED,
    STORED,
    Attachment,
    accept_upload,
    discard_quarantine,
    download_token,
    read_download_token,
    served_name,
)
from workers.runner import find_task, refresh_state, request_job
from workers.storage import StorageError, storage

bp = Blueprint("units", __name__, url_prefix="/t/<tenant_slug>")
PAGE_SIZE = 50
TARGET_TYPE = re.compile(r"^[a-z_]{1,40}$")
TARGET_ID = re.compile(r"^[1-9][0-9]{0,8}$")  # fits the integer column on every database


@bp.route("/")
@requires(Permission.UNIT_HOME)
def home():
    open_jobs = db.session.scalar(
        select(func.count()).select_from(states.Task).where(states.Task.state.in_(states.OPEN_STATES))
    )
    files_count = db.session.scalar(select(func.count()).select_from(Attachment))
    due = None
    if can(g.role, Permission.DOSSIER_READ):
        # Names of people with a criminal record: an audited read, like the list of dossiers.
        due = home_queries.due_in_unit(facts.today())
        audit.record("returnee.due_list", object_type="returnees", reason=f"items={due.count}")
    # Reports still owed to the city (one query): every role that reads reports sees them.
    can_read_reports = can(g.role, Permission.REPORT_READ)
    reminders = report_reminders.open_reminders() if can_read_reports else []
    return render_template(
        "units/home.html", tenant=g.tenant, open_jobs=open_jobs, files_count=files_count, due=due,
        can_write=can(g.role, Permission.DOSSIER_WRITE), expungement_labels=EXPUNGEMENT_LABELS,
        reminders=reminders, reminder_label=report_reminders.label, can_read_reports=can_read_reports,
    )


@bp.route("/files")
@requires(Permission.FILE_READ)
def files():
    return _files_page()


@bp.route("/files", methods=["POST"])
@requires(Permission.DOSSIER_WRITE)
def upload():
    """Accept a file into quarantine and ask a job to check and store it (DESIGN.md §10)."""
    sent = request.files.get("file")  # may raise RequestEntityTooLarge: see too_large below
    if sent is None or not sent.filename:
        return _files_page(gettext("Choose a file to upload."), 422)
    target_type = request.form.get("target_type") or "unit"
    target_id = request.form.get("target_id") or None
    if not TARGET_TYPE.match(target_type) or (target_id is not None and not TARGET_ID.match(target_id)):
        return _files_page(gettext("The file is not attached to a valid record."), 422)
    returnee = _attachment_target(target_type, target_id)
    data = sent.read()
    if not data:
        return _files_page(gettext("The file “%(name)s” is empty. Nothing was saved.", name=sent.filename), 422)
    try:
        attachment = accept_upload(target_type, target_id and int(target_id), sent.filename, data, current_user.id)
    except StorageError:
        db.session.rollback()
        current_app.logger.warning("file storage unreachable; upload refused")
        message = gettext(
            "File storage cannot be reached just now. Nothing was saved; please try again in a few minutes."
        )
        return _files_page(message, 503)
    quarantined = attachment.quarantine_key
    try:
        audit.record("attachment.upload", attachment)
        request_job("files.store", attachment_id=attachment.id, actor_id=current_user.id, locale=str(get_locale()))
    except Exception:
        db.session.rollback()
        discard_quarantine(quarantined)  # the row was never saved: its bytes must not linger
        raise
    flash(_received_message(attachment), "error" if attachment.state == REJECTED else "info")
    if returnee is not None:
        return redirect(url_for("returnees.dossier", returnee_id=returnee.id, _anchor="attachments"), code=303)
    return redirect(url_for("units.files"), code=303)


def _attachment_target(target_type: str, target_id: str | None):
    """The dossier a file is for (404 if not in this unit, 409 if closed), or None for unit files."""
    if target_type != TARGET_RETURNEE:
        return None
    returnee = db.session.scalar(select(Returnee).where(Returnee.id == int(target_id or 0)))
    if returnee is None:
        abort(404)
    if returnee.is_closed:
        abort(409)
    return returnee


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc):
    # Raised while the form is parsed, possibly by the CSRF check before the guard ran: say what
    # happened and nothing about the unit's data.
    message = gettext("The file is too large: the limit is %(size)s MB. Nothing was saved.", size=_limit_mb())
    return render_template("units/upload_refused.html", message=message), 413


@bp.route("/files/<int:attachment_id>/link", methods=["POST"])
@requires(Permission.FILE_READ)
def file_link(attachment_id):
    """A short-lived link for this user to download one stored file (JSON, for scripts)."""
    attachment = _stored_or_404(attachment_id)
    return {"url": _signed_url(attachment)}


@bp.route("/files/<int:attachment_id>/open", methods=["POST"])
@requires(Permission.FILE_READ)
def file_open(attachment_id):
    """The files page's download button: mint the short-lived link and follow it."""
    return redirect(_signed_url(_stored_or_404(attachment_id)), code=303)


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
        current_app.logger.warning("file storage unreachable; download of attachment %s failed", attachment.id)
        message = gettext("File storage cannot be reached just now; please try the download again in a few minutes.")
        return render_template("error.html", status=503, message=message), 503
    audit.record("attachment.download", attachment)
    # send_file writes the RFC 6266 filename* form, so Vietnamese names arrive intact.
    response = send_file(
        io.BytesIO(data),
        mimetype=attachment.content_type or "application/octet-stream",
        as_attachment=True,
        download_name=served_name(attachment.filename, attachment.content_type),
        etag=False,
    )
    response.headers["X-Content-SHA256"] = attachment.sha256
    response.headers["Cache-Control"] = "no-store, private"
    return response


@bp.route("/jobs/<task_id>")
@requires(Permission.JOB_READ)
def job_status(task_id):
    task = find_task(task_id)
    if task is None:
        abort(404)
    return render_template("units/job.html", task=refresh_state(task))


def _files_page(error: str | None = None, status: int = 200):
    page = max(request.args.get("page", 1, type=int), 1)
    query = select(Attachment).order_by(Attachment.created_at.desc(), Attachment.id.desc())
    rows = db.session.scalars(query.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    return render_template(
        "units/files.html",
        attachments=rows[:PAGE_SIZE],
        page=page,
        has_next=len(rows) > PAGE_SIZE,
        error=error,
        can_upload=can(g.role, Permission.DOSSIER_WRITE),
        max_mb=_limit_mb(),
        reject_labels=REJECT_LABELS,
    ), status


def _limit_mb() -> str:
    limit = current_app.config["MAX_CONTENT_LENGTH"] or 0
    return f"{limit / (1024 * 1024):g}"


def _received_message(attachment: Attachment) -> str:
    # No file name here: flashed messages travel in the (signed, not encrypted) session cookie, and
    # a scan's name is often a person's name. The list below the message shows the name.
    if attachment.state == STORED:
        return gettext("The file was checked and stored.")
    if attachment.state == REJECTED:
        reason = REJECT_LABELS.get(attachment.reject_reason, attachment.reject_reason)
        return gettext("The file was refused: %(reason)s", reason=reason)
    return gettext("The file was received; it is being checked.")


def _signed_url(attachment: Attachment) -> str:
    token = download_token(attachment, current_user.id)
    return url_for("units.file_download", attachment_id=attachment.id, token=token)


def _stored_or_404(attachment_id: int) -> Attachment:
    attachment = db.session.scalar(
        select(Attachment).where(Attachment.id == attachment_id, Attachment.state == STORED)
    )
    if attachment is None:
        abort(404)
    return attachment
