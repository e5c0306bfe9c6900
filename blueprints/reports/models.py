"""Report rows.

Unit-owned (scoped and under row-level security): the unit's `Report` with its frozen snapshot,
the files built from it, and the reminders sent to the unit.

City-owned: the deadlines per kind of period, the figures each unit publishes for the city
(`UnitFigures`: counts only, never a person), and the files of the city's roll-ups. `UnitFigures`
names a unit but is readable city-wide; on PostgreSQL its policy lets a unit write only its own row.
"""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
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
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from tenants.models import TenantOwned

DRAFT, SUBMITTED, APPROVED, RETURNED = "draft", "submitted", "approved", "returned"
STATUSES = (DRAFT, SUBMITTED, APPROVED, RETURNED)
STATUS_LABELS = {
    DRAFT: _l("draft"),
    SUBMITTED: _l("submitted"),
    APPROVED: _l("approved"),
    RETURNED: _l("returned for correction"),
}
# Free-text sections of a report, in the order of the seed plans' reports.
SECTIONS = ("situation", "results", "shortcomings", "proposals")
SECTION_LABELS = {
    "situation": _l("Situation"),
    "results": _l("Results achieved"),
    "shortcomings": _l("Shortcomings and causes"),
    "proposals": _l("Tasks ahead and proposals"),
}
FORMATS = ("xlsx", "pdf")
LIVE, REPORTED = "live", "report"  # sources of the figures the city sees


class Report(TenantOwned, db.Model):
    """A unit's report for one period: draft → submitted → approved | returned."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id", name="uq_reports_tenant_id_id"),
        # One report per period or campaign; ad hoc reports may repeat a span.
        Index(
            "uq_reports_period", "tenant_id", "period",
            unique=True, sqlite_where=text("period_kind != 'adhoc'"),
            postgresql_where=text("period_kind != 'adhoc'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(24))
    period_kind: Mapped[str] = mapped_column(String(10))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    title: Mapped[str | None] = mapped_column(String(200))
    # A campaign's results report counts the campaign's people only (period_kind "campaign").
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(10), default=DRAFT, index=True)
    due_on: Mapped[date]
    sections: Mapped[dict] = mapped_column(JSON, default=dict)
    figures: Mapped[dict | None] = mapped_column(JSON)  # the snapshot, frozen on submission
    snapshot_sha: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[datetime | None]
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    late: Mapped[bool | None]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    return_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_frozen(self) -> bool:
        return self.status in (SUBMITTED, APPROVED)


class ReportFile(TenantOwned, db.Model):
    """A file built from one snapshot of a report. One per (report, snapshot, format): a retried
    or repeated build finds it and stops."""

    __tablename__ = "report_files"
    __table_args__ = (
        UniqueConstraint("tenant_id", "report_id", "snapshot_sha", "format", name="uq_report_files"),
        ForeignKeyConstraint(
            ["tenant_id", "report_id"], ["reports.tenant_id", "reports.id"],
            name="fk_report_files_report", ondelete="CASCADE",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(index=True)
    snapshot_sha: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(5))
    storage_key: Mapped[str] = mapped_column(String(300))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ReportReminder(TenantOwned, db.Model):
    """A reminder sent to a unit about one period's report (once per kind), shown on its home."""

    __tablename__ = "report_reminders"
    __table_args__ = (UniqueConstraint("tenant_id", "period", "kind", name="uq_report_reminders"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(24))
    kind: Mapped[str] = mapped_column(String(10))  # due_soon / late
    due_on: Mapped[date]
    emailed: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ReportDeadline(db.Model):
    """City setting: a unit's report for a period of this kind is due this many days after it ends."""

    __tablename__ = "report_deadlines"

    period_kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    days_after_end: Mapped[int]
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class UnitFigures(db.Model):
    """What the city sees of a unit for a period: counts, the report's state and timeliness."""

    __tablename__ = "unit_figures"
    __table_args__ = (UniqueConstraint("tenant_id", "period", "source", name="uq_unit_figures"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"), index=True)
    period: Mapped[str] = mapped_column(String(24), index=True)
    source: Mapped[str] = mapped_column(String(6))  # report / live
    status: Mapped[str | None] = mapped_column(String(10))  # the report's, for source=report
    due_on: Mapped[date | None]
    submitted_at: Mapped[datetime | None]
    late: Mapped[bool | None]
    figures: Mapped[dict | None] = mapped_column(JSON)
    snapshot_sha: Mapped[str | None] = mapped_column(String(64))
    computed_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class RollupFile(db.Model):
    """A city roll-up file, one per (period, source, content of the figures, format)."""

    __tablename__ = "rollup_files"
    __table_args__ = (UniqueConstraint("period", "source", "snapshot_sha", "format", name="uq_rollup_files"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(24))
    source: Mapped[str] = mapped_column(String(6))
    snapshot_sha: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(5))
    storage_key: Mapped[str] = mapped_column(String(300))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
