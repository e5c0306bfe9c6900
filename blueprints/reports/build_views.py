"""Building and downloading report files: a unit's report (XLSX, PDF) and the city's roll-up.

Building is reading (the figures already exist), so every unit role may ask for it and for a link;
the files themselves come through a signed link for one user, valid a few minutes, and each
download is audited.
"""

import io

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale, gettext
from flask_login import current_user
from sqlalchemy import select

from blueprints.reports.blueprint import bp, city_bp
from blueprints.reports.models import LIVE, REPORTED, Report, ReportFile, RollupFile
from blueprints.reports.periods import BadPeriod, parse
from portal import audit
from portal.extensions import db
from portal.permissions import Permission, requires
from workers import report_builds, tasks
from workers.runner import find_city_task, refresh_state, request_city_job, request_job
from workers.storage import StorageError, storage


def _report_or_404(report_id: int) -> Report:
    report = db.session.scalar(select(Report).where(Report.id == report_id))
    if report is None:
        abort(404)
    return report


@bp.route("/<int:report_id>/build", methods=["POST"])
@requires(Permission.FILE_READ)
def build(report_id):
    report = _report_or_404(report_id)
    task = request_job("reports.build", actor_id=current_user.id, locale=str(get_locale()), report_id=report.id)
    _flash_requested(task)
    return redirect(url_for("reports.show", report_id=report.id), code=303)


@bp.route("/files/<int:file_id>/link", methods=["POST"])
@requires(Permission.FILE_READ)
def file_link(file_id):
    row = db.session.scalar(select(ReportFile).where(ReportFile.id == file_id))
    if row is None:
        abort(404)
    token = report_builds.download_token("report", row.id, current_user.id)
    return redirect(url_for("reports.download", token=token), code=303)


@bp.route("/files/download/<token>")
@requires(Permission.FILE_READ)
def download(token):
    file_id = report_builds.read_download_token(token, "report", current_user.id)
    row = db.session.scalar(select(ReportFile).where(ReportFile.id == file_id)) if file_id else None
    if row is None:
        abort(404)
    report = _report_or_404(row.report_id)
    return _send(row, "report.download", report_builds.download_name("bao-cao", report.period, row.format))


@city_bp.route("/rollups/<period>/build", methods=["POST"], endpoint="build")
@requires(Permission.CITY_ROLLUP)
def build_rollup(period):
    period = _period_or_404(period)
    source = request.form.get("source", REPORTED)
    if source not in (REPORTED, LIVE):
        abort(400)
    task = request_city_job("rollups.build", actor_id=current_user.id, locale=str(get_locale()),
                            period=period.key, source=source)
    _flash_requested(task)
    return redirect(url_for("rollups.board", period=period.key, source=source), code=303)


@city_bp.route("/rollups/files/<int:file_id>/link", methods=["POST"], endpoint="file_link")
@requires(Permission.CITY_ROLLUP)
def rollup_file_link(file_id):
    if db.session.get(RollupFile, file_id) is None:
        abort(404)
    token = report_builds.download_token("rollup", file_id, current_user.id)
    return redirect(url_for("rollups.download", token=token), code=303)


@city_bp.route("/rollups/files/download/<token>", endpoint="download")
@requires(Permission.CITY_ROLLUP)
def rollup_download(token):
    file_id = report_builds.read_download_token(token, "rollup", current_user.id)
    row = db.session.get(RollupFile, file_id) if file_id else None
    if row is None:
        abort(404)
    name = report_builds.download_name(f"tong-hop-{row.source}", row.period, row.format)
    return _send(row, "rollup.download", name)


@city_bp.route("/jobs/<task_id>", endpoint="job")
@requires(Permission.CITY_ROLLUP)
def rollup_job(task_id):
    task = find_city_task(task_id)
    if task is None:
        abort(404)
    task = refresh_state(task)
    running = task.state in (tasks.PENDING, tasks.QUEUED, tasks.STARTED)
    response = current_app.make_response(render_template("city/rollup_job.html", task=task, running=running))
    if running:
        response.headers["Refresh"] = "2"  # the page follows the job without a script
    return response


def _period_or_404(text: str):
    try:
        return parse(text)
    except BadPeriod:
        abort(404)


def _flash_requested(task) -> None:
    if task.state == tasks.FINISHED:
        flash(gettext("The files were built."), "success")
    elif task.state == tasks.FAILED:
        flash(gettext("The files could not be built: %(message)s", message=task.message or ""), "error")
    else:
        flash(gettext("The files are being built; they appear here when ready."), "info")


def _send(row, action: str, name: str):
    try:
        data = storage().get(row.storage_key)
    except StorageError:
        current_app.logger.warning("file storage unreachable; download of %s %s failed", row.__tablename__, row.id)
        message = gettext("File storage cannot be reached just now; please try the download again in a few minutes.")
        return render_template("error.html", status=503, message=message), 503
    audit.record(action, row)
    response = send_file(io.BytesIO(data), mimetype=report_builds.CONTENT_TYPES[row.format], as_attachment=True,
                         download_name=name, etag=False)
    response.headers["X-Content-SHA256"] = row.sha256
    response.headers["Cache-Control"] = "no-store, private"
    return response
