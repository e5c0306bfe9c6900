"""The dossier core: list, search and filters, create/edit with duplicates and stale edits, masking
of personal ID numbers, convictions and the expected expungement, isolation with real ids, audit
rows and query counts. The lifecycle through the UI is in test_lifecycle.py."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from blueprints.returnees import facts, services
from blueprints.returnees.care import Contact
from blueprints.returnees.models import Conviction, Returnee, StatusEvent
from portal.audit import AuditEvent
from portal.extensions import db
from tenants.context import use_tenant
from tests.conftest import tenant

CAT_HAI, AN_KHANH = "dac_khu_cat_hai", "xa_an_khanh"
ID_A = "031090001234"
BASE = {
    "full_name": "Nguyễn Văn Ánh",
    "sex": "male",
    "date_of_birth": date(1990, 5, 17),
    "release_kind": "completed_sentence",
    "status": "released_not_reported",
    "release_date": date(2026, 3, 2),
    "reporting_deadline": date(2026, 3, 12),
    "nationality": "Việt Nam",
    "needs": {},
}


def add(app, slug=CAT_HAI, **fields) -> int:
    """A dossier written straight to the database (the forms have their own tests)."""
    with app.app_context(), use_tenant(tenant(slug)):
        returnee = Returnee(**{**BASE, **fields})
        db.session.add(returnee)
        db.session.commit()
        return returnee.id


def add_many(app, n, slug=CAT_HAI, **fields):
    with app.app_context(), use_tenant(tenant(slug)):
        rows = [Returnee(**{**BASE, "full_name": f"Trần Thị Bình {i:03d}", **fields}) for i in range(n)]
        db.session.add_all(rows)
        db.session.commit()


def read(app, slug, model, **where):
    with app.app_context(), use_tenant(tenant(slug)):
        query = select(model).filter_by(**where).order_by(model.id)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows


def form_data(**overrides) -> dict:
    data = {
        "full_name": "Nguyễn Văn Ánh", "other_names": "Ánh Đen", "sex": "male", "date_of_birth": "1990-05-17",
        "national_id": ID_A, "ethnicity": "Kinh", "nationality": "Việt Nam", "hamlet": "Thôn Đông",
        "address": "Số 5, thôn Đông", "phone": "0912 345 678", "family_contacts": "Mẹ: Lê Thị C",
        "release_kind": "completed_sentence", "prison": "Trại giam Xuân Nguyên",
        "release_date": "2026-03-02", "reporting_deadline": "2026-03-12", "certificate_number": "12/GCN",
        "initial_status": "released_not_reported", "need_work": "need", "need_housing": "no_need",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def police(login):
    return login("commune_police", CAT_HAI, locale="en")


def text(response) -> str:
    return response.get_data(as_text=True)


# --- Create ----------------------------------------------------------------------------------------


def test_police_create_a_dossier_and_land_on_it(app, police):
    response = police.post("/t/dac_khu_cat_hai/returnees/new", data=form_data())
    assert response.status_code == 303, text(response)
    (returnee,) = read(app, CAT_HAI, Returnee)
    assert response.headers["Location"].endswith(f"/t/dac_khu_cat_hai/returnees/{returnee.id}")
    assert returnee.status == "released_not_reported"
    assert returnee.search_name == "nguyen van anh anh den"
    assert returnee.needs == {"work": "need", "housing": "no_need"}  # the others: not assessed
    assert returnee.national_id == ID_A and returnee.phone == "0912 345 678"
    assert returnee.created_by == police.user_id
    (event,) = read(app, CAT_HAI, StatusEvent)
    assert (event.from_status, event.to_status, event.on) == (None, "released_not_reported", date(2026, 3, 2))
    page = text(police.get(response.headers["Location"]))
    assert "Nguyễn Văn Ánh" in page and ID_A in page and "12/03/2026" in page


def test_a_twelve_digit_id_is_required_and_nothing_typed_is_lost(app, police):
    response = police.post("/t/dac_khu_cat_hai/returnees/new", data=form_data(national_id="0310 9000 123"))
    assert response.status_code == 422
    page = text(response)
    assert "exactly 12 digits" in page
    assert 'value="Nguyễn Văn Ánh"' in page and "Mẹ: Lê Thị C" in page and 'value="Thôn Đông"' in page
    assert re.search(r'<option selected value="need">|<option value="need" selected>', page)
    assert read(app, CAT_HAI, Returnee) == []
    # Spaces between the groups are fine.
    ok = police.post("/t/dac_khu_cat_hai/returnees/new", data=form_data(national_id="0310 9000 1234"))
    assert ok.status_code == 303
    assert read(app, CAT_HAI, Returnee)[0].national_id == ID_A


def test_the_initial_status_needs_its_facts(app, police):
    response = police.post(
        "/t/dac_khu_cat_hai/returnees/new", data=form_data(reporting_deadline=None, initial_status="received")
    )
    assert response.status_code == 422
    page = text(response)
    assert page.count("Required for this status.") == 3  # reported_on, minutes, commitment
    response = police.post("/t/dac_khu_cat_hai/returnees/new", data=form_data(reporting_deadline=""))
    assert response.status_code == 422
    assert re.search(r'id="reporting_deadline".*?Required for this status\.', text(response), re.S)
    response = police.post("/t/dac_khu_cat_hai/returnees/new", data=form_data(initial_status="overdue"))
    assert response.status_code == 422  # not a status a dossier can start in
    assert read(app, CAT_HAI, Returnee) == []


def test_expected_needs_the_notice_and_received_the_work_session(app, police):
    expected = form_data(initial_status="expected", release_date=None, reporting_deadline=None,
                         notice_received_on="2026-02-13", expected_release_date="2026-04-13")
    assert police.post("/t/dac_khu_cat_hai/returnees/new", data=expected).status_code == 303
    received = form_data(national_id="031090009999", full_name="Phạm Văn Cường", initial_status="received",
                         reported_on="2026-03-06", work_session_minutes="Biên bản làm việc", commitment_signed="y")
    assert police.post("/t/dac_khu_cat_hai/returnees/new", data=received).status_code == 303
    statuses = {r.full_name: r.status for r in read(app, CAT_HAI, Returnee)}
    assert statuses == {"Nguyễn Văn Ánh": "expected", "Phạm Văn Cường": "received"}


def test_same_personal_id_in_the_unit_is_refused_even_when_closed(app, police):
    existing = add(app, national_id=ID_A, full_name="Lê Văn Đức", status="closed", closure_ground="dead")
    response = police.post("/t/dac_khu_cat_hai/returnees/new", data=form_data())
    assert response.status_code == 422
    page = text(response)
    assert "already exists in this unit" in page
    assert f'href="/t/dac_khu_cat_hai/returnees/{existing}"' in page
    assert len(read(app, CAT_HAI, Returnee)) == 1
    # The same number in another unit is that unit's business, not a duplicate here.
    add(app, AN_KHANH, national_id="031090005555")
    response = police.post("/t/dac_khu_cat_hai/returnees/new", data=form_data(national_id="031090005555"))
    assert response.status_code == 303


def test_same_name_and_birth_date_needs_a_confirmation(app, police):
    twin = add(app, full_name="NGUYEN VAN ANH", national_id=None)
    response = police.post("/t/dac_khu_cat_hai/returnees/new", data=form_data())
    assert response.status_code == 422
    page = text(response)
    assert "same name and date of birth" in page and f"/returnees/{twin}" in page
    assert 'value="Nguyễn Văn Ánh"' in page  # kept
    assert len(read(app, CAT_HAI, Returnee)) == 1
    response = police.post("/t/dac_khu_cat_hai/returnees/new", data=form_data(confirm_distinct="y"))
    assert response.status_code == 303
    assert len(read(app, CAT_HAI, Returnee)) == 2


# --- Edit, stale edits -----------------------------------------------------------------------------


def edit_form(police, returnee_id) -> dict:
    """The edit form as the browser would send it back, read from the GET page."""
    page = text(police.get(f"/t/dac_khu_cat_hai/returnees/{returnee_id}/edit"))
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page) or re.search(
        r'id="version" name="version" type="hidden" value="(\d+)"', page
    )
    assert version, page
    return form_data(version=version.group(1))


def test_edit_saves_keeps_the_search_key_in_step_and_is_audited(app, police):
    rid = add(app, national_id=ID_A)
    data = edit_form(police, rid)
    data.update(full_name="Nguyễn Văn Ánh Dương", other_names="", need_work="no_need", need_housing="")
    response = police.post(f"/t/dac_khu_cat_hai/returnees/{rid}/edit", data=data)
    assert response.status_code == 303, text(response)
    (saved,) = read(app, CAT_HAI, Returnee)
    assert saved.search_name == "nguyen van anh duong" and saved.other_names is None
    assert saved.needs == {"work": "no_need"} and saved.version == 2
    assert police.get("/t/dac_khu_cat_hai/returnees?q=anh+duong").get_data(as_text=True).count(
        "Nguyễn Văn Ánh Dương") == 1
    (event,) = [e for e in read(app, CAT_HAI, AuditEvent) if e.action == "returnee.update"]
    assert event.object_id == str(rid) and "full_name" in event.reason and "Ánh" not in event.reason


def test_an_edit_from_a_stale_version_is_refused_with_the_form_kept(app, police, login):
    rid = add(app, national_id=ID_A)
    mine = edit_form(police, rid)
    other = login("commune_police", CAT_HAI, locale="en")
    theirs = edit_form(other, rid)
    theirs["address"] = "Số 9, thôn Tây"
    assert other.post(f"/t/dac_khu_cat_hai/returnees/{rid}/edit", data=theirs).status_code == 303

    mine["phone"] = "0987 654 321"
    response = police.post(f"/t/dac_khu_cat_hai/returnees/{rid}/edit", data=mine)
    assert response.status_code == 409
    page = text(response)
    assert "Someone else saved this dossier" in page and 'value="0987 654 321"' in page
    (saved,) = read(app, CAT_HAI, Returnee)
    assert (saved.address, saved.phone, saved.version) == ("Số 9, thôn Tây", "0912 345 678", 2)
    # The form now carries the saved version: sending it again is a deliberate overwrite.
    assert 'value="2"' in page
    mine["version"] = "2"
    assert police.post(f"/t/dac_khu_cat_hai/returnees/{rid}/edit", data=mine).status_code == 303
    assert read(app, CAT_HAI, Returnee)[0].phone == "0987 654 321"


def test_a_concurrent_save_caught_by_the_version_column_is_a_409(app, police, monkeypatch):
    rid = add(app, national_id=ID_A)
    data = edit_form(police, rid)
    data["phone"] = "0987 654 321"

    def raced(returnee, values):
        raise StaleDataError("UPDATE statement on table 'returnees' expected to update 1 row(s); 0 were matched.")

    monkeypatch.setattr(services, "update_returnee", raced)
    response = police.post(f"/t/dac_khu_cat_hai/returnees/{rid}/edit", data=data)
    assert response.status_code == 409
    assert 'value="0987 654 321"' in text(response)


def test_the_version_column_refuses_a_lost_update(app):
    rid = add(app)
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        mine = db.session.scalar(select(Returnee).where(Returnee.id == rid))
        with db.engine.begin() as other:  # another request saves first
            other.execute(Returnee.__table__.update().where(Returnee.id == rid).values(version=2, phone="1"))
        mine.phone = "2"
        with pytest.raises(StaleDataError):
            db.session.flush()
        db.session.rollback()


def test_an_edit_may_not_clear_a_fact_the_status_needs(app, police):
    rid = add(app)
    data = edit_form(police, rid)
    data["reporting_deadline"] = ""
    response = police.post(f"/t/dac_khu_cat_hai/returnees/{rid}/edit", data=data)
    assert response.status_code == 422
    assert "Required for the current status." in text(response)


def test_an_edit_may_not_take_another_dossiers_personal_id(app, police):
    add(app, national_id=ID_A, full_name="Lê Văn Đức")
    rid = add(app, national_id="031090009999")
    data = edit_form(police, rid)
    data["national_id"] = ID_A
    response = police.post(f"/t/dac_khu_cat_hai/returnees/{rid}/edit", data=data)
    assert response.status_code == 422 and "Another dossier of this unit" in text(response)


# --- List: search, filters, pages ------------------------------------------------------------------


def names_listed(client, query="") -> list[str]:
    response = client.get(f"/t/dac_khu_cat_hai/returnees{query}")
    assert response.status_code == 200
    return re.findall(r'<a href="/t/\w+/returnees/\d+">([^<]+)</a>', text(response))


def test_search_ignores_case_and_diacritics(app, police):
    add(app, full_name="Nguyễn Văn A")
    add(app, full_name="Đặng Thị Hoà", other_names="Hoà Xoăn")
    add(app, full_name="Nguyễn Văn Bình")
    assert names_listed(police, "?q=nguyen+van+a") == ["Nguyễn Văn A"]
    assert names_listed(police, "?q=NGUYỄN") == ["Nguyễn Văn A", "Nguyễn Văn Bình"]
    assert names_listed(police, "?q=dang+hoa") == ["Đặng Thị Hoà"]
    assert names_listed(police, "?q=xoan") == ["Đặng Thị Hoà"]  # an alias
    assert names_listed(police, "?q=100%25") == []  # LIKE wildcards are literal


def test_filters_status_group_kind_hamlet(app, police):
    managed = {"status": "under_management", "managed_since": date(2026, 11, 20)}
    add(app, full_name="A Một", group="B", hamlet="Thôn Đông", **managed)
    add(app, full_name="B Hai", group="C", hamlet="Thôn Tây", **managed)
    add(app, full_name="C Ba", status="expected", release_kind="special_pardon", notice_received_on=date(2026, 11, 2))
    assert names_listed(police, "?status=under_management") == ["A Một", "B Hai"]
    assert names_listed(police, "?group=C") == ["B Hai"]
    assert names_listed(police, "?release_kind=special_pardon") == ["C Ba"]
    assert names_listed(police, "?hamlet=Th%C3%B4n+%C4%90%C3%B4ng") == ["A Một"]
    page = text(police.get("/t/dac_khu_cat_hai/returnees"))
    assert ">Thôn Tây</option>" in page  # the hamlet filter offers the unit's hamlets
    assert names_listed(police, "?status=nonsense") == ["A Một", "B Hai", "C Ba"]  # an invalid filter is dropped


def test_minors_and_children_from_the_date_of_birth(app, police, monkeypatch):
    today = date(2026, 11, 25)
    monkeypatch.setattr(facts, "today", lambda: today)
    add(app, full_name="Child", date_of_birth=date(2010, 11, 26))  # 15, 16 tomorrow
    add(app, full_name="Minor", date_of_birth=date(2010, 11, 25))  # 16 today
    add(app, full_name="Adult", date_of_birth=date(2008, 11, 25))  # 18 today
    assert names_listed(police, "?age=child") == ["Child"]
    assert names_listed(police, "?age=minor") == ["Child", "Minor"]
    page = text(police.get("/t/dac_khu_cat_hai/returnees"))
    assert page.count(">Child</span>") == 1 and page.count(">Minor</span>") == 1


def test_overdue_filter_past_deadline_or_a_week_without_contact(app, police, monkeypatch):
    today = date(2026, 11, 25)
    monkeypatch.setattr(facts, "today", lambda: today)
    add(app, full_name="Late", reporting_deadline=date(2026, 11, 24))
    add(app, full_name="On time", reporting_deadline=date(2026, 11, 25))
    add(app, full_name="Marked", status="overdue", overdue_state="not_returned")
    met = add(app, full_name="Met", status="under_management", group="A", managed_since=date(2026, 10, 1))
    lost = add(app, full_name="Lost", status="under_management", group="A", managed_since=date(2026, 10, 1))
    add(app, full_name="New", status="under_management", group="A", managed_since=date(2026, 11, 20))
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        db.session.add_all([
            Contact(returnee_id=met, on=date(2026, 11, 18), contact_person="x", method="visit", content="x"),
            Contact(returnee_id=lost, on=date(2026, 11, 17), contact_person="x", method="visit", content="x"),
        ])
        db.session.commit()
    assert names_listed(police, "?overdue=y") == ["Late", "Lost", "Marked"]
    page = text(police.get("/t/dac_khu_cat_hai/returnees"))
    assert page.count("Past the deadline to present") == 2 and page.count("No contact for over a week") == 1


def test_fifty_a_page(app, police):
    add_many(app, 53)
    first = names_listed(police)
    second = names_listed(police, "?page=2")
    assert len(first) == 50 and len(second) == 3
    assert first[0] == "Trần Thị Bình 000" and second[-1] == "Trần Thị Bình 052"
    assert "53 dossiers" in text(police.get("/t/dac_khu_cat_hai/returnees"))


def test_list_query_count_does_not_grow(app, police, count_queries):
    add_many(app, 3, status="under_management", group="A", managed_since=date(2026, 1, 5))
    url = "/t/dac_khu_cat_hai/returnees?overdue=y&q=tran"
    with count_queries() as few:
        assert police.get(url).status_code == 200
    add_many(app, 57, status="under_management", group="A", managed_since=date(2026, 1, 5))
    with count_queries() as many:
        response = police.get(url)
    assert len(names_listed(police, "?overdue=y&q=tran")) == 50
    assert response.status_code == 200
    assert len(few) == len(many) <= 6, many.statements


# --- Masking and who may do what -------------------------------------------------------------------


def test_front_members_see_personal_ids_masked_everywhere(app, login):
    rid = add(app, national_id=ID_A)
    front = login("mttq_member", CAT_HAI, locale="en")
    for url in ("/t/dac_khu_cat_hai/returnees", f"/t/dac_khu_cat_hai/returnees/{rid}"):
        page = text(front.get(url))
        assert ID_A not in page and "090001" not in page, url
        assert "••••••••1234" in page, url
    # Searching by the number would reveal it: for them the search is by name only.
    assert names_listed(front, f"?q={ID_A}") == []
    assert names_listed(front, "?q=1234") == []


@pytest.mark.parametrize("role", ["commune_police", "commune_leader"])
def test_police_and_leaders_see_the_full_number(app, login, role):
    rid = add(app, national_id=ID_A)
    client = login(role, CAT_HAI, locale="en")
    assert ID_A in text(client.get(f"/t/dac_khu_cat_hai/returnees/{rid}"))
    assert ID_A in text(client.get("/t/dac_khu_cat_hai/returnees"))
    assert names_listed(client, "?q=00012") == ["Nguyễn Văn Ánh"]


@pytest.mark.parametrize("role", ["mttq_member", "commune_leader"])
def test_readers_cannot_create_edit_or_change_status(app, login, role):
    rid = add(app)
    client = login(role, CAT_HAI, locale="en")
    assert client.get(f"/t/dac_khu_cat_hai/returnees/{rid}").status_code == 200
    page = text(client.get(f"/t/dac_khu_cat_hai/returnees/{rid}"))
    assert f"/returnees/{rid}/edit" not in page and "/transition/" not in page and "/convictions/new" not in page
    for method, url in [
        ("GET", "/t/dac_khu_cat_hai/returnees/new"), ("POST", "/t/dac_khu_cat_hai/returnees/new"),
        ("GET", f"/t/dac_khu_cat_hai/returnees/{rid}/edit"), ("POST", f"/t/dac_khu_cat_hai/returnees/{rid}/edit"),
        ("POST", f"/t/dac_khu_cat_hai/returnees/{rid}/transition/received"),
        ("POST", f"/t/dac_khu_cat_hai/returnees/{rid}/convictions/new"),
    ]:
        response = client.open(url, method=method, data=form_data())
        assert response.status_code == 403, (method, url)
    assert len(read(app, CAT_HAI, Returnee)) == 1
    assert read(app, CAT_HAI, Returnee)[0].status == "released_not_reported"


def test_another_units_dossiers_are_not_found_with_real_ids(app, login):
    rid = add(app, full_name="Hoàng Văn Cát Hải", national_id=ID_A)
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        conviction = Conviction(returnee_id=rid, judgment_date=date(2020, 1, 1), penalty_kind="imprisonment",
                                sentence_months=24)
        db.session.add(conviction)
        db.session.commit()
        cid = conviction.id
    add(app, AN_KHANH, full_name="Vũ Văn An Khánh")
    outsider = login("commune_police", AN_KHANH, locale="en")
    urls = [
        ("GET", f"/t/xa_an_khanh/returnees/{rid}"), ("GET", f"/t/xa_an_khanh/returnees/{rid}/edit"),
        ("POST", f"/t/xa_an_khanh/returnees/{rid}/edit"),
        ("GET", f"/t/xa_an_khanh/returnees/{rid}/transition/received"),
        ("POST", f"/t/xa_an_khanh/returnees/{rid}/transition/received"),
        ("POST", f"/t/xa_an_khanh/returnees/{rid}/convictions/new"),
        ("GET", f"/t/xa_an_khanh/returnees/{rid}/convictions/{cid}/edit"),
        ("POST", f"/t/xa_an_khanh/returnees/{rid}/convictions/{cid}/delete"),
        # and through Cát Hải's own address, where they are no member
        ("GET", f"/t/dac_khu_cat_hai/returnees/{rid}"), ("POST", f"/t/dac_khu_cat_hai/returnees/{rid}/edit"),
    ]
    for method, url in urls:
        response = outsider.open(url, method=method, data=form_data(full_name="Đổi tên"))
        assert response.status_code == 404, (method, url, response.status_code)
        assert "Cát Hải" not in text(response) and ID_A not in text(response), url
    listing = text(outsider.get("/t/xa_an_khanh/returnees"))
    assert "Vũ Văn An Khánh" in listing and "Hoàng Văn" not in listing
    for q in ("hoang", "cat+hai", ID_A, "1234"):
        assert "Hoàng Văn" not in text(outsider.get(f"/t/xa_an_khanh/returnees?q={q}"))
    (kept,) = read(app, CAT_HAI, Returnee)
    assert kept.full_name == "Hoàng Văn Cát Hải" and len(read(app, CAT_HAI, Conviction)) == 1
    # Creating a dossier with Cát Hải's number in An Khánh is not refused: no existence oracle.
    created = outsider.post("/t/xa_an_khanh/returnees/new", data=form_data())
    assert created.status_code == 303


@pytest.mark.parametrize("role", ["city_police", "system_admin"])
def test_city_roles_read_no_dossier(app, login, role):
    rid = add(app)
    client = login(role)
    for url in ("/t/dac_khu_cat_hai/returnees", f"/t/dac_khu_cat_hai/returnees/{rid}"):
        assert client.get(url).status_code == 404


# --- Convictions and the expected expungement ------------------------------------------------------


def conviction_data(**overrides) -> dict:
    data = {
        "judgment_number": "45/2021/HS-ST", "judgment_date": "2021-06-10", "court": "TAND TP Hải Phòng",
        "penal_code_article": "173", "penal_code_chapter": "16", "intentional": "1", "severity": "serious",
        "penalty_kind": "imprisonment", "sentence_years": "3", "sentence_extra_months": "6",
        "main_penalty_served_on": "2024-12-10", "age_at_offence": "25",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_convictions_add_edit_delete_and_the_expected_expungement(app, police):
    rid = add(app)
    response = police.post(f"/t/dac_khu_cat_hai/returnees/{rid}/convictions/new", data=conviction_data())
    assert response.status_code == 303
    (c,) = read(app, CAT_HAI, Conviction)
    assert (c.sentence_months, c.penal_code_chapter, c.intentional, c.severity) == (42, 16, True, "serious")
    page = text(police.get(f"/t/dac_khu_cat_hai/returnees/{rid}"))
    # 3 years 6 months as pronounced: 2 years from 10/12/2024, eligible the day after the anniversary.
    assert "11/12/2026" in page and "Art. 70(2)(b)" in page and "3 years 6 months" in page
    assert "chapter XVI" in page

    edit = conviction_data(civil_obligations="Bồi thường 20.000.000 đ", civil_obligations_open="y")
    response = police.post(f"/t/dac_khu_cat_hai/returnees/{rid}/convictions/{c.id}/edit", data=edit)
    assert response.status_code == 303
    page = text(police.get(f"/t/dac_khu_cat_hai/returnees/{rid}"))
    assert "Pending: obligations outstanding" in page and "11/12/2026" not in page

    assert police.post(f"/t/dac_khu_cat_hai/returnees/{rid}/convictions/{c.id}/delete").status_code == 303
    assert read(app, CAT_HAI, Conviction) == []
    actions = [e.action for e in read(app, CAT_HAI, AuditEvent) if e.action.startswith("conviction.")]
    assert actions == ["conviction.create", "conviction.update", "conviction.delete"]


def test_a_conviction_form_is_checked_field_by_field(app, police):
    rid = add(app)
    bad = conviction_data(sentence_years=None, sentence_extra_months=None, intentional=None,
                          civil_obligations_open="y", civil_obligations_settled_on="2025-01-01",
                          main_penalty_served_on="2020-01-01")
    response = police.post(f"/t/dac_khu_cat_hai/returnees/{rid}/convictions/new", data=bad)
    assert response.status_code == 422
    page = text(response)
    for message in ("needs the term as pronounced", "Choose intentional or negligent", "no settlement date",
                    "before the judgment"):
        assert message in page
    assert 'value="45/2021/HS-ST"' in page
    assert read(app, CAT_HAI, Conviction) == []


def test_a_conviction_of_another_dossier_is_not_found(app, police):
    first, second = add(app), add(app, full_name="Lê Văn Đức")
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        c = Conviction(returnee_id=first, judgment_date=date(2020, 1, 1), penalty_kind="non_custodial")
        db.session.add(c)
        db.session.commit()
        cid = c.id
    assert police.get(f"/t/dac_khu_cat_hai/returnees/{second}/convictions/{cid}/edit").status_code == 404
    assert police.post(f"/t/dac_khu_cat_hai/returnees/{second}/convictions/{cid}/delete").status_code == 404
    assert len(read(app, CAT_HAI, Conviction)) == 1


def test_an_incomplete_conviction_says_what_is_missing(app, police):
    rid = add(app)
    # 16–17 at the offence: the category decides whether there is a record at all.
    data = conviction_data(severity="", age_at_offence="17")
    assert police.post(f"/t/dac_khu_cat_hai/returnees/{rid}/convictions/new", data=data).status_code == 303
    page = text(police.get(f"/t/dac_khu_cat_hai/returnees/{rid}"))
    assert "Not computed: a conviction lacks this fact: Category of the crime." in page


# --- The dossier page: audit and query count -------------------------------------------------------


def test_reading_a_dossier_and_the_list_is_audited(app, police):
    rid = add(app)
    assert police.get(f"/t/dac_khu_cat_hai/returnees/{rid}").status_code == 200
    assert police.get("/t/dac_khu_cat_hai/returnees?q=nguyen").status_code == 200
    events = [(e.action, e.object_id, e.user_id) for e in read(app, CAT_HAI, AuditEvent)]
    assert ("returnee.read", str(rid), police.user_id) in events
    assert ("returnee.list", None, police.user_id) in events
    assert all("nguyen" not in (e.reason or "") for e in read(app, CAT_HAI, AuditEvent))
    # A refused read leaves no trace of the dossier.
    assert police.get("/t/dac_khu_cat_hai/returnees/999999").status_code == 404


def _fill(app, rid, convictions, events):
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        db.session.add_all(
            Conviction(returnee_id=rid, judgment_date=date(2010 + i, 1, 1), penalty_kind="imprisonment",
                       sentence_months=12, main_penalty_served_on=date(2011 + i, 1, 1))
            for i in range(convictions)
        )
        db.session.add_all(
            StatusEvent(returnee_id=rid, on=date(2026, 1, 1) + timedelta(days=i), to_status="overdue",
                        from_status="overdue", facts={"overdue_state": "verifying"}, actor_id=None)
            for i in range(events)
        )
        db.session.commit()


def test_dossier_query_count_does_not_grow(app, police, count_queries):
    rid = add(app)
    _fill(app, rid, 1, 1)
    with count_queries() as few:
        assert police.get(f"/t/dac_khu_cat_hai/returnees/{rid}").status_code == 200
    _fill(app, rid, 12, 30)
    with count_queries() as many:
        response = police.get(f"/t/dac_khu_cat_hai/returnees/{rid}")
    assert response.status_code == 200
    assert len(few) == len(many), many.statements
    own = [s for s in many.statements if not _partial_statement(s)]
    assert len(own) <= 8, own


def _partial_statement(sql: str) -> bool:
    """Statements of the care and comments partials (their own budgets, their own tests)."""
    tables = ("assignments", "contacts", "quarterly_reviews", "support_actions", "incidents", "team_",
              "support_teams", "comments", "employers", "transfers")
    head = sql.split("WHERE")[0]
    return any(f"FROM {t}" in head or f"JOIN {t}" in head for t in tables)


def test_counting_the_unit_and_not_the_others(app, police):
    add_many(app, 2)
    add_many(app, 4, AN_KHANH)
    assert "2 dossiers" in text(police.get("/t/dac_khu_cat_hai/returnees"))
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        assert db.session.scalar(select(func.count()).select_from(Returnee)) == 2
