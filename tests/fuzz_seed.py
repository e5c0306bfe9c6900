"""Data for the API fuzz (tests/test_api_fuzz.py): the same rows in Cát Hải and An Khánh, each unit's
text carrying its own marker word, so a response that shows another unit's data can be caught by
searching its body for that word (and for the unit's 12-digit personal ID numbers).

Each unit gets: three dossiers (expected; under management with a conviction, contacts and comments;
closed), a support team, a draft and a submitted report with free-text sections, a finished build
job, and its plan for a shared open campaign; written through the app's services where it has them.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from blueprints.reports import services as reports
from blueprints.reports.periods import parse
from blueprints.returnees import care_services, comment_service
from blueprints.returnees.care import SupportTeam, TeamMember
from blueprints.returnees.models import Returnee
from portal.extensions import db
from tenants.context import use_tenant
from tests.conftest import tenant
from tests.helpers_returnees import (
    AN_KHANH,
    AN_KHANH_CODE,
    CAT_HAI,
    CAT_HAI_CODE,
    add_conviction,
    close,
    make_returnee,
    under_management,
)
from tests.test_campaign_api import give_plan, new_campaign
from workers.tasks import FINISHED, Task

# A word that appears nowhere else, in every free-text field of the unit, and its ID-number prefix.
UNITS = {
    CAT_HAI: {"code": CAT_HAI_CODE, "marker": "Cathaimark", "ids": "0311999001"},
    AN_KHANH: {"code": AN_KHANH_CODE, "marker": "Ankhanhmark", "ids": "0311999002"},
}


@dataclass
class Seeded:
    """One unit's rows: what a path may name, and what must never reach another unit's caller."""

    slug: str
    code: str
    markers: tuple[str, ...]
    returnee_id: list[int] = field(default_factory=list)
    report_id: list[int] = field(default_factory=list)
    job_id: list[str] = field(default_factory=list)


def _person(marker: str, prefix: str, n: int) -> dict:
    return {
        "full_name": f"Vũ Văn {marker} {n}", "other_names": f"Tý {marker}", "national_id": f"{prefix}{n:02d}",
        "hamlet": f"Thôn {marker}", "address": f"Số {n} đường {marker}", "family_contacts": f"Mẹ: {marker}",
        "prison": f"Trại giam {marker}", "certificate_number": f"{n}/{marker}",
    }


def _notes(app, slug: str, marker: str, returnee_id: int, author_id: int) -> None:
    with app.test_request_context(), use_tenant(tenant(slug)):
        team = SupportTeam(name=f"Tổ {marker}", hamlet=f"Thôn {marker}")
        team.members.append(TeamMember(full_name=f"Bùi Thị {marker}", kind="village_cadre", is_leader=True))
        db.session.add(team)
        db.session.flush()
        member = team.members[0]
        returnee = db.session.scalar(select(Returnee).where(Returnee.id == returnee_id))
        for day, text in ((date(2026, 6, 1), "gặp tại nhà"), (date(2026, 6, 8), "gọi điện")):
            care_services.add_contact(returnee, {"on": day, "method": "visit", "content": f"{marker} {text}",
                                                 "risk_signals": f"Không có ({marker})"}, member, author_id)
        comment_service.add_comment(returnee, f"Nhận xét {marker}: chấp hành tốt", author_id)
        db.session.commit()


def _reports(app, slug: str, marker: str, author_id: int, seeded: Seeded) -> None:
    with app.test_request_context(), use_tenant(tenant(slug)):
        sections = {"situation": f"Tình hình {marker}", "proposals": f"Kiến nghị {marker}"}
        for key, submit in (("2026-Q2", False), ("2026-Q1", True)):
            report = reports.open_report(parse(key), author_id)
            reports.save_sections(report, sections, author_id)
            if submit:
                reports.submit(report, author_id)
            seeded.report_id.append(report.id)
        job = Task(kind="reports.build", params={"report_id": seeded.report_id[0]}, actor_id=author_id,
                   state=FINISHED, progress=100, message=f"Đã dựng báo cáo {marker}", result={"note": marker})
        db.session.add(job)
        db.session.commit()
        seeded.job_id.append(job.id)


def seed_unit(app, slug: str, author_id: int, campaign_id: int) -> Seeded:
    unit = UNITS[slug]
    marker, prefix = unit["marker"], unit["ids"]
    seeded = Seeded(slug, unit["code"], (marker, *(f"{prefix}{n:02d}" for n in (1, 2, 3))))
    for n in (1, 2, 3):
        seeded.returnee_id.append(make_returnee(app, slug, **_person(marker, prefix, n)))
    expected, managed, closed = seeded.returnee_id
    under_management(app, slug, managed)
    add_conviction(app, slug, managed)
    _notes(app, slug, marker, managed, author_id)
    under_management(app, slug, closed)
    close(app, slug, closed)
    _reports(app, slug, marker, author_id, seeded)
    give_plan(app, campaign_id, slug, content=f"Nội dung {marker}", signer_name=f"Chủ tịch {marker}")
    return seeded


def seed_campaigns(app) -> list[int]:
    """An open campaign (each unit makes its plan for it) and a draft one (404 for units)."""
    opened = new_campaign(app, "Đặc xá 2025")
    return [opened, new_campaign(app, "Đặc xá 2026", status="draft", year=2026)]
