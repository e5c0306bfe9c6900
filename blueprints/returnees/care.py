"""The help around each person: assignment, support team, contacts, quarterly reviews, support
actions, incidents and transfers between units."""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from blueprints.returnees.models import ReturneeChild, returnee_fk
from portal.extensions import db
from tenants.models import TenantOwned

MEMBER_KINDS = ("police", "mass_organisation", "village_cadre", "family", "other")
REQUIRED_MEMBER_KINDS = ("police", "mass_organisation", "village_cadre", "family")
CONTACT_METHODS = ("visit", "at_office", "phone", "other")
SUPPORT_KINDS = (
    "counselling", "residence_registration", "civil_status", "id_card", "judicial_record",
    "expungement_application", "vocational_training", "job_placement", "public_works_job", "loan",
    "social_assistance", "child_protection", "other",
)
SUPPORT_STATES = ("proposed", "in_progress", "done", "refused", "cancelled")
LOAN_PURPOSES = ("business", "training")
LOAN_STATES = ("preparing", "submitted", "approved", "disbursed", "rejected")
INCIDENT_KINDS = ("administrative_violation", "breach_of_obligations", "new_crime", "custody_period")


class Assignment(ReturneeChild, db.Model):
    """HCD-06 proposal and HCD-07 decision: who manages and helps the person. One active per case."""

    __tablename__ = "assignments"
    __table_args__ = (
        returnee_fk("assignments"),
        # Exactly one active assignment per person, enforced by the database too.
        Index(
            "uq_assignments_one_active", "tenant_id", "returnee_id", unique=True,
            sqlite_where=text("active"), postgresql_where=text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation: Mapped[str] = mapped_column(String(160))
    person_name: Mapped[str] = mapped_column(String(120))
    person_phone: Mapped[str | None] = mapped_column(String(20))
    proposed_on: Mapped[date | None]
    decision_number: Mapped[str | None] = mapped_column(String(60))
    decision_date: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True, index=True)
    ended_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class SupportTeam(TenantOwned, db.Model):
    """Tổ giúp đỡ (Cát Hải model): at least a police officer, a mass-organisation cadre, a village
    cadre and a family member; one team may help several returnees."""

    __tablename__ = "support_teams"
    __table_args__ = (UniqueConstraint("tenant_id", "id", name="uq_support_teams_tenant_id_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    hamlet: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    members: Mapped[list["TeamMember"]] = relationship(
        cascade="all, delete-orphan", order_by="TeamMember.id", overlaps="team"
    )

    def missing_kinds(self) -> list[str]:
        present = {m.kind for m in self.members if m.active}
        return [k for k in REQUIRED_MEMBER_KINDS if k not in present]

    @property
    def leader(self):
        return next((m for m in self.members if m.active and m.is_leader), None)


def _team_fk(table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", "team_id"], ["support_teams.tenant_id", "support_teams.id"],
        name=f"fk_{table}_team", ondelete="CASCADE",
    )


class TeamMember(TenantOwned, db.Model):
    """A member of a support team; need not have an account."""

    __tablename__ = "team_members"
    __table_args__ = (_team_fk("team_members"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(index=True)
    full_name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    role_title: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(20))
    is_leader: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    team: Mapped[SupportTeam] = relationship(overlaps="members")


class TeamReturnee(ReturneeChild, db.Model):
    """Which returnees a team helps, and since when."""

    __tablename__ = "team_returnees"

    __table_args__ = (returnee_fk("team_returnees"), _team_fk("team_returnees"))

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(index=True)
    since: Mapped[date]
    until: Mapped[date | None]


class Contact(ReturneeChild, db.Model):
    """A line of the progress notebook (sổ tay theo dõi): someone met or called the person."""

    __tablename__ = "contacts"
    # The reports read one unit's contacts of a period: without the unit first, each unit's report
    # would scan the whole city's period.
    __table_args__ = (returnee_fk("contacts"), Index("ix_contacts_tenant_on", "tenant_id", "on", "returnee_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    on: Mapped[date] = mapped_column(index=True)
    member_id: Mapped[int | None]
    contact_person: Mapped[str] = mapped_column(String(120))
    method: Mapped[str] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(Text)
    state_of_mind: Mapped[str | None] = mapped_column(String(200))
    risk_signals: Mapped[str | None] = mapped_column(Text)
    next_step: Mapped[str | None] = mapped_column(String(255))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class QuarterlyReview(ReturneeChild, db.Model):
    """HCD-08 (the assignee's report) and the classification that follows it."""

    __tablename__ = "quarterly_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    quarter: Mapped[int]
    report_received_on: Mapped[date | None]
    group: Mapped[str] = mapped_column(String(1))
    reason: Mapped[str] = mapped_column(Text)
    progress: Mapped[str | None] = mapped_column(Text)
    proposals: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class SupportAction(ReturneeChild, db.Model):
    __tablename__ = "support_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    started_on: Mapped[date | None]
    completed_on: Mapped[date | None]
    provider: Mapped[str | None] = mapped_column(String(160))
    employer_id: Mapped[int | None]
    amount_vnd: Mapped[int | None] = mapped_column(BigInteger)
    loan_purpose: Mapped[str | None] = mapped_column(String(20))
    loan_status: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Incident(ReturneeChild, db.Model):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    on: Mapped[date]
    until: Mapped[date | None]  # end of a custody period
    description: Mapped[str] = mapped_column(Text)
    decision: Mapped[str | None] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Transfer(ReturneeChild, db.Model):
    """A change of residence between units, as two rows sharing `transfer_key`: the sending unit's
    ("out", with its returnee) and the receiving unit's ("in", with a snapshot of the dossier until it
    is accepted and becomes that unit's own returnee). Each unit only ever reads its own row; the
    one reviewed service that writes both is blueprints.returnees.transfers."""

    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    returnee_id: Mapped[int | None] = mapped_column(index=True)
    transfer_key: Mapped[str] = mapped_column(String(32), index=True)
    direction: Mapped[str] = mapped_column(String(3))  # out / in
    other_tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    notified_on: Mapped[date]
    new_address: Mapped[str | None] = mapped_column(String(255))
    snapshot: Mapped[dict | None] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(12), default="sent")  # sent / accepted / cancelled
    accepted_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
