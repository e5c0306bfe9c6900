from datetime import datetime

from sqlalchemy import ForeignKey, String, func
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from portal.extensions import db

KINDS = ("xa", "phuong", "dac_khu")


class Tenant(db.Model):
    """A commune-level unit of Hải Phòng: xã, phường or đặc khu."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(5), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    def __repr__(self) -> str:
        return f"<Tenant {self.slug}>"


class TenantOwned:
    """Mixin for every row that belongs to one unit.

    Queries on subclasses are filtered to the current unit (tenants.scoping), new rows are
    stamped with it, and on PostgreSQL a row-level security policy repeats the rule.
    """

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"), index=True)


def tenant_owned_models() -> list[type]:
    """Every mapped class that carries TenantOwned (for policies and tests)."""
    return sorted(
        (m.class_ for m in db.Model.registry.mappers if issubclass(m.class_, TenantOwned)),
        key=lambda cls: cls.__tablename__,
    )
