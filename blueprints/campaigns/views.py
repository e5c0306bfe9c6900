"""The unit's campaign pages: the list of campaigns and the campaign page (the city's facts, the unit's
plan and tasks, its expected people and their arrival, loan lists, results report, plan documents and
comments), opening the results report, and commenting on the plan.

Police work on it, the leader approves, the Fatherland Front member reads and comments (ID numbers
masked). The plan's editing lives in plan_views, the people in people_views, loan lists in loan_views.
"""

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from blueprints.campaigns import services, unit_services
from blueprints.campaigns import unit_queries as uq
from blueprints.campaigns.blueprint import bp
from blueprints.campaigns.forms import (
    LIST_STATUS_LABELS,
    LOAN_PURPOSE_LABELS,
    PLAN_STATUS_LABELS,
    TASK_STATE_LABELS,
)
from blueprints.campaigns.models import AGENCY_LABELS, OPEN
from blueprints.reports.models import STATUS_LABELS as REPORT_STATUS_LABELS
from blueprints.returnees import facts, lifecycle
from blueprints.returnees.comment_queries import CommentForm
from blueprints.returnees.labels import SEX_LABELS, shown_national_id
from portal import audit
from portal.extensions import db
from portal.permissions import Permission, can, requires

ARRIVAL_LABELS = {
    "expected": _l("Expected"),
    "arrived_on_time": _l("Presented on time"),
    "arrived_late": _l("Presented late"),
    "not_arrived": _l("Not arrived after the release date"),
    "closed": _l("Closed"),
}


def helpers() -> dict:
    """What the campaign templates call (passed explicitly: `bp` is shared with the documents' views)."""
    return {
        "national_id": shown_national_id,
        "sex_label": lambda v: SEX_LABELS.get(v, v or ""),
        "status_label": lambda s: lifecycle.STATUS_LABELS.get(s, s or ""),
        "agency_label": lambda a: AGENCY_LABELS.get(a, a or ""),
        "task_state": lambda s: TASK_STATE_LABELS.get(s, s or ""),
        "task_states": TASK_STATE_LABELS,
        "plan_status": lambda s: PLAN_STATUS_LABELS.get(s, s or ""),
        "report_status": lambda s: REPORT_STATUS_LABELS.get(s, s or ""),
        "purpose_label": lambda p: LOAN_PURPOSE_LABELS.get(p, p or ""),
        "list_status": lambda s: LIST_STATUS_LABELS.get(s, s or ""),
        "arrival_state": uq.arrival_state,
        "can_work": can(g.get("role"), Permission.CAMPAIGN_UNIT_WORK),
        "can_approve": can(g.get("role"), Permission.CAMPAIGN_UNIT_APPROVE),
    }


def show_url(campaign_id: int, anchor: str | None = None) -> str:
    return url_for("campaigns.show", campaign_id=campaign_id, _anchor=anchor)


def plan_or_make(campaign):
    """The unit's plan; made from the template if the opening job has not reached this unit yet."""
    plan = uq.plan_of(campaign)
    if plan is not None:
        return plan
    try:
        services.ensure_plan(campaign)
        db.session.commit()
    except IntegrityError:  # made by a colleague's first view at the same moment: theirs is the plan
        db.session.rollback()
    return uq.plan_of(campaign)


@bp.route("/")
@requires(Permission.CAMPAIGN_UNIT_READ)
def index():
    return render_template("campaigns/index.html", rows=uq.campaign_rows(), open_state=OPEN, **helpers())


def _show_page(campaign, plan, *, comment_form=None, status=200):
    people = uq.people_of(campaign)
    # The page lists people with a criminal record: a read of personal data, logged like the dossier list.
    audit.record("campaign.people_list", campaign, reason=f"people={len(people)}")
    context = {
        "campaign": campaign, "plan": plan, "today": facts.today(), "people": people,
        "lists": uq.lists_of(campaign), "report": uq.report_of(campaign), "documents": uq.documents_of(plan),
        "comments": uq.comments_of(plan), "comment_form": comment_form or CommentForm(formdata=None),
        "can_comment": can(g.role, Permission.COMMENT), "can_open_report": can(g.role, Permission.REPORT_PREPARE),
        "arrival_labels": ARRIVAL_LABELS,
    }
    return render_template("campaigns/show.html", **context, **helpers()), status


@bp.route("/<int:campaign_id>")
@requires(Permission.CAMPAIGN_UNIT_READ)
def show(campaign_id):
    campaign = uq.campaign_or_404(campaign_id)
    return _show_page(campaign, plan_or_make(campaign))


@bp.route("/<int:campaign_id>/comments", methods=["POST"])
@requires(Permission.COMMENT)
def comment(campaign_id):
    campaign = uq.campaign_or_404(campaign_id)
    plan = plan_or_make(campaign)
    form = CommentForm()
    if not form.validate():
        return _show_page(campaign, plan, comment_form=form, status=422)
    unit_services.add_comment(plan, form.body.data, current_user.id)
    db.session.commit()
    flash(_("Comment added."), "info")
    return redirect(show_url(campaign.id, "comments"), code=303)


@bp.route("/<int:campaign_id>/report", methods=["POST"])
@requires(Permission.REPORT_PREPARE)
def report_open(campaign_id):
    campaign = uq.campaign_or_404(campaign_id)
    try:
        report = unit_services.open_report(campaign, current_user.id)
        db.session.commit()
    except IntegrityError:  # a colleague opened it at the same moment: theirs is the report
        db.session.rollback()
        report = uq.report_of(campaign)
        if report is None:
            raise
    return redirect(url_for("reports.show", report_id=report.id), code=303)


# The campaign's other unit pages (imported here so the page is whole whatever routes.py lists).
from blueprints.campaigns import people_views, plan_views  # noqa: E402, F401
