from sqlalchemy import func, select

from portal.extensions import db
from tenants import registry
from tenants.models import Tenant


def test_registry_has_the_114_units_of_hai_phong(ctx):
    rows = db.session.execute(select(Tenant.kind, func.count()).group_by(Tenant.kind)).all()
    assert dict(rows) == {"xa": 67, "phuong": 45, "dac_khu": 2}
    slugs = set(db.session.scalars(select(Tenant.slug)))
    assert {"dac_khu_cat_hai", "xa_an_khanh", "dac_khu_bach_long_vi"} <= slugs
    assert len(slugs) == 114


def test_shared_codenames_get_the_unit_code(ctx):
    units = registry.hai_phong_units()
    cam_giang = sorted(u.slug for u in units if u.slug.startswith("xa_cam_giang"))
    assert len(cam_giang) == 2
    assert all(slug[-5:].isdigit() for slug in cam_giang)
    assert len({u.slug for u in units}) == len(units)


def test_sync_is_idempotent_and_keeps_slugs_and_active_flags(ctx):
    cat_hai = db.session.scalar(select(Tenant).where(Tenant.slug == "dac_khu_cat_hai"))
    cat_hai.active = False
    db.session.commit()
    assert registry.sync() == (114, 0)
    db.session.refresh(cat_hai)
    assert cat_hai.active is False
    assert cat_hai.code == "11914"
    assert cat_hai.name == "Đặc khu Cát Hải"


def test_sync_command_prints_the_count(app):
    result = app.test_cli_runner().invoke(args=["tenants", "sync"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("114 units")
