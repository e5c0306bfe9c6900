"""The monthly loan list for the Social Policy Bank (Decision 22/2023, Form 01): police make it and add
people within the caps and the 5-year window (refused with the rule's message otherwise), the leader
certifies it and it is frozen; the XLSX carries the form's columns, the unit, the month and the
certification line, with ID numbers masked for Front members; the export is audited; another unit's
lists and people never show; the page costs a fixed number of statements."""

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from blueprints.campaigns.models import LoanList, LoanListEntry
from portal.audit import AuditEvent
from portal.extensions import db
from tests.helpers_returnees import AN_KHANH, CAT_HAI, advance, make_returnee
from tests.test_campaigns_unit import ROLES, base, in_unit, make_campaign, progress, text, today


def arrived(app, slug=AN_KHANH, *, released: date, campaign_id=None, **overrides) -> int:
    """A pardoned person who came back (released on `released`), moved as the app does."""
    rid = make_returnee(app, slug, release_kind="special_pardon", **overrides)
    advance(app, slug, rid, "released_not_reported", on=released, release_date=released,
            reporting_deadline=released + timedelta(days=10))
    advance(app, slug, rid, "received", on=released + timedelta(days=2), reported_on=released + timedelta(days=2),
            work_session_minutes="Biên bản", commitment_signed=True)
    if campaign_id is not None:
        def link():
            from blueprints.returnees.models import Returnee
            db.session.get(Returnee, rid).campaign_id = campaign_id
            db.session.commit()
        in_unit(app, slug, link)
    return rid


def entry(client, month, rid, purpose="business", amount="50.000.000", term="36", slug=AN_KHANH, **extra):
    return client.post(f"{base(slug)}/loans/{month}/entries", data={
        "returnee_id": str(rid), "purpose": purpose, "amount_vnd": amount, "term_months": term, **extra})


def entries(app, slug=AN_KHANH) -> list[LoanListEntry]:
    return in_unit(app, slug, lambda: db.session.scalars(select(LoanListEntry).order_by(LoanListEntry.id)).all())


def sheet_of(response):
    assert response.status_code == 200, response.status_code
    book = load_workbook(io.BytesIO(response.data))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


@pytest.fixture
def roles(login):
    return {role: login(role, AN_KHANH, locale="en", full_name=f"Nguyễn {role}") for role in ROLES}


@pytest.fixture
def world(app, roles):
    """An open campaign, this month's list for it, and two people who came back 20 days ago."""
    day = today(app)
    cid = make_campaign(app)
    month = day.strftime("%Y-%m")
    released = day - timedelta(days=20)
    first = arrived(app, released=released, campaign_id=cid, full_name="Hoàng Văn Lộc", national_id="031085001111",
                    hamlet="Thôn Bắc")
    second = arrived(app, released=released, full_name="Bùi Thị Mai", sex="female", national_id="031095002222")
    response = roles["commune_police"].post(f"{base()}/loans", data={"month": month, "campaign_id": str(cid)})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/loans/{month}")
    return {"cid": cid, "month": month, "first": first, "second": second, "day": day}


