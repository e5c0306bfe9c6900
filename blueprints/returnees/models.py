"""The returnee and their dossier: identity, release, convictions, status history.

Children of a returnee carry a composite foreign key (tenant_id, returnee_id), so a row can never
point at a person of another unit, whatever the code above it does.
"""

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, ForeignKeyConstraint, Index, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from portal.extensions import db
from tenants.models import TenantOwned

RELEASE_KINDS = ("completed_sentence", "special_pardon", "conditional_release_ended")
SEXES = ("male", "female")
GROUPS = ("A", "B", "C", "D")
NEED_DOMAINS = ("housing", "work", "training", "loan", "papers", "health", "addiction", "family")
NEED_STATES = ("need", "no_need")  # a domain absent from `needs` has not been assessed


class Returnee(TenantOwned, db.Model):
    __tablename__ = "returnees"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_returnees_tenant_id_id"),
        # The unit's list reads its own unit only, in name order, and its hamlets (migration 0007).
        Index("ix_returnees_tenant_search", "tenant_id", "search_name", "id"),
        Index("ix_returnees_tenant_hamlet", "tenant_id", "hamlet"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # identity
    full_name: Mapped[str] = mapped_column(String(120))
    search_name: Mapped[str] = mapped_column(String(120), index=True)  # folded: no case, no diacritics
    other_names: Mapped[str | None] = mapped_column(String(200))
    sex: Mapped[str] = mapped_column(String(6))
    date_of_birth: Mapped[date]
    national_id: Mapped[str | None] = mapped_column(String(12), index=True)
    ethnicity: Mapped[str | None] = mapped_column(String(40))
    nationality: Mapped[str] = mapped_column(String(60), default="Việt Nam")
    hamlet: Mapped[str | None] = mapped_column(String(120))  # thôn / tổ dân phố
    address: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(20))
    family_contacts: Mapped[str | None] = mapped_column(Text)
    # release
    release_kind: Mapped[str] = mapped_column(String(30))
    prison: Mapped[str | None] = mapped_column(String(160))
    notice_received_on: Mapped[date | None]  # the prison's pre-release notice
    expected_release_date: Mapped[date | None]
    certificate_number: Mapped[str | None] = mapped_column(String(60))
    certificate_date: Mapped[date | None]
    certificate_issuer: Mapped[str | None] = mapped_column(String(160))
    release_date: Mapped[date | None]
    reporting_deadline: Mapped[date | None]  # as printed on the certificate, never computed
    pardon_decision: Mapped[str | None] = mapped_column(String(60))
    pardon_round: Mapped[str | None] = mapped_column(String(60))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    # lifecycle
    status: Mapped[str] = mapped_column(String(30), index=True)
    overdue_state: Mapped[str | None] = mapped_column(String(20))  # verifying / not_returned / reported_up
    group: Mapped[str | None] = mapped_column(String(1))
    residence_checked_on: Mapped[date | None]
    reported_on: Mapped[date | None]  # presented themselves at the commune (the work session)
    work_session_minutes: Mapped[str | None] = mapped_column(Text)
    commitment_signed: Mapped[bool] = mapped_column(default=False)
    dossier_opened_on: Mapped[date | None]
    managed_since: Mapped[date | None]
    closed_on: Mapped[date | None]
    closure_ground: Mapped[str | None] = mapped_column(String(30))
    closure_decision_number: Mapped[str | None] = mapped_column(String(60))
    closure_decision_date: Mapped[date | None]
    needs: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    convictions: Mapped[list["Conviction"]] = relationship(
        back_populates="returnee",
        order_by="Conviction.judgment_date",
        cascade="all, delete-orphan",
        overlaps="returnee,events",
    )

    events: Mapped[list["StatusEvent"]] = relationship(
        back_populates="returnee",
        order_by="(StatusEvent.on, StatusEvent.id)",
        cascade="all, delete-orphan",
        overlaps="convictions,returnee",
    )

    def age_on(self, day: date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def is_child(self, today: date) -> bool:
        return self.age_on(today) < 16

    def is_minor(self, today: date) -> bool:
        return self.age_on(today) < 18

    @property
    def is_closed(self) -> bool:
        return self.status == "closed"


def returnee_fk(table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", "returnee_id"],
        ["returnees.tenant_id", "returnees.id"],
        name=f"fk_{table}_returnee",
        ondelete="CASCADE",
    )


class ReturneeChild(TenantOwned):
    """A row that belongs to one returnee of the same unit (composite foreign key)."""

    @declared_attr
    def returnee_id(cls) -> Mapped[int]:
        return mapped_column(index=True)

    @declared_attr
    def __table_args__(cls):
        return (returnee_fk(cls.__tablename__),)


class Conviction(ReturneeChild, db.Model):
    __tablename__ = "convictions"

    id: Mapped[int] = mapped_column(primary_key=True)
    judgment_number: Mapped[str | None] = mapped_column(String(60))
    judgment_date: Mapped[date]
    court: Mapped[str | None] = mapped_column(String(160))
    penal_code_article: Mapped[str | None] = mapped_column(String(20))
    penal_code_chapter: Mapped[int | None]
    intentional: Mapped[bool] = mapped_column(default=True)
    # less_serious / serious / very_serious / especially_serious
    severity: Mapped[str | None] = mapped_column(String(20))
    penalty_kind: Mapped[str] = mapped_column(String(20))  # imprisonment / life / death_commuted / non_custodial
    sentence_months: Mapped[int | None]  # as pronounced
    main_penalty_served_on: Mapped[date | None]
    additional_penalties: Mapped[str | None] = mapped_column(Text)
    additional_penalties_end: Mapped[date | None]
    civil_obligations: Mapped[str | None] = mapped_column(Text)
    civil_obligations_open: Mapped[bool] = mapped_column(default=False)
    civil_obligations_settled_on: Mapped[date | None]
    age_at_offence: Mapped[int | None]
    offence_date: Mapped[date | None]  # a new crime restarts the expungement clock only if committed in the period
    court_expunged_on: Mapped[date | None]

    returnee: Mapped[Returnee] = relationship(back_populates="convictions", overlaps="convictions,events")


class StatusEvent(ReturneeChild, db.Model):
    """One transition of the lifecycle, with the facts that justified it; never edited."""

    __tablename__ = "status_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(server_default=func.now())
    on: Mapped[date]  # the legal date of the event (may precede the day it was typed in)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    facts: Mapped[dict] = mapped_column(JSON, default=dict)

    returnee: Mapped[Returnee] = relationship(back_populates="events", overlaps="convictions,returnee")
