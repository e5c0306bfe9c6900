"""A campaign's life: the city creates and opens it; each unit gets its plan from the template; the
unit's progress is published for the city's board after every change that moves it.

Nothing here commits: the caller commits (a view) or commits per unit (the opening job).
"""

from flask_babel import gettext
from sqlalchemy import and_, func, or_, select

from blueprints.campaigns import template
from blueprints.campaigns.models import (
    AGENCIES,
    DRAFT,
    LIST_CERTIFIED,
    OPEN,
    PLAN_ISSUED,
    Campaign,
    CampaignProgress,
    LoanList,
    LoanListEntry,
    PlanTask,
    UnitPlan,
)
from blueprints.reports.models import Report
from blueprints.reports.periods import Period
from blueprints.reports.services import utcnow
from blueprints.returnees.models import Returnee
from portal import audit
from portal.extensions import db
from tenants.context import current_tenant, current_tenant_id
from tenants.models import Tenant
from workers.runner import job, report_progress


class CampaignError(ValueError):
    """A change the campaign's state does not allow; the message is translated."""


def period_of(campaign: Campaign) -> Period:
    """The span the campaign's results report covers: from the release decision to the deadline."""
    start = campaign.release_effective_on or campaign.pardon_decision_date
    return Period("campaign", campaign.period_key, min(start, campaign.report_due_on), campaign.report_due_on)


def clean_template(rows: list[dict]) -> list[dict]:
    """Keep the rows with a known agency and some text, in order."""
    out = []
    for row in rows or []:
        text = (row.get("text") or "").strip()
        if row.get("agency") in AGENCIES and text:
            out.append({"agency": row["agency"], "text": text[:2000]})
    return out


def new_campaign(actor_id: int | None, **data) -> Campaign:
    campaign = Campaign(status=DRAFT, created_by=actor_id, task_template=list(template.DEFAULT_TASKS), **data)
    db.session.add(campaign)
    db.session.flush()
    audit.record("campaign.create", campaign, user_id=actor_id)
    return campaign


def open_campaign(campaign: Campaign, actor_id: int | None) -> None:
    """Mark the campaign open; the units' plans are then made by the `campaigns.open` job."""
    if campaign.status != DRAFT:
        raise CampaignError(gettext("Only a draft campaign can be opened."))
    if not campaign.task_template:
        raise CampaignError(gettext("The campaign needs at least one task before it is opened."))
    campaign.status, campaign.opened_at = OPEN, utcnow()
    audit.record("campaign.open", campaign, user_id=actor_id)


def ensure_plan(campaign: Campaign) -> UnitPlan:
    """The current unit's plan for the campaign, made from the template the first time."""
    plan = db.session.scalar(select(UnitPlan).where(UnitPlan.campaign_id == campaign.id))
    if plan is not None:
        return plan
    unit = current_tenant()
    due = campaign.report_due_on.strftime("%d/%m/%Y")
    plan = UnitPlan(
        campaign_id=campaign.id,
        place=unit.name if unit is not None else None,
        purpose=template.DEFAULT_PURPOSE,
        content=template.DEFAULT_CONTENT,
        organisation=(
            "Thủ trưởng các cơ quan, đơn vị, các thôn căn cứ chức năng, nhiệm vụ tổ chức triển khai thực hiện "
            f"nghiêm túc, hiệu quả; báo cáo kết quả thực hiện (qua Công an) trước ngày {due}."
        ),
        recipients=template.DEFAULT_RECIPIENTS,
    )
    plan.tasks = [
        PlanTask(agency=row["agency"], text=row["text"], due_on=campaign.report_due_on, position=i)
        for i, row in enumerate(campaign.task_template)
    ]
    db.session.add(plan)
    db.session.flush()
    publish(campaign)
    return plan


@job("campaigns.open", queue="reports")
def make_plans(task, campaign_id: int) -> dict:
    """Give every active unit its plan, unit by unit (each commits on its own; a rerun skips done units)."""
    from tenants.context import use_tenant

    campaign = db.session.get(Campaign, campaign_id)
    units = db.session.scalars(select(Tenant).where(Tenant.active.is_(True)).order_by(Tenant.id)).all()
    for done, unit in enumerate(units, start=1):
        with use_tenant(unit):
            ensure_plan(campaign)
            db.session.commit()
        if done % 10 == 0:
            report_progress(task, int(100 * done / len(units)))
    return {"units": len(units)}


def people(campaign_id: int):
    """The campaign's people in the current unit: the expected pardon recipients and their arrivals."""
    return select(Returnee).where(Returnee.campaign_id == campaign_id)


def publish(campaign: Campaign) -> CampaignProgress:
    """Recount the current unit's progress in the campaign for the city's board (four queries)."""
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise CampaignError("no unit is set")
    plan = db.session.execute(
        select(UnitPlan.status, UnitPlan.signed_on, func.count(PlanTask.id),
               func.count(PlanTask.id).filter(PlanTask.status == "done"))
        .outerjoin(PlanTask, and_(PlanTask.plan_id == UnitPlan.id, PlanTask.tenant_id == UnitPlan.tenant_id))
        .where(UnitPlan.campaign_id == campaign.id)
        .group_by(UnitPlan.id, UnitPlan.status, UnitPlan.signed_on)
    ).first()
    arrived = Returnee.reported_on.is_not(None)
    counts = db.session.execute(
        select(
            func.count(),
            func.count().filter(arrived),
            func.count().filter(arrived, or_(Returnee.reporting_deadline.is_(None),
                                             Returnee.reported_on <= Returnee.reporting_deadline)),
            func.count().filter(arrived, Returnee.reporting_deadline.is_not(None),
                                Returnee.reported_on > Returnee.reporting_deadline),
        ).where(Returnee.campaign_id == campaign.id)
    ).one()
    loans = db.session.execute(
        select(
            func.count(func.distinct(LoanListEntry.returnee_id)),
            func.coalesce(func.sum(LoanListEntry.amount_vnd), 0),
        )
        .join(LoanList, and_(LoanList.id == LoanListEntry.list_id, LoanList.tenant_id == LoanListEntry.tenant_id))
        .where(LoanList.campaign_id == campaign.id, LoanList.status == LIST_CERTIFIED)
    ).one()
    report = db.session.execute(
        select(Report.status, Report.submitted_at, Report.late).where(Report.campaign_id == campaign.id)
    ).first()
    row = db.session.scalar(
        select(CampaignProgress).where(
            CampaignProgress.tenant_id == tenant_id, CampaignProgress.campaign_id == campaign.id
        )
    )
    if row is None:
        row = CampaignProgress(tenant_id=tenant_id, campaign_id=campaign.id)
        db.session.add(row)
    row.plan_status = plan[0] if plan else None
    row.plan_issued_on = plan[1] if plan and plan[0] == PLAN_ISSUED else None
    row.tasks_total, row.tasks_done = (plan[2], plan[3]) if plan else (0, 0)
    row.expected, row.arrived, row.presented_on_time, row.presented_late = counts
    row.loan_people, row.loan_vnd = loans
    row.report_status, row.report_submitted_at, row.report_late = report if report else (None, None, None)
    row.updated_at = utcnow()
    return row

