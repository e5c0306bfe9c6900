"""Campaigns through the API, with bearer tokens: the list as each role (drafts only for the city), a
unit's plan and progress (another unit's: 404; the city's roles: 404; a draft campaign: 404), the city's
board (unit roles: 403), no person's data in any answer, and constant statement counts on the board."""

from datetime import date, datetime

import pytest
from sqlalchemy import delete, func, select

from blueprints.campaigns import services
from blueprints.campaigns.models import Campaign, CampaignProgress, UnitPlan
from blueprints.reports import services as reports
from portal.extensions import db
from tenants.context import use_tenant
from tests.conftest import tenant
from tests.helpers_returnees import AN_KHANH, CAT_HAI, THIRD, advance, bearer, issue_token, make_returnee

UNIT_ROLES = ("commune_police", "commune_leader", "mttq_member")
PEOPLE = (("Phạm Thị Bí Mật", "031190009871"), ("Hoàng Văn Riêng Tư", "031190009872"))


def new_campaign(app, name: str, status: str = "open", year: int = 2025) -> int:
    with app.test_request_context():
        campaign = services.new_campaign(
            None, name=name, year=year, round=1, pardon_decision_number="1244/QĐ-CTN",
            pardon_decision_date=date(2025, 7, 3), release_effective_on=date(2025, 9, 1),
            city_plan_number="1958/UBND-NC", city_plan_date=date(2025, 7, 23), report_due_on=date(2025, 9, 5),
        )
        if status != "draft":
            services.open_campaign(campaign, None)
        campaign.status = status
        db.session.commit()
        return campaign.id


def give_plan(app, campaign_id: int, slug: str, **fields) -> int:
    with app.test_request_context(), use_tenant(tenant(slug)):
        campaign = db.session.get(Campaign, campaign_id)
        plan = services.ensure_plan(campaign)
        for name, value in fields.items():
            setattr(plan, name, value)
        services.publish(campaign)
        db.session.commit()
        return plan.id


def pardoned(app, campaign_id: int, slug: str = AN_KHANH) -> list[int]:
    """Two expected pardon recipients of the campaign; the first has arrived and presented."""
    ids = []
    for name, national_id in PEOPLE:
        rid = make_returnee(app, slug, full_name=name, national_id=national_id, phone="0912999888",
                            hamlet="Thôn Kín")
        with app.app_context(), use_tenant(tenant(slug)):
            from blueprints.returnees.models import Returnee

            db.session.get(Returnee, rid).campaign_id = campaign_id
            db.session.commit()
        ids.append(rid)
    advance(app, slug, ids[0], "received", on=date(2025, 9, 3), reported_on=date(2025, 9, 3),
            work_session_minutes="Biên bản", commitment_signed=True)
    with app.test_request_context(), use_tenant(tenant(slug)):
        services.publish(db.session.get(Campaign, campaign_id))
        db.session.commit()
    return ids


def submit_report(app, campaign_id: int, slug: str = AN_KHANH) -> None:
    with app.test_request_context(), use_tenant(tenant(slug)):
        campaign = db.session.get(Campaign, campaign_id)
        report = reports.open_report(services.period_of(campaign), None, campaign_id=campaign.id,
                                     due=campaign.report_due_on)
        reports.submit(report, None, now=datetime(2025, 9, 4, 2, 0))
        db.session.commit()


def assert_no_person(body: str) -> None:
    for name, national_id in PEOPLE:
        assert name not in body and national_id not in body and national_id[-4:] not in body
    assert "0912999888" not in body and "Thôn Kín" not in body


@pytest.fixture
def headers_for(app, make_user):
    return lambda role, unit=AN_KHANH: bearer(issue_token(app, make_user(role, unit)))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def campaigns(app):
    """An open campaign with plans in An Khánh and Cát Hải, a closed one and a draft."""
    opened = new_campaign(app, "Đặc xá năm 2025")
    closed = new_campaign(app, "Đặc xá năm 2024", status="closed", year=2024)
    draft = new_campaign(app, "Đặc xá năm 2026 (dự thảo)", status="draft", year=2026)
    give_plan(app, opened, AN_KHANH, number="13/KH-UBND", signed_on=date(2025, 7, 28))
    give_plan(app, opened, CAT_HAI, number="21/KH-UBND")
    return {"open": opened, "closed": closed, "draft": draft}


# ---- the list ----


def test_the_city_lists_every_campaign_including_drafts(client, headers_for, campaigns):
    body = client.get("/api/v1/campaigns", headers=headers_for("city_police", None)).get_json()
    assert [c["id"] for c in body["items"]] == [campaigns["draft"], campaigns["open"], campaigns["closed"]]
    assert body["total"] == 3
    first = body["items"][1]
    assert (first["status"], first["pardon_decision_number"], first["report_due_on"]) == ("open", "1244/QĐ-CTN",
                                                                                          "2025-09-05")
    assert first["task_template"] and set(first["task_template"][0]) == {"agency", "text"}
    drafts = client.get("/api/v1/campaigns?status=draft", headers=headers_for("city_police", None)).get_json()
    assert [c["id"] for c in drafts["items"]] == [campaigns["draft"]]


