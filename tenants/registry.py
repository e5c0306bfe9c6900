"""The 114 units of Hải Phòng, from the `vietnam-provinces` package (Decision 19/2025/QĐ-TTg codes)."""

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from vietnam_provinces import ProvinceCode, VietNamDivisionType, Ward

from portal.extensions import db
from tenants.models import Tenant

HAI_PHONG = ProvinceCode(31)
KINDS = {
    VietNamDivisionType.XA: "xa",
    VietNamDivisionType.PHUONG: "phuong",
    VietNamDivisionType.DAC_KHU: "dac_khu",
}


@dataclass(frozen=True)
class Unit:
    code: str
    slug: str
    name: str
    kind: str


def hai_phong_units() -> list[Unit]:
    """All units, in code order. Codenames drop diacritics, so two units can share one
    (Cẩm Giang, Cẩm Giàng): every unit of a shared codename gets its 5-digit code appended."""
    wards = sorted(Ward.iter_by_province(HAI_PHONG), key=lambda w: int(w.code))
    shared = {name for name, n in Counter(w.codename for w in wards).items() if n > 1}
    return [
        Unit(
            code=f"{int(w.code):05d}",
            slug=f"{w.codename}_{int(w.code):05d}" if w.codename in shared else w.codename,
            name=w.name,
            kind=KINDS[w.division_type],
        )
        for w in wards
    ]


def sync() -> tuple[int, int]:
    """Insert missing units and refresh names and kinds; returns (total, created).

    An existing unit keeps its slug (URLs and bookmarks rely on it) and its active flag.
    """
    existing = {t.code: t for t in db.session.scalars(select(Tenant))}
    created = 0
    for unit in hai_phong_units():
        tenant = existing.get(unit.code)
        if tenant is None:
            db.session.add(Tenant(code=unit.code, slug=unit.slug, name=unit.name, kind=unit.kind))
            created += 1
        else:
            tenant.name, tenant.kind = unit.name, unit.kind
    db.session.commit()
    total = db.session.scalar(select(db.func.count()).select_from(Tenant))
    return total, created
