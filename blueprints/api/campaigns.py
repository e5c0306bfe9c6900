"""Special-pardon campaigns through the API (DESIGN.md §7, §11).

The list of campaigns (the city sees drafts too; units only opened and closed ones); a unit's own plan
with its tasks, its published progress and its results report's state; the city's board, one row per
active unit from what the units published (`CampaignProgress`: dates and counts). None of them reads or
returns a person: the expected and arrived people appear only as counts.
"""

from flask import abort, g, jsonify, request
from flask_babel import gettext
from sqlalchemy import select

from blueprints.api import bp
from blueprints.api.serializers import iso
from blueprints.api.validation import Invalid, collect
from blueprints.campaigns import board, services
from blueprints.campaigns import unit_queries as uq
from blueprints.campaigns.models import CAMPAIGN_STATES, CLOSED, OPEN, Campaign, CampaignProgress
from blueprints.reports.models import APPROVED, SUBMITTED, Report
from blueprints.reports.services import local_date, utcnow
from portal.extensions import db
from portal.permissions import Permission, can, requires, signed_in
from tenants.models import KINDS

MAX_ID = 2**31 - 1
PROGRESS_COUNTS = ("tasks_total", "tasks_done", "expected", "arrived", "presented_on_time", "presented_late",
                   "loan_people", "loan_vnd")
BOARD_FILTERS = {"plan": tuple(board.PLAN_FILTERS), "report": tuple(board.REPORT_FILTERS), "kind": KINDS}


def campaign_json(campaign: Campaign) -> dict:
    return {
        "id": campaign.id, "name": campaign.name, "year": campaign.year, "round": campaign.round,
        "status": campaign.status,
        "pardon_decision_number": campaign.pardon_decision_number,
        "pardon_decision_date": iso(campaign.pardon_decision_date),
        "release_decision_number": campaign.release_decision_number,
        "release_effective_on": iso(campaign.release_effective_on),
        "city_plan_number": campaign.city_plan_number, "city_plan_date": iso(campaign.city_plan_date),
        "report_due_on": iso(campaign.report_due_on), "opened_at": iso(campaign.opened_at),
        "task_template": [{"agency": r.get("agency"), "text": r.get("text")} for r in campaign.task_template or []],
    }


def plan_json(plan) -> dict | None:
    if plan is None:
        return None
    return {
        "id": plan.id, "number": plan.number, "signed_on": iso(plan.signed_on), "place": plan.place,
        "signer_name": plan.signer_name, "signer_title": plan.signer_title, "status": plan.status,
        "issued_at": iso(plan.issued_at), "version": plan.version,
        "purpose": plan.purpose, "content": plan.content, "organisation": plan.organisation,
        "recipients": plan.recipients,
        "tasks": [
            {"id": t.id, "agency": t.agency, "text": t.text, "due_on": iso(t.due_on), "status": t.status,
             "note": t.note, "position": t.position}
            for t in plan.tasks
        ],
    }


def progress_json(progress: CampaignProgress | None) -> dict:
    counts = {name: (getattr(progress, name) or 0) if progress is not None else 0 for name in PROGRESS_COUNTS}
    return {
        **counts,
        "plan_status": progress.plan_status if progress is not None else None,
        "plan_issued_on": iso(progress.plan_issued_on) if progress is not None else None,
        "report_status": progress.report_status if progress is not None else None,
        "report_submitted_at": iso(progress.report_submitted_at) if progress is not None else None,
        "report_late": progress.report_late if progress is not None else None,
        "updated_at": iso(progress.updated_at) if progress is not None else None,
    }


def report_state_json(campaign: Campaign, report, today) -> dict:
    submitted = report is not None and report.status in (SUBMITTED, APPROVED)
    return {
        "id": report.id if report is not None else None,
        "status": report.status if report is not None else None,
        "due_on": iso(report.due_on if report is not None else campaign.report_due_on),
        "submitted_at": iso(report.submitted_at) if report is not None else None,
        "late": report.late if report is not None else None,
        "overdue": not submitted and today > campaign.report_due_on,
    }


@bp.route("/campaigns")
@signed_in
def list_campaigns():
    """City police see every campaign; unit users the opened and closed ones; anyone else 403."""
    user = g.api_user
    if can(user.city_role, Permission.CAMPAIGN_CITY):
        visible = CAMPAIGN_STATES
    elif any(can(m.role, Permission.CAMPAIGN_UNIT_READ) for m in user.unit_memberships):
        visible = (OPEN, CLOSED)
    else:
        abort(403)

    def read_status():
        status = request.args.get("status", "")
        if status and status not in CAMPAIGN_STATES:
            raise Invalid({"status": gettext("Not a valid choice.")})
        return status

    (status,) = collect(read_status)
    states = [s for s in visible if not status or s == status]
    rows = db.session.scalars(
        select(Campaign).where(Campaign.status.in_(states))
        .order_by(Campaign.year.desc(), Campaign.round.desc(), Campaign.id.desc())
    ).all()
    return jsonify(items=[campaign_json(c) for c in rows], total=len(rows))


@bp.route("/t/<tenant_slug>/campaigns/<int:campaign_id>")
@requires(Permission.CAMPAIGN_UNIT_READ)
def unit_campaign(campaign_id):
    """The unit's plan, its published progress and its report's state (a draft campaign is 404)."""
    campaign = uq.campaign_or_404(campaign_id)
    plan = uq.plan_of(campaign)
    progress = db.session.scalar(select(CampaignProgress).where(
        CampaignProgress.tenant_id == g.tenant.id, CampaignProgress.campaign_id == campaign.id))
    if progress is None:  # nothing published yet (the opening job has not reached the unit): count now
        progress = services.publish(campaign)
        db.session.commit()
    report = db.session.scalar(select(Report).where(Report.campaign_id == campaign.id))
    today = local_date(utcnow())
    return jsonify(campaign=campaign_json(campaign), plan=plan_json(plan), progress=progress_json(progress),
                   report=report_state_json(campaign, report, today))


def _board_filters() -> dict:
    errors, out = {}, {}
    for name, choices in BOARD_FILTERS.items():
        value = request.args.get(name, "")
        if value and value not in choices:
            errors[name] = gettext("Not a valid choice.")
        out[name] = value
    if errors:
        raise Invalid(errors)
    return out


def board_row_json(row: board.BoardRow) -> dict:
    return {
        "tenant": row.tenant.slug, "code": row.tenant.code, "name": row.tenant.name, "kind": row.tenant.kind,
        "plan_state": row.plan, "report_state": row.report, "overdue": row.overdue,
        **progress_json(row.progress),
    }


@bp.route("/city/campaigns/<int:campaign_id>/board")
@requires(Permission.CAMPAIGN_CITY)
def city_board(campaign_id):
    """One row per active unit with its published counts and states, and the totals of the rows listed."""
    (filters,) = collect(_board_filters)
    campaign = db.session.get(Campaign, campaign_id) if 0 < campaign_id <= MAX_ID else None
    if campaign is None:
        abort(404)
    today = local_date(utcnow())
    rows = [r for r in board.rows(campaign, today) if board.keep(r, **filters)]
    return jsonify(campaign=campaign_json(campaign), units=[board_row_json(r) for r in rows],
                   totals=board.summary(rows), today=iso(today))