@pytest.mark.parametrize("role", UNIT_ROLES)
def test_unit_users_list_opened_and_closed_campaigns_not_drafts(client, headers_for, campaigns, role):
    headers = headers_for(role)
    body = client.get("/api/v1/campaigns", headers=headers).get_json()
    assert [c["id"] for c in body["items"]] == [campaigns["open"], campaigns["closed"]]
    assert client.get("/api/v1/campaigns?status=draft", headers=headers).get_json() == {"items": [], "total": 0}
    bad = client.get("/api/v1/campaigns?status=secret", headers=headers)
    assert bad.status_code == 422 and "status" in bad.get_json()["fields"]


def test_other_roles_are_refused_the_list(client, headers_for, campaigns):
    assert client.get("/api/v1/campaigns", headers=headers_for("system_admin", None)).status_code == 403
    assert client.get("/api/v1/campaigns").status_code == 401


# ---- a unit's campaign ----


@pytest.mark.parametrize("role", UNIT_ROLES)
def test_every_unit_role_reads_its_plan_progress_and_report(app, client, headers_for, campaigns, role):
    pardoned(app, campaigns["open"])
    submit_report(app, campaigns["open"])
    response = client.get(f"/api/v1/t/{AN_KHANH}/campaigns/{campaigns['open']}", headers=headers_for(role))
    assert response.status_code == 200
    body = response.get_json()
    assert body["campaign"]["id"] == campaigns["open"]
    plan = body["plan"]
    assert (plan["number"], plan["signed_on"], plan["status"]) == ("13/KH-UBND", "2025-07-28", "draft")
    with app.app_context():
        template = db.session.get(Campaign, campaigns["open"]).task_template
    assert [(t["agency"], t["text"]) for t in plan["tasks"]] == [(r["agency"], r["text"]) for r in template]
    assert {t["due_on"] for t in plan["tasks"]} == {"2025-09-05"} and {t["status"] for t in plan["tasks"]} == {"todo"}
    progress = body["progress"]
    assert (progress["expected"], progress["arrived"], progress["presented_on_time"]) == (2, 1, 1)
    assert (progress["tasks_total"], progress["tasks_done"]) == (len(template), 0)
    assert (progress["report_status"], progress["report_late"]) == ("submitted", False)
    report = body["report"]
    assert (report["status"], report["due_on"], report["late"], report["overdue"]) == ("submitted", "2025-09-05",
                                                                                       False, False)
    assert_no_person(response.get_data(as_text=True))


def test_progress_is_counted_when_the_unit_has_published_nothing(app, client, headers_for, campaigns):
    pardoned(app, campaigns["open"])
    with app.app_context(), use_tenant(tenant(AN_KHANH)):  # a unit may write only its own row (RLS)
        unit_id = tenant(AN_KHANH).id
        gone = db.session.execute(delete(CampaignProgress).where(CampaignProgress.tenant_id == unit_id)).rowcount
        db.session.commit()
    assert gone == 1
    body = client.get(f"/api/v1/t/{AN_KHANH}/campaigns/{campaigns['open']}", headers=headers_for("mttq_member"))
    assert body.status_code == 200 and body.get_json()["progress"]["expected"] == 2
    assert body.get_json()["report"] == {"id": None, "status": None, "due_on": "2025-09-05", "submitted_at": None,
                                         "late": None, "overdue": True}
    with app.app_context():
        mine = select(func.count()).select_from(CampaignProgress).where(CampaignProgress.tenant_id == unit_id)
        assert db.session.scalar(mine) == 1


def test_a_unit_without_its_plan_yet_reads_plan_null(client, headers_for, campaigns):
    body = client.get(f"/api/v1/t/{THIRD}/campaigns/{campaigns['open']}", headers=headers_for("commune_police", THIRD))
    assert body.status_code == 200 and body.get_json()["plan"] is None
    assert body.get_json()["progress"]["plan_status"] is None


