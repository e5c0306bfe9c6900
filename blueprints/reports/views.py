"""The unit's report pages: the list and opening a period's report (police), the report itself
(figures live for a draft, frozen once submitted), its text, submission, the leader's approval or
return with a reason, the people behind a figure, and the unit's comments on the report.

Each handler loads what the URL names (another unit's report is 404 through the scoping), does the
work through `services` (which audit and never commit), and commits once. A report changed by
someone else since the page was read is refused (409) rather than overwritten.
"""

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from blueprints.reports import figures, services
from blueprints.reports import report_queries as rq
from blueprints.reports.blueprint import bp
from blueprints.reports.forms import ActionForm, OpenForm, ReturnForm, SectionsForm, just_ended
from blueprints.reports.models import DRAFT, RETURNED, SECTION_LABELS, SECTIONS, STATUS_LABELS, SUBMITTED
from blueprints.reports.periods import KIND_LABELS
from blueprints.returnees import facts, lifecycle
from blueprints.returnees.comment_queries import CommentForm
from blueprints.returnees.comment_service import can_delete, utc_now
from blueprints.returnees.queries import page_number
from portal import audit
from portal.comments import Comment
from portal.extensions import db
from portal.permissions import Permission, can, requires


def _helpers() -> dict:
    # Passed explicitly (not a context processor): `bp` is shared with other report views.
    return {
        "report_status": lambda s: STATUS_LABELS.get(s, s or ""),
        "kind_label": lambda k: KIND_LABELS.get(k, k or ""),
        "person_status": lambda s: lifecycle.STATUS_LABELS.get(s, s or ""),
        "period_of": rq.period_of,
        "percent": lambda value: format_decimal(value, "0.0"),  # 12,5 in Vietnamese, 12.5 in English
    }


def show_url(report_id: int, anchor: str | None = None) -> str:
    return url_for("reports.show", report_id=report_id, _anchor=anchor)


def changed_message() -> str:
    return _("Someone else changed this report while you were looking at it. Nothing was done: check the "
             "report as it is now, then try again.")


# --- The list and opening a period's report --------------------------------------------------------


def _index_page(form: OpenForm | None, status: int = 200):
    today = facts.today()
    page = render_template(
        "reports/index.html", reports=rq.list_reports(), form=form, today=today,
        suggestions=list(just_ended(today).values()) if form is not None else [], **_helpers(),
    )
    return page, status


@bp.route("/")
@requires(Permission.REPORT_READ)
def index():
    form = None
    if can(g.role, Permission.REPORT_PREPARE):
        form = OpenForm(formdata=None, today=facts.today())
        form.fill_defaults()
    return _index_page(form)


@bp.route("/open", methods=["POST"], endpoint="open")
@requires(Permission.REPORT_PREPARE)
def open_report():
    form = OpenForm(today=facts.today())
    if not form.validate_on_submit():
        return _index_page(form, 422)
    period = form.chosen
    existing = services.find(period) if period.kind != "adhoc" else None
    if existing is not None:
        flash(_("The report of this period was already open: here it is."), "info")
        return redirect(show_url(existing.id), code=303)
    try:
        title = form.title.data if period.kind == "adhoc" else None
        report = services.open_report(period, current_user.id, title=title or None)
        db.session.commit()
    except IntegrityError:
        # A colleague opened the same period at the same moment: theirs is the report.
        db.session.rollback()
        report = services.find(period)
        if report is None:
            raise
    else:
        flash(_("The report was opened as a draft."), "info")
    return redirect(show_url(report.id), code=303)


# --- The report page ------------------------------------------------------------------------------


def _show_page(loaded: rq.Loaded, status: int = 200, *, return_form=None, comment_form=None, problem=None):
    report = loaded.report
    period = rq.period_of(report)
    live = not report.is_frozen
    # A draft shows the figures as they are now; a submitted report the snapshot it was sent with.
    values = services.snapshot(period) if live else (report.figures or {})
    version = {"version": report.version}
    context = {
        "report": report, "loaded": loaded, "period": period, "live": live, "today": facts.today(),
        "sections": rq.figure_sections(values), "section_labels": SECTION_LABELS, "text_sections": SECTIONS,
        "files": rq.files_of(report), "comments": rq.comments_of(report), "problem": problem,
        "can_prepare": can(g.role, Permission.REPORT_PREPARE) and report.status in (DRAFT, RETURNED),
        "can_decide": can(g.role, Permission.REPORT_APPROVE) and report.status == SUBMITTED,
        "can_comment": can(g.role, Permission.COMMENT),
        "return_form": return_form or ReturnForm(formdata=None, data=version),
        "comment_form": comment_form or CommentForm(formdata=None),
    }
    return render_template("reports/show.html", **context, **_helpers()), status


@bp.route("/<int:report_id>")
@requires(Permission.REPORT_READ)
def show(report_id):
    return _show_page(rq.report_or_404(report_id))


# --- The text -------------------------------------------------------------------------------------


def _edit_page(report, form, status: int = 200, problem: str | None = None):
    page = render_template("reports/edit.html", report=report, form=form, problem=problem,
                           period=rq.period_of(report), **_helpers())
    return page, status