def test_entries_are_checked_against_decision_22_and_frozen_once_certified(app, roles, world):
    police, leader = roles["commune_police"], roles["commune_leader"]
    month, first, second = world["month"], world["first"], world["second"]
    loan_list = in_unit(app, AN_KHANH, lambda: db.session.scalar(select(LoanList)))
    assert (loan_list.month, loan_list.campaign_id, loan_list.status) == (month, world["cid"], "draft")
    page = text(police.get(f"{base()}/loans/{month}"))
    # The campaign's person is offered first.
    assert page.index("Hoàng Văn Lộc") < page.index("Bùi Thị Mai")

    assert entry(police, month, first, need="Mở cửa hàng sửa xe").status_code == 303
    over = entry(police, month, second, amount="100.000.001")
    assert over.status_code == 422
    assert "At most 100.000.000 ₫ per person for production and business (Decision 22/2023, Art. 6)." in text(over)
    training = entry(police, month, second, purpose="training", amount="25000000", term="6")
    assert training.status_code == 422 and "4.000.000 ₫ per month for 6 months" in text(training)
    assert entry(police, month, second, purpose="training", amount="24000000", term="6").status_code == 303
    again = entry(police, month, first, amount="1000000")
    assert again.status_code == 422 and "already on the list" in text(again)
    assert [(e.returnee_id, e.amount_vnd, e.purpose) for e in entries(app)] == [
        (first, 50_000_000, "business"), (second, 24_000_000, "training")]

    version = {"version": str(in_unit(app, AN_KHANH, lambda: db.session.scalar(select(LoanList))).version)}
    assert police.post(f"{base()}/loans/{month}/certify", data=version).status_code == 403
    assert leader.post(f"{base()}/loans/{month}/certify", data=version).status_code == 303
    certified = in_unit(app, AN_KHANH, lambda: db.session.scalar(select(LoanList)))
    assert certified.status == "certified" and certified.certified_by == leader.user_id
    board = progress(app, world["cid"])
    assert (board.loan_people, board.loan_vnd) == (2, 74_000_000)

    third = arrived(app, released=world["day"] - timedelta(days=3), full_name="Đinh Văn Nam",
                    national_id="031080003333")
    frozen = entry(police, month, third, amount="1000000")
    assert frozen.status_code == 409 and "certified" in text(frozen)
    removed = police.post(f"{base()}/loans/{month}/entries/{entries(app)[0].id}/delete")
    assert removed.status_code == 409
    assert len(entries(app)) == 2
    assert "Add to the list" not in text(police.get(f"{base()}/loans/{month}"))


def test_the_five_year_window_and_people_not_yet_back(app, roles, world):
    police = roles["commune_police"]
    month, day = world["month"], world["day"]
    old = arrived(app, released=day.replace(year=day.year - 6), full_name="Cao Văn Cũ", national_id="031070004444")
    refused = entry(police, month, old, amount="1000000")
    assert refused.status_code == 422 and "Not eligible: a loan must come within 5 years" in text(refused)
    waiting = make_returnee(app, AN_KHANH, release_kind="special_pardon", full_name="Chưa Về",
                            national_id="031071005555")
    assert "Chưa Về" not in text(police.get(f"{base()}/loans/{month}"))
    assert entry(police, month, waiting, amount="1000000").status_code == 422
    assert entries(app) == []


def test_a_certified_list_cannot_be_certified_from_a_stale_page(app, roles, world):
    police, leader = roles["commune_police"], roles["commune_leader"]
    month = world["month"]
    seen = in_unit(app, AN_KHANH, lambda: db.session.scalar(select(LoanList))).version
    assert entry(police, month, world["first"]).status_code == 303  # added after the leader's page was read
    stale = leader.post(f"{base()}/loans/{month}/certify", data={"version": str(seen)})
    assert stale.status_code == 409
    assert in_unit(app, AN_KHANH, lambda: db.session.scalar(select(LoanList))).status == "draft"


