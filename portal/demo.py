"""The seeded demo: accounts for Cát Hải and An Khánh, a city officer and an admin."""

import secrets

from sqlalchemy import select

from portal.accounts import User
from portal.cli import create_user
from portal.extensions import db
from portal.permissions import Role

ACCOUNTS = [
    ("cathai.police", Role.COMMUNE_POLICE, "dac_khu_cat_hai", "Nguyễn Văn Hải"),
    ("cathai.leader", Role.COMMUNE_LEADER, "dac_khu_cat_hai", "Trần Thị Lan"),
    ("cathai.mttq", Role.MTTQ_MEMBER, "dac_khu_cat_hai", "Phạm Văn Bình"),
    ("ankhanh.police", Role.COMMUNE_POLICE, "xa_an_khanh", "Lê Văn Khánh"),
    ("ankhanh.leader", Role.COMMUNE_LEADER, "xa_an_khanh", "Đỗ Thị Hoa"),
    ("ankhanh.mttq", Role.MTTQ_MEMBER, "xa_an_khanh", "Vũ Văn Nam"),
    ("city.police", Role.CITY_POLICE, None, "Hoàng Minh Tuấn"),
    ("admin", Role.SYSTEM_ADMIN, None, "Quản trị hệ thống"),
]


def seed() -> list[tuple[str, str, str | None, str]]:
    """Create the demo accounts that are missing; returns (username, role, unit, password) for them."""
    created = []
    for username, role, unit, full_name in ACCOUNTS:
        if db.session.scalar(select(User.id).where(User.username == username)) is not None:
            continue
        password = secrets.token_urlsafe(12)
        create_user(username, role, unit, password, full_name)
        created.append((username, role.value, unit, password))
    return created