def test_another_unit_and_the_city_get_404_and_drafts_do_not_exist_for_units(app, client, headers_for, campaigns):
    url = f"/api/v1/t/{AN_KHANH}/campaigns/{campaigns['open']}"
    for role in UNIT_ROLES:
        response = client.get(url, headers=headers_for(role, CAT_HAI))
        assert response.status_code == 404 and "13/KH-UBND" not in response.get_data(as_text=True)
    for role in ("city_police", "system_admin"):
        assert client.get(url, headers=headers_for(role, None)).status_code == 404
    police = headers_for("commune_police")
    assert client.get(f"/api/v1/t/{AN_KHANH}/campaigns/{campaigns['draft']}", headers=police).status_code == 404
    assert client.get(f"/api/v1/t/{AN_KHANH}/campaigns/999999", headers=police).status_code == 404
    assert client.get(f"/api/v1/t/{AN_KHANH}/campaigns/99999999999", headers=police).status_code == 404
    # In its own unit Cát Hải reads its own plan, never An Khánh's.
    own = client.get(f"/api/v1/t/{CAT_HAI}/campaigns/{campaigns['open']}", headers=headers_for("commune_police",
                                                                                              CAT_HAI))
    assert own.status_code == 200 and own.get_json()["plan"]["number"] == "21/KH-UBND"
    with app.app_context(), use_tenant(tenant(AN_KHANH)):
        an_khanh_plan = db.session.scalar(select(UnitPlan.id))
    assert own.get_json()["plan"]["id"] != an_khanh_plan


# ---- the city's board ----


def test_the_city_board_has_every_unit_with_counts_states_and_totals(app, client, headers_for, campaigns):
    pardoned(app, campaigns["open"])
    pardoned_elsewhere = make_returnee(app, CAT_HAI, full_name="Lê Văn Khác", national_id="031190009873")
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        from blueprints.returnees.models import Returnee

        db.session.get(Returnee, pardoned_elsewhere).campaign_id = campaigns["open"]
        db.session.commit()
    give_plan(app, campaigns["open"], CAT_HAI)  # publishes Cát Hải's count
    submit_report(app, campaigns["open"])
    response = client.get(f"/api/v1/city/campaigns/{campaigns['open']}/board", headers=headers_for("city_police",
                                                                                                   None))
    assert response.status_code == 200
    body = response.get_json()
    units = {u["tenant"]: u for u in body["units"]}
    assert len(units) == 114
    an_khanh = units[AN_KHANH]
    assert (an_khanh["expected"], an_khanh["arrived"], an_khanh["presented_on_time"]) == (2, 1, 1)
    assert (an_khanh["plan_state"], an_khanh["report_state"], an_khanh["overdue"]) == ("draft", "on_time", False)
    assert (units[CAT_HAI]["expected"], units[CAT_HAI]["report_state"]) == (1, "missing")
    assert units[THIRD]["plan_state"] == "none" and units[THIRD]["overdue"] is True
    totals = body["totals"]
    assert (totals["expected"], totals["arrived"], totals["units"]) == (3, 1, 114)
    assert (totals["on_time"], totals["missing"], totals["no_plan"]) == (1, 113, 112)
    assert totals["expected"] == sum(u["expected"] for u in body["units"])
    assert "Lê Văn Khác" not in response.get_data(as_text=True)
    assert_no_person(response.get_data(as_text=True))


def test_the_board_filters_and_refuses_unknown_filters(client, headers_for, campaigns):
    headers = headers_for("city_police", None)
    url = f"/api/v1/city/campaigns/{campaigns['open']}/board"
    zones = client.get(f"{url}?kind=dac_khu", headers=headers).get_json()
    assert len(zones["units"]) == 2 and zones["totals"]["units"] == 2
    planned = client.get(f"{url}?plan=not_issued", headers=headers).get_json()
    assert len(planned["units"]) == 114
    none = client.get(f"{url}?plan=none", headers=headers).get_json()
    assert {u["tenant"] for u in none["units"]}.isdisjoint({AN_KHANH, CAT_HAI}) and len(none["units"]) == 112
    bad = client.get(f"{url}?report=soon&kind=town", headers=headers)
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"report", "kind"}
    draft = client.get(f"/api/v1/city/campaigns/{campaigns['draft']}/board", headers=headers)
    assert draft.status_code == 200 and draft.get_json()["campaign"]["status"] == "draft"
    assert client.get("/api/v1/city/campaigns/999999/board", headers=headers).status_code == 404


@pytest.mark.parametrize(("role", "unit"), [*((r, AN_KHANH) for r in UNIT_ROLES), ("system_admin", None)])
def test_unit_roles_and_admins_are_refused_the_board(client, headers_for, campaigns, role, unit):
    response = client.get(f"/api/v1/city/campaigns/{campaigns['open']}/board", headers=headers_for(role, unit))
    assert response.status_code == 403 and "units" not in response.get_json()


def test_the_board_costs_the_same_statements_for_few_or_many_published_units(app, client, headers_for, campaigns,
                                                                             count_queries):
    headers = headers_for("city_police", None)
    url = f"/api/v1/city/campaigns/{campaigns['open']}/board"
    client.get(url, headers=headers)
    with count_queries() as few:
        assert client.get(url, headers=headers).status_code == 200
    with app.app_context():
        slugs = db.session.scalars(select(tenant(AN_KHANH).__class__.slug).limit(12)).all()
    for slug in slugs:
        give_plan(app, campaigns["open"], slug)
    with count_queries() as many:
        assert client.get(url, headers=headers).status_code == 200
    assert len(many) == len(few)