def test_form_01_xlsx_with_masked_ids_for_front_members(app, roles, world):
    police, leader, front = roles["commune_police"], roles["commune_leader"], roles["mttq_member"]
    month, first = world["month"], world["first"]
    assert entry(police, month, first, need="Mở cửa hàng sửa xe").status_code == 303
    rows = sheet_of(police.get(f"{base()}/loans/{month}.xlsx"))
    cells = [str(c) for row in rows for c in row if c is not None]
    assert "DANH SÁCH NGƯỜI CHẤP HÀNH XONG ÁN PHẠT TÙ CÓ NHU CẦU VAY VỐN" in cells
    assert any("AN KHÁNH" in c for c in cells) and any(f"Tháng {month[5:]}/{month[:4]}" in c for c in cells)
    header = next(row for row in rows if row[0] == "STT")
    assert list(header) == ["STT", "Họ và tên", "Năm sinh", "Số định danh cá nhân", "Địa chỉ cư trú",
                            "Ngày chấp hành xong án phạt tù", "Mục đích vay", "Số tiền đề nghị vay (đồng)",
                            "Thời hạn vay (tháng)", "Ghi chú"]
    person = rows[rows.index(header) + 1]
    released = (world["day"] - timedelta(days=20)).strftime("%d/%m/%Y")
    assert list(person) == [1, "Hoàng Văn Lộc", 1990, "031085001111", "Thôn Bắc", released,
                            "Sản xuất, kinh doanh, tạo việc làm", 50_000_000, 36, "Mở cửa hàng sửa xe"]
    assert any(c.endswith("chưa xác nhận") for c in cells)

    version = in_unit(app, AN_KHANH, lambda: db.session.scalar(select(LoanList))).version
    assert leader.post(f"{base()}/loans/{month}/certify", data={"version": str(version)}).status_code == 303
    masked = sheet_of(front.get(f"{base()}/loans/{month}.xlsx"))
    cells = [str(c) for row in masked for c in row if c is not None]
    assert "031085001111" not in cells and "••••••••1111" in cells
    day = world["day"].strftime("%d/%m/%Y")
    assert any(f"đã xác nhận ngày {day}" in c and "Nguyễn commune_leader" in c for c in cells)
    with app.app_context():
        exports = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "loan_list.export")).all()
        assert [e.user_id for e in exports] == [police.user_id, front.user_id]


def test_another_units_lists_and_people_never_show(app, roles, world, login):
    police, month = roles["commune_police"], world["month"]
    assert entry(police, month, world["first"]).status_code == 303
    theirs = login("commune_police", CAT_HAI, locale="en")
    stranger = arrived(app, CAT_HAI, released=world["day"] - timedelta(days=5), full_name="Người Cát Hải",
                       national_id="031060006666")
    assert theirs.get(f"{base(CAT_HAI)}/loans/{month}").status_code == 404
    assert "Hoàng Văn Lộc" not in text(theirs.get(f"{base(CAT_HAI)}/loans"))
    assert theirs.post(f"{base(CAT_HAI)}/loans", data={"month": month}).status_code == 303
    page = text(theirs.get(f"{base(CAT_HAI)}/loans/{month}"))
    assert "Hoàng Văn Lộc" not in page and "Người Cát Hải" in page
    mine = text(police.get(f"{base()}/loans/{month}"))
    assert "Người Cát Hải" not in mine
    assert entry(police, month, stranger).status_code == 422
    their_entry = entries(app)[0].id
    assert theirs.post(f"{base(CAT_HAI)}/loans/{month}/entries/{their_entry}/delete").status_code == 404
    assert len(entries(app)) == 1
    cells = [str(c) for row in sheet_of(theirs.get(f"{base(CAT_HAI)}/loans/{month}.xlsx")) for c in row if c]
    assert not any("Hoàng Văn Lộc" in c for c in cells)


def test_an_existing_month_is_not_made_twice(app, roles, world):
    response = roles["commune_police"].post(f"{base()}/loans", data={"month": world["month"]})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/loans/{world['month']}")
    assert len(in_unit(app, AN_KHANH, lambda: db.session.scalars(select(LoanList)).all())) == 1
    assert roles["commune_police"].get(f"{base()}/loans/2025-13").status_code == 404


def test_the_list_page_costs_a_fixed_number_of_statements(app, roles, world, count_queries):
    police, month = roles["commune_police"], world["month"]
    entry(police, month, world["first"])
    urls = {"lists": f"{base()}/loans", "list": f"{base()}/loans/{month}"}

    def cost():
        out = {}
        for name, url in urls.items():
            with count_queries() as queries:
                assert police.get(url).status_code == 200
            out[name] = len(queries)
        return out

    few = cost()
    entry(police, month, world["second"], amount="2000000")
    for i in range(4):
        rid = arrived(app, released=world["day"] - timedelta(days=15), full_name=f"Người vay {i}",
                      national_id=f"03108800{i:04d}")
        entry(police, month, rid, amount="3000000")
    police.post(f"{base()}/loans", data={"month": "2025-12"})
    assert few == cost()