@bp.route("/<int:report_id>/edit", methods=["GET", "POST"])
@requires(Permission.REPORT_PREPARE)
def edit(report_id):
    report = rq.report_only_or_404(report_id)
    if request.method != "POST":
        saved = report.sections or {}
        form = SectionsForm(formdata=None, data={**{k: saved.get(k, "") for k in SECTIONS}, "version": report.version})
    else:
        form = SectionsForm()
    if report.is_frozen:
        return _edit_page(report, form, 409, _("This report has been submitted: its text can no longer be changed."))
    if request.method != "POST":
        return _edit_page(report, form)
    if not form.validate_on_submit():
        return _edit_page(report, form, 422)
    if str(form.version.data or "") != str(report.version):
        return _conflict(form, report)
    try:
        services.save_sections(report, form.values(), current_user.id)
        db.session.commit()
    except services.ReportError as exc:
        db.session.rollback()
        return _edit_page(rq.report_only_or_404(report_id), form, 409, str(exc))
    except StaleDataError:
        db.session.rollback()
        return _conflict(form, rq.report_only_or_404(report_id))
    flash(_("The report's text was saved."), "info")
    return redirect(show_url(report_id), code=303)


def _conflict(form, report):
    # The form now carries the saved version: saving it again is a deliberate overwrite.
    form.version.data = report.version
    message = _("Someone else saved this report while you were working on it. Nothing of yours was saved; your "
                "text is kept below. Check the report as it is now: saving this form again will apply your text.")
    return _edit_page(report, form, 409, message)


# --- Submission and the leader's decision ----------------------------------------------------------


def _decide(report_id: int, form, action, done: str):
    """Run `action(report)` if the report is still the version the user saw; commit; or say why not."""
    loaded = rq.report_or_404(report_id)
    if form.version.data and str(form.version.data) != str(loaded.report.version):
        return _show_page(loaded, 409, problem=changed_message())
    try:
        action(loaded.report)
        db.session.commit()
    except services.ReportError as exc:
        db.session.rollback()
        return _show_page(rq.report_or_404(report_id), 409, problem=str(exc))
    except StaleDataError:
        db.session.rollback()
        return _show_page(rq.report_or_404(report_id), 409, problem=changed_message())
    flash(done, "info")
    return redirect(show_url(report_id), code=303)


@bp.route("/<int:report_id>/submit", methods=["POST"])
@requires(Permission.REPORT_PREPARE)
def submit(report_id):
    return _decide(report_id, ActionForm(), lambda r: services.submit(r, current_user.id),
                   _("The report was submitted to the leader; its figures are now frozen."))


@bp.route("/<int:report_id>/approve", methods=["POST"])
@requires(Permission.REPORT_APPROVE)
def approve(report_id):
    return _decide(report_id, ActionForm(), lambda r: services.approve(r, current_user.id),
                   _("The report was approved."))


@bp.route("/<int:report_id>/return", methods=["POST"], endpoint="send_back")
@requires(Permission.REPORT_APPROVE)
def send_back(report_id):
    form = ReturnForm()
    if not form.validate_on_submit():
        return _show_page(rq.report_or_404(report_id), 422, return_form=form)
    return _decide(report_id, form, lambda r: services.send_back(r, current_user.id, form.reason.data),
                   _("The report was returned to the police for correction."))


# --- The people behind a figure --------------------------------------------------------------------


@bp.route("/<int:report_id>/figures/<key>")
@requires(Permission.REPORT_READ)
def cases(report_id, key):
    report = rq.report_only_or_404(report_id)
    page = rq.case_page(report, key, page_number())
    if page is None:
        abort(404)  # no such figure, or one about the unit (outreach, employers) rather than people
    # A list of people with a criminal record is a read of personal data.
    audit.record("report.cases", report, reason=f"figure:{key}")
    figure = figures.BY_KEY[key]
    total = page.total if page.total is not None else (0 if page.number == 1 else None)
    frozen = (report.figures or {}).get(key) if report.is_frozen else None
    return render_template(
        "reports/cases.html", report=report, period=rq.period_of(report), figure=figure, page=page,
        today_count=total, frozen_value=frozen, counts_people=rq.counts_people(figure), **_helpers(),
    )


# --- Comments --------------------------------------------------------------------------------------


@bp.route("/<int:report_id>/comments", methods=["POST"])
@requires(Permission.COMMENT)
def comment(report_id):
    loaded = rq.report_or_404(report_id)
    form = CommentForm()
    if not form.validate():
        return _show_page(loaded, 422, comment_form=form)
    note = Comment(target_type=rq.COMMENT_TARGET, target_id=loaded.report.id, author_id=current_user.id,
                   body=form.body.data, created_at=utc_now())
    db.session.add(note)
    db.session.flush()
    audit.record("comment.create", note, reason=f"report:{loaded.report.id}")
    db.session.commit()
    flash(_("Comment added."), "info")
    return redirect(show_url(report_id, "comments"), code=303)


@bp.route("/<int:report_id>/comments/<int:comment_id>/delete", methods=["POST"])
@requires(Permission.COMMENT)
def delete_comment(report_id, comment_id):
    """An author may delete their own comment within 15 minutes, as on dossiers; nobody else's."""
    report = rq.report_only_or_404(report_id)
    if not 0 < comment_id <= rq.MAX_ID:
        abort(404)
    note = db.session.scalar(select(Comment).where(
        Comment.id == comment_id, Comment.target_type == rq.COMMENT_TARGET, Comment.target_id == report.id
    ))
    if note is None:
        abort(404)
    if not can_delete(note, current_user.id):
        abort(403)
    audit.record("comment.delete", note, reason=f"report:{report.id}")
    db.session.delete(note)
    db.session.commit()
    flash(_("Comment deleted."), "info")
    return redirect(show_url(report_id, "comments"), code=303)
