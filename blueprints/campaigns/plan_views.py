"""The unit's plan: editing it with its tasks (police), issuing it (the leader), and recording a task's
progress (police, before and after issue: the work goes on once the plan is signed).

Task rows are added and removed without script: "Add a row" posts the form back with one more empty
row (nothing saved), a ticked "Remove" drops the row when the form is saved. A plan saved by someone
else since the form was filled is refused (409) with what was typed kept.
"""

from flask import flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from blueprints.campaigns import unit_queries as uq
from blueprints.campaigns import unit_services
from blueprints.campaigns.blueprint import bp
from blueprints.campaigns.forms import PlanForm, TaskUpdateForm, VersionForm
from blueprints.campaigns.models import PLAN_ISSUED
from blueprints.campaigns.views import helpers, plan_or_make, show_url
from blueprints.returnees.common import stale
from portal.extensions import db
from portal.permissions import Permission, requires


def _page(campaign, plan, form, *, conflict=None, problem=None, status=200):
    page = render_template("campaigns/plan_form.html", campaign=campaign, plan=plan, form=form,
                           conflict=conflict, problem=problem, **helpers())
    return page, status


def _issued():
    message = _("This plan has been issued: it can no longer be edited. Task progress can still be recorded "
                "on the campaign page.")
    return render_template("error.html", status=409, message=message), 409


def _fill(form: PlanForm, plan) -> None:
    for name in PlanForm.PLAN_FIELDS:
        form[name].data = getattr(plan, name)
    form.version.data = plan.version
    for task in plan.tasks:
        form.tasks.append_entry({"id": str(task.id), "agency": task.agency, "text": task.text,
                                 "due_on": task.due_on, "status": task.status, "note": task.note})


@bp.route("/<int:campaign_id>/plan", methods=["GET", "POST"])
@requires(Permission.CAMPAIGN_UNIT_WORK)
def plan_edit(campaign_id):
    campaign = uq.campaign_or_404(campaign_id)
    plan = plan_or_make(campaign)
    if plan.status == PLAN_ISSUED:
        return _issued()
    if request.method != "POST":
        form = PlanForm(formdata=None)
        _fill(form, plan)
        return _page(campaign, plan, form)
    form = PlanForm()
    if request.form.get("action") == "add":
        form.tasks.append_entry({"due_on": campaign.report_due_on})
        return _page(campaign, plan, form)
    if not form.validate():
        return _page(campaign, plan, form, status=422)
    if stale(form.version.data, plan):
        return _conflict(campaign, plan, form)
    try:
        unit_services.save_plan(campaign, plan, form.plan_data(), form.task_rows(), current_user.id)
        db.session.commit()
    except unit_services.UnitError as exc:
        db.session.rollback()
        return _page(campaign, plan, form, problem=str(exc), status=409)
    except StaleDataError:
        db.session.rollback()
        return _conflict(campaign, uq.plan_of(campaign), form)
    flash(_("The plan was saved."), "info")
    return redirect(show_url(campaign.id, "plan"), code=303)


def _conflict(campaign, plan, form):
    # The form now carries the saved version: submitting it again is a deliberate overwrite.
    form.version.data = plan.version
    message = _(
        "Someone else saved this plan while you were working on it. Nothing of yours was saved; your entries "
        "are kept below. Check the plan as it is now: saving this form again will apply your entries."
    )
    return _page(campaign, plan, form, conflict=message, status=409)


@bp.route("/<int:campaign_id>/plan/issue", methods=["POST"])
@requires(Permission.CAMPAIGN_UNIT_APPROVE)
def plan_issue(campaign_id):
    campaign = uq.campaign_or_404(campaign_id)
    plan = plan_or_make(campaign)
    form = VersionForm()
    if not form.validate() or stale(form.version.data, plan):
        flash(_("The plan changed since you opened the page: check it, then issue it again."), "error")
        return redirect(show_url(campaign.id, "plan"), code=303)
    try:
        unit_services.issue_plan(campaign, plan, current_user.id)
        db.session.commit()
    except unit_services.UnitError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(show_url(campaign.id, "plan"), code=303)
    flash(_("The plan was issued."), "info")
    return redirect(show_url(campaign.id, "plan"), code=303)


@bp.route("/<int:campaign_id>/tasks/<int:task_id>", methods=["POST"])
@requires(Permission.CAMPAIGN_UNIT_WORK)
def task_update(campaign_id, task_id):
    campaign = uq.campaign_or_404(campaign_id)
    plan = plan_or_make(campaign)
    task = uq.task_or_404(plan, task_id)
    form = TaskUpdateForm()
    if not form.validate():
        flash(_("Choose a valid status; a note has at most 2000 characters."), "error")
        return redirect(show_url(campaign.id, f"task-{task.id}"), code=303)
    unit_services.update_task(campaign, plan, task, form.status.data, form.note.data, current_user.id)
    db.session.commit()
    flash(_("The task was updated."), "info")
    return redirect(show_url(campaign.id, f"task-{task.id}"), code=303)
