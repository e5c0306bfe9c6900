"""Unit-level records around the people: participating employers, outreach, commendations."""

from datetime import date, datetime

from sqlalchemy import String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from tenants.models import TenantOwned

OUTREACH_FORMS = ("meeting", "loudspeaker", "leaflet", "social_media", "home_visit", "other")
COMMENDATION_TARGETS = ("person", "collective")


class Employer(TenantOwned, db.Model):
    """A business or workshop that takes on returnees (doanh nghiệp, cơ sở tham gia)."""

    __tablename__ = "employers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    sector: Mapped[str | None] = mapped_column(String(120))
    contact_name: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(255))
    offers: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class OutreachActivity(TenantOwned, db.Model):
    """Tuyên truyền: a session informing the community."""

    __tablename__ = "outreach_activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    on: Mapped[date] = mapped_column(index=True)
    form: Mapped[str] = mapped_column(String(20))
    topic: Mapped[str] = mapped_column(String(255))
    place: Mapped[str | None] = mapped_column(String(160))
    participants: Mapped[int] = mapped_column(default=0)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Commendation(TenantOwned, db.Model):
    """Khen thưởng: an outstanding person or collective commended for the work."""

    __tablename__ = "commendations"

    id: Mapped[int] = mapped_column(primary_key=True)
    on: Mapped[date]
    target: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(200))
    decision_number: Mapped[str | None] = mapped_column(String(60))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
