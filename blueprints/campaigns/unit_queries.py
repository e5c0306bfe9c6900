"""What the unit's campaign pages read, each a fixed number of statements whatever the number of
campaigns, tasks or people (tenant scoping keeps every read inside the unit).

A campaign is the city's row; the unit sees it only once opened (a draft answers 404), and only with
the unit's own plan, people, lists, report and comments.
"""

from dataclasses import dataclass
from datetime import date

from flask import abort
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import selectinload

from blueprints.campaigns.models import DRAFT, Campaign, LoanList, LoanListEntry, PlanDocument, PlanTask, UnitPlan
from blueprints.reports.models import Report
from blueprints.returnees.comment_queries import comment_items
from blueprints.returnees.models import Returnee
from portal.extensions import db

MAX_ID = 2**31 - 1
COMMENT_TARGET = "campaign_plan"


def _valid(object_id: int) -> None:
    if not 0 < object_id <= MAX_ID:
        abort(404)


def campaign_or_404(campaign_id: int) -> Campaign:
    """An opened (or closed) campaign; a draft is the city's business and does not exist for units."""
    _valid(campaign_id)
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.status == DRAFT:
        abort(404)
    return campaign


def plan_of(campaign: Campaign) -> UnitPlan | None:
    """The unit's plan with its tasks (two statements)."""
    return db.session.scalar(
        select(UnitPlan).where(UnitPlan.campaign_id == campaign.id).options(selectinload(UnitPlan.tasks))
    )


def task_or_404(plan: UnitPlan, task_id: int) -> PlanTask:
    _valid(task_id)
    task = db.session.scalar(select(PlanTask).where(PlanTask.id == task_id, PlanTask.plan_id == plan.id))
    return task if task is not None else abort(404)


def person_or_404(campaign: Campaign, returnee_id: int) -> Returnee:
    """One of the campaign's people in this unit; anyone else (another unit's, another campaign's) is 404."""
    _valid(returnee_id)
    person = db.session.scalar(select(Returnee).where(Returnee.id == returnee_id, Returnee.campaign_id == campaign.id))
    return person if person is not None else abort(404)


def returnee_or_none(returnee_id: int | None) -> Returnee | None:
    if returnee_id is None or not 0 < returnee_id <= MAX_ID:
        return None
    return db.session.scalar(select(Returnee).where(Returnee.id == returnee_id))


def campaign_or_none(campaign_id: int | None) -> Campaign | None:
    return db.session.get(Campaign, campaign_id) if campaign_id is not None else None


def entry_or_404(loan_list: LoanList, entry_id: int) -> LoanListEntry:
    _valid(entry_id)
    entry = db.session.scalar(
        select(LoanListEntry).where(LoanListEntry.id == entry_id, LoanListEntry.list_id == loan_list.id)
    )
    return entry if entry is not None else abort(404)


def returnee_or_404(returnee_id: int) -> Returnee:
    _valid(returnee_id)
    person = db.session.scalar(select(Returnee).where(Returnee.id == returnee_id))
    return person if person is not None else abort(404)


# --- The list of campaigns -----------------------------------------------------------------------------


@dataclass
class CampaignRow:
    campaign: Campaign
    plan_status: str | None
    plan_issued_at: object
    expected: int
    arrived: int
    report_id: int | None
    report_status: str | None


def campaign_rows() -> list[CampaignRow]:
    """Open and past campaigns, newest first, with the unit's plan, people and report (three statements)."""
    rows = db.session.execute(
        select(Campaign, UnitPlan.status, UnitPlan.issued_at)
        .outerjoin(UnitPlan, UnitPlan.campaign_id == Campaign.id)
        .where(Campaign.status != DRAFT)
        .order_by(Campaign.year.desc(), Campaign.round.desc(), Campaign.id.desc())
    ).all()
    people = {
        cid: (total, arrived)
        for cid, total, arrived in db.session.execute(
            select(Returnee.campaign_id, func.count(), func.count(Returnee.reported_on))
            .where(Returnee.campaign_id.is_not(None))
            .group_by(Returnee.campaign_id)
        )
    }
    reports = {
        cid: (rid, status)
        for cid, rid, status in db.session.execute(
            select(Report.campaign_id, Report.id, Report.status).where(Report.campaign_id.is_not(None))
        )
    }
    return [
        CampaignRow(campaign, status, issued, *people.get(campaign.id, (0, 0)), *reports.get(campaign.id, (None, None)))
        for campaign, status, issued in rows
    ]


# --- The campaign page -----------------------------------------------------------------------------------


def arrival_state(person: Returnee, today: date) -> str:
    """expected / arrived_on_time / arrived_late / not_arrived (its release date passed) / closed."""
    if person.reported_on is not None:
        late = person.reporting_deadline is not None and person.reported_on > person.reporting_deadline
        return "arrived_late" if late else "arrived_on_time"
    if person.status == "closed":
        return "closed"
    released = person.release_date or person.expected_release_date
    if person.status in ("released_not_reported", "overdue") or (released is not None and released < today):
        return "not_arrived"
    return "expected"


def people_of(campaign: Campaign) -> list[Returnee]:
    """The campaign's people in this unit, expected first then by name (one statement)."""
    return list(db.session.scalars(
        select(Returnee)
        .where(Returnee.campaign_id == campaign.id)
        .order_by(case((Returnee.reported_on.is_(None), 0), else_=1), Returnee.search_name, Returnee.id)
    ))


def lists_of(campaign: Campaign) -> list[tuple[LoanList, int, int]]:
    """The unit's loan lists made for this campaign with their people and total (one statement)."""
    return db.session.execute(
        select(LoanList, func.count(LoanListEntry.id), func.coalesce(func.sum(LoanListEntry.amount_vnd), 0))
        .outerjoin(LoanListEntry, and_(LoanListEntry.list_id == LoanList.id,
                                       LoanListEntry.tenant_id == LoanList.tenant_id))
        .where(LoanList.campaign_id == campaign.id)
        .group_by(LoanList.id)
        .order_by(LoanList.month.desc())
    ).all()


def report_of(campaign: Campaign) -> Report | None:
    return db.session.scalar(select(Report).where(Report.campaign_id == campaign.id))


def documents_of(plan: UnitPlan | None) -> list[PlanDocument]:
    if plan is None:
        return []
    return list(db.session.scalars(
        select(PlanDocument).where(PlanDocument.plan_id == plan.id)
        .order_by(PlanDocument.created_at.desc(), PlanDocument.id.desc())
    ))


def comments_of(plan: UnitPlan) -> list[dict]:
    """The plan's comments with their authors, oldest first (one statement)."""
    return comment_items(COMMENT_TARGET, plan.id, deletable=False)
