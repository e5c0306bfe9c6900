"""Breach records: what an administrator writes down when personal data may have leaked, so that the
authority is notified within 72 hours of detection (Decree 13/2023/NĐ-CP, art. 23)."""

from datetime import datetime, timedelta

from sqlalchemy import Column, ForeignKey, String, Table, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db

NOTIFY_WITHIN = timedelta(hours=72)

# The units whose people are affected. A breach record belongs to the administrators, not to a
# unit: it names units, it is not scoped by them (reviewed in tests/test_isolation.py).
breach_record_units = Table(
    "breach_record_units",
    db.metadata,
    Column("breach_id", ForeignKey("breach_records.id", ondelete="CASCADE"), primary_key=True),
    Column("tenant_id", ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
)


class BreachRecord(db.Model):
    __tablename__ = "breach_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime | None]
    detected_at: Mapped[datetime]
    people_count: Mapped[int] = mapped_column(default=0)
    data_categories: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[str] = mapped_column(Text, default="")
    notified_at: Mapped[datetime | None]
    notification_reference: Mapped[str] = mapped_column(String(120), default="")
    closed_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
    version: Mapped[int] = mapped_column(default=1)

    units = relationship("Tenant", secondary=breach_record_units, lazy="selectin", order_by="Tenant.name")

    __mapper_args__ = {"version_id_col": version}

    @property
    def notify_by(self) -> datetime:
        return self.detected_at + NOTIFY_WITHIN
