"""Special-pardon (đặc xá) campaigns.

City-owned: the `Campaign` (the President's decisions, the city's plan, the units' report deadline and
the task template by agency) and `CampaignProgress`, what each unit publishes of its progress (counts
and dates only; readable city-wide, writable on PostgreSQL only for its own unit).

Unit-owned: the unit's `UnitPlan` with its `PlanTask`s, and the monthly `LoanList` for the Social
Policy Bank with its entries. The expected pardon recipients are not a table of their own: they are
returnees of kind `special_pardon` whose `campaign_id` names the campaign, entered at status
`expected` through the ordinary intake, so an arrival is a lifecycle step and never a second copy.
"""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    ForeignKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from blueprints.returnees.models import ReturneeChild, returnee_fk
from portal.extensions import db
from tenants.models import TenantOwned

AGENCIES = (
    "commune_police", "culture_social", "public_service_centre", "economic", "fatherland_front", "village_heads",
)
AGENCY_LABELS = {
    "commune_police": _l("Commune police"),
    "culture_social": _l("Culture and social affairs office"),
    "public_service_centre": _l("Public service centre"),
    "economic": _l("Economic office"),
    "fatherland_front": _l("Fatherland Front committee"),
    "village_heads": _l("Village and residential group heads"),
}
DRAFT, OPEN, CLOSED = "draft", "open", "closed"
CAMPAIGN_STATES = (DRAFT, OPEN, CLOSED)
PLAN_DRAFT, PLAN_ISSUED = "draft", "issued"
TASK_STATES = ("todo", "in_progress", "done")
LOAN_PURPOSES = ("business", "training")
LIST_DRAFT, LIST_CERTIFIED = "draft", "certified"


class Campaign(db.Model):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int]
    round: Mapped[int] = mapped_column(default=1)
    pardon_decision_number: Mapped[str] = mapped_column(String(60))  # e.g. 1244/QĐ-CTN
    pardon_decision_date: Mapped[date]
    release_decision_number: Mapped[str | None] = mapped_column(String(60))  # e.g. 1693/QĐ-CTN
    release_effective_on: Mapped[date | None]
    city_plan_number: Mapped[str | None] = mapped_column(String(60))
    city_plan_date: Mapped[date | None]
    report_due_on: Mapped[date]
    # [{"agency": "commune_police", "text": "…"}, …] in the order the plan lists them
    task_template: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default=DRAFT)
    opened_at: Mapped[datetime | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def period_key(self) -> str:
        """The key of the campaign's results report among the unit's reports."""
        return f"campaign-{self.id}"


class UnitPlan(TenantOwned, db.Model):
    """A unit's own plan for a campaign, printed as an administrative document (Decree 30/2020)."""

    __tablename__ = "campaign_plans"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_campaign_plans_tenant_id_id"),
        UniqueConstraint("tenant_id", "campaign_id", name="uq_campaign_plans_campaign"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="RESTRICT"), index=True)
    number: Mapped[str | None] = mapped_column(String(60))  # e.g. 13/KH-UBND
    signed_on: Mapped[date | None]
    place: Mapped[str | None] = mapped_column(String(120))
    signer_name: Mapped[str | None] = mapped_column(String(120))
    signer_title: Mapped[str | None] = mapped_column(String(120))
    purpose: Mapped[str | None] = mapped_column(Text)  # I. Mục đích, yêu cầu
    content: Mapped[str | None] = mapped_column(Text)  # II. Nội dung triển khai
    organisation: Mapped[str | None] = mapped_column(Text)  # IV. Tổ chức thực hiện
    recipients: Mapped[str | None] = mapped_column(Text)  # Nơi nhận, one per line
    status: Mapped[str] = mapped_column(String(10), default=PLAN_DRAFT)
    issued_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    tasks: Mapped[list["PlanTask"]] = relationship(
        order_by="(PlanTask.position, PlanTask.id)", cascade="all, delete-orphan", overlaps="plan"
    )


class PlanTask(TenantOwned, db.Model):
    __tablename__ = "campaign_plan_tasks"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "plan_id"], ["campaign_plans.tenant_id", "campaign_plans.id"],
            name="fk_campaign_plan_tasks_plan", ondelete="CASCADE",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(index=True)
    agency: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(12), default="todo")
    note: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)

    plan: Mapped[UnitPlan] = relationship(overlaps="tasks")


class LoanList(TenantOwned, db.Model):
    """The month's list for the Social Policy Bank (Decision 22/2023, Form 01), certified by the leader."""

    __tablename__ = "loan_lists"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_loan_lists_tenant_id_id"),
        UniqueConstraint("tenant_id", "month", name="uq_loan_lists_month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default=LIST_DRAFT)
    certified_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    certified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class LoanListEntry(ReturneeChild, db.Model):
    __tablename__ = "loan_list_entries"
    __table_args__ = (
        returnee_fk("loan_list_entries"),
        ForeignKeyConstraint(
            ["tenant_id", "list_id"], ["loan_lists.tenant_id", "loan_lists.id"],
            name="fk_loan_list_entries_list", ondelete="CASCADE",
        ),
        UniqueConstraint("tenant_id", "list_id", "returnee_id", name="uq_loan_list_entries_person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    term_months: Mapped[int]
    need: Mapped[str | None] = mapped_column(Text)


class CampaignProgress(db.Model):
    """What the city sees of a unit's campaign: dates, counts and the report's state."""

    __tablename__ = "campaign_progress"
    __table_args__ = (UniqueConstraint("tenant_id", "campaign_id", name="uq_campaign_progress"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    plan_status: Mapped[str | None] = mapped_column(String(10))
    plan_issued_on: Mapped[date | None]
    tasks_total: Mapped[int] = mapped_column(default=0)
    tasks_done: Mapped[int] = mapped_column(default=0)
    expected: Mapped[int] = mapped_column(default=0)
    arrived: Mapped[int] = mapped_column(default=0)
    presented_on_time: Mapped[int] = mapped_column(default=0)
    presented_late: Mapped[int] = mapped_column(default=0)
    loan_people: Mapped[int] = mapped_column(default=0)
    loan_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    report_status: Mapped[str | None] = mapped_column(String(10))
    report_submitted_at: Mapped[datetime | None]
    report_late: Mapped[bool | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class PlanDocument(TenantOwned, db.Model):
    """The plan printed as a document, one per (plan, content, format): a rebuild of the same content
    finds it; an edited plan gets a new one."""

    __tablename__ = "campaign_plan_documents"
    __table_args__ = (
        UniqueConstraint("tenant_id", "plan_id", "content_sha", "format", name="uq_campaign_plan_documents"),
        ForeignKeyConstraint(
            ["tenant_id", "plan_id"], ["campaign_plans.tenant_id", "campaign_plans.id"],
            name="fk_campaign_plan_documents_plan", ondelete="CASCADE",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(index=True)
    content_sha: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(5))  # docx / pdf
    storage_key: Mapped[str] = mapped_column(String(300))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
