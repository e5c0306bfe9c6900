"""The demo's reports and campaign: a special-pardon campaign opened by the city with every unit's
plan, Cát Hải's report of the last quarter submitted and approved, and the city's live figures of
that quarter — so each page of the reports and campaigns has something to show. All invented."""

from datetime import date, timedelta

from sqlalchemy import select

from blueprints.campaigns import services as campaigns
from blueprints.campaigns.models import Campaign
from blueprints.reports import periods, services
from blueprints.returnees.models import Returnee
from portal.extensions import db
from tenants.context import use_tenant
from tenants.resolve import find_tenant
from workers.runner import request_city_job

CAMPAIGN = "Đặc xá năm 2025"


def seed_reports(today: date) -> list[str]:
    """What was created (nothing when the demo already has its campaign)."""
    if db.session.scalar(select(Campaign.id).where(Campaign.name == CAMPAIGN)) is not None:
        return []
    campaign = campaigns.new_campaign(
        None, name=CAMPAIGN, year=2025, round=2, pardon_decision_number="1244/QĐ-CTN",
        pardon_decision_date=date(2025, 7, 3), release_decision_number="1693/QĐ-CTN",
        release_effective_on=date(2025, 9, 1), city_plan_number="1958/UBND-NC", city_plan_date=date(2025, 7, 23),
        report_due_on=date(2025, 9, 5),
    )
    campaigns.open_campaign(campaign, None)
    db.session.commit()
    request_city_job("campaigns.open", actor_id=None, campaign_id=campaign.id)
    for slug in ("dac_khu_cat_hai", "xa_an_khanh"):
        with use_tenant(find_tenant(slug)):
            pardoned = select(Returnee).where(Returnee.release_kind == "special_pardon", Returnee.campaign_id.is_(None))
            for person in db.session.scalars(pardoned).all():
                person.campaign_id = campaign.id
            campaigns.publish(campaign)
            db.session.commit()

    quarter = periods.containing("quarter", today).previous()
    with use_tenant(find_tenant("dac_khu_cat_hai")):
        report = services.open_report(quarter, None)
        report.sections = {
            "situation": "Tình hình an ninh trật tự trên địa bàn ổn định; người chấp hành xong án phạt tù "
                         "được tiếp nhận, quản lý đúng quy định.",
            "results": "Các tổ giúp đỡ gặp gỡ hằng tuần; phối hợp Ngân hàng Chính sách xã hội lập hồ sơ vay vốn.",
            "shortcomings": "", "proposals": "Đề nghị hỗ trợ kinh phí học nghề cho người có nhu cầu.",
        }
        services.submit(report, None, now=services.utcnow() - timedelta(days=1))
        services.approve(report, None)
        db.session.commit()
    request_city_job("rollups.live", actor_id=None, period=quarter.key)
    return [f"campaign “{CAMPAIGN}” with every unit's plan",
            f"Cát Hải's report of {quarter.key}, approved", f"live figures of {quarter.key}"]
