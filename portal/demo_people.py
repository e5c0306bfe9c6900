"""Sample dossiers for the demo: a handful of invented people in Cát Hải and An Khánh, at
different steps of the lifecycle. Names and numbers are fictitious."""

from datetime import date, timedelta

from sqlalchemy import func, select

from blueprints.returnees import services
from blueprints.returnees.models import Conviction, Returnee
from portal.extensions import db
from tenants.context import use_tenant
from tenants.resolve import find_tenant

PEOPLE = {
    "dac_khu_cat_hai": [
        ("Nguyễn Văn Hùng", "male", date(1988, 3, 12), "Tổ dân phố 3", "completed_sentence", "under_management"),
        ("Trần Thị Mai", "female", date(1995, 7, 2), "Thôn Gia Lộc", "special_pardon", "released_not_reported"),
        ("Phạm Đức Anh", "male", date(2009, 1, 20), "Tổ dân phố 5", "completed_sentence", "received"),
        ("Lê Văn Toàn", "male", date(1979, 11, 5), "Thôn Liên Minh", "special_pardon", "expected"),
    ],
    "xa_an_khanh": [
        ("Vũ Văn Long", "male", date(1990, 5, 18), "Thôn An Khê", "special_pardon", "under_management"),
        ("Đỗ Thị Hằng", "female", date(1985, 9, 30), "Thôn Đông", "completed_sentence", "expected"),
    ],
}


def _facts(status: str, today: date) -> tuple[str, dict, dict]:
    """The first status and its facts, then further steps to reach `status`."""
    released = today - timedelta(days=40)
    if status == "expected":
        return "expected", {"notice_received_on": today - timedelta(days=2)}, {}
    if status == "released_not_reported":
        return "released_not_reported", {"release_date": today - timedelta(days=3),
                                         "reporting_deadline": today + timedelta(days=7)}, {}
    received = {"reported_on": released + timedelta(days=3), "work_session_minutes": "Biên bản làm việc (mẫu).",
                "commitment_signed": True}
    if status == "received":
        return "received", received, {}
    return "received", received, {"group": "B", "dossier_opened_on": released + timedelta(days=8)}


def seed_people(actor_id: int | None, today: date) -> int:
    """Create the sample dossiers of a unit that has none; returns how many were created."""
    created = 0
    for slug, people in PEOPLE.items():
        tenant = find_tenant(slug)
        with use_tenant(tenant):
            if db.session.scalar(select(func.count()).select_from(Returnee)):
                continue
            for full_name, sex, born, hamlet, kind, status in people:
                first, facts, later = _facts(status, today)
                data = {"full_name": full_name, "sex": sex, "date_of_birth": born, "hamlet": hamlet,
                        "release_kind": kind, "prison": "Trại giam Xuân Nguyên",
                        "release_date": facts.get("release_date") or (today - timedelta(days=40))}
                if kind == "special_pardon":
                    data.update(pardon_decision="1244/QĐ-CTN", pardon_round="2025")
                returnee = services.create_returnee(data, first, facts, today, actor_id)
                if later:
                    services.change_status(returnee, "under_management", later["dossier_opened_on"], later, actor_id)
                db.session.add(Conviction(returnee=returnee, judgment_date=date(2021, 6, 1), court="TAND TP Hải Phòng",
                                          penal_code_article="173", penal_code_chapter=16, severity="less_serious",
                                          penalty_kind="imprisonment", sentence_months=30,
                                          main_penalty_served_on=data["release_date"]))
                created += 1
            db.session.commit()
    return created
