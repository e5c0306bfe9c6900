"""Employers, outreach sessions and commendations: police keep them, readers read them, units never meet."""

import re
from datetime import date

import pytest
from sqlalchemy import select

from blueprints.returnees.community import Commendation, Employer, OutreachActivity
from portal.audit import AuditEvent
from portal.extensions import db
from tenants.context import use_tenant
from tests.conftest import tenant

CAT_HAI, AN_KHANH = "dac_khu_cat_hai", "xa_an_khanh"
BASE = "/t/dac_khu_cat_hai"
EMPLOYER = {"name": "Công ty TNHH Thủy sản Cát Bà", "sector": "Thủy sản", "contact_name": "Nguyễn Văn Bình",
            "phone": "0912 345 678", "address": "Thị trấn Cát Bà", "offers": "10 việc làm chế biến", "active": "y"}
OUTREACH = {"on": "2026-06-12", "form": "meeting", "topic": "Xóa bỏ kỳ thị", "place": "Nhà văn hóa thôn 1",
            "participants": "45", "note": ""}
COMMENDATION = {"on": "20/06/2026", "target": "collective", "name": "Tổ giúp đỡ thôn 2",
                "decision_number": "15/QĐ-UBND", "reason": "Giúp đỡ tốt"}


@pytest.fixture
def police(login):
    return login("commune_police", CAT_HAI, locale="en")


def rows(app, slug, model):
    with app.app_context(), use_tenant(tenant(slug)):
        found = db.session.scalars(select(model).order_by(model.id)).all()
        db.session.expunge_all()
        return found


def add(app, slug, obj):
    with app.app_context(), use_tenant(tenant(slug)):
        db.session.add(obj)
        db.session.commit()
        return obj.id


def actions(app, prefix):
    with app.app_context():
        return db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.startswith(prefix)).order_by(AuditEvent.id)
        ).all()


def field_errors(html: str, field_id: str) -> str:
    match = re.search(rf'<div class="field[^"]*">\s*<label for="{field_id}">.*?</div>', html, re.S)
    assert match, f"no field {field_id}"
    return match.group(0)


def test_police_add_and_edit_an_employer(app, police):
    response = police.post(f"{BASE}/employers/new", data=EMPLOYER)
    assert response.status_code == 303 and response.headers["Location"].endswith("/employers")
    [employer] = rows(app, CAT_HAI, Employer)
    assert (employer.name, employer.phone, employer.active) == (EMPLOYER["name"], "0912 345 678", True)

    page = police.get(f"{BASE}/employers").get_data(as_text=True)
    assert EMPLOYER["name"] in page and f"/employers/{employer.id}/edit" in page

    changed = {**EMPLOYER, "sector": "", "offers": "Hết nhận"}
    del changed["active"]  # an unticked box is not sent
    assert police.post(f"{BASE}/employers/{employer.id}/edit", data=changed).status_code == 303
    [employer] = rows(app, CAT_HAI, Employer)
    assert (employer.sector, employer.offers, employer.active) == (None, "Hết nhận", False)
    assert actions(app, "employer.") == ["employer.create", "employer.list", "employer.update"]


def test_employer_list_filters_without_diacritics(app, police):
    add(app, CAT_HAI, Employer(name="Hợp tác xã Đánh cá", sector="Thủy sản"))
    add(app, CAT_HAI, Employer(name="Xưởng mộc Phù Long", sector="Mộc", active=False))
    page = police.get(f"{BASE}/employers?q=danh+ca").get_data(as_text=True)
    assert "Hợp tác xã Đánh cá" in page and "Phù Long" not in page
    page = police.get(f"{BASE}/employers?status=inactive").get_data(as_text=True)
    assert "Phù Long" in page and "Đánh cá" not in page


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [({"name": "  "}, "name", "This field is required."),
     ({"phone": "call me"}, "phone", "Digits, spaces"),
     ({"name": "x" * 201}, "name", "200")],
)
def test_a_refused_employer_keeps_the_input_and_says_why(app, police, change, field, message):
    response = police.post(f"{BASE}/employers/new", data={**EMPLOYER, **change})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in field_errors(html, field)
    assert "10 việc làm chế biến" in html  # what was typed is still there
    assert rows(app, CAT_HAI, Employer) == []


def test_outreach_sessions_are_listed_with_their_totals(app, police):
    assert police.post(f"{BASE}/outreach/new", data=OUTREACH).status_code == 303
    assert police.post(f"{BASE}/outreach/new", data={**OUTREACH, "on": "05/01/2025", "participants": "0",
                                                     "form": "loudspeaker"}).status_code == 303
    sessions = rows(app, CAT_HAI, OutreachActivity)
    assert [(s.on, s.participants) for s in sessions] == [(date(2026, 6, 12), 45), (date(2025, 1, 5), 0)]
    page = police.get(f"{BASE}/outreach").get_data(as_text=True)
    assert "12/06/2026" in page and "05/01/2025" in page and "Loudspeaker broadcast" in page
    year = police.get(f"{BASE}/outreach?year=2026").get_data(as_text=True)
    assert "05/01/2025" not in year and re.search(r'class="num">1<.*?class="num">45<', year, re.S)

    activity_id = sessions[0].id
    edited = {**OUTREACH, "participants": "60", "topic": "Hỗ trợ việc làm"}
    assert police.post(f"{BASE}/outreach/{activity_id}/edit", data=edited).status_code == 303
    assert rows(app, CAT_HAI, OutreachActivity)[0].participants == 60
    assert actions(app, "outreach.") == ["outreach.create", "outreach.create", "outreach.update"]


@pytest.mark.parametrize(
    ("change", "field"),
    [({"participants": "-1"}, "participants"), ({"participants": "many"}, "participants"),
     ({"on": "31/02/2026"}, "on"), ({"on": ""}, "on"), ({"topic": ""}, "topic"), ({"form": "rumour"}, "form")],
)
def test_a_refused_outreach_session_says_why(app, police, change, field):
    response = police.post(f"{BASE}/outreach/new", data={**OUTREACH, **change})
    assert response.status_code == 422
    assert 'class="error"' in field_errors(response.get_data(as_text=True), field)
    assert rows(app, CAT_HAI, OutreachActivity) == []


def test_commendations_are_recorded_and_edited(app, police):
    assert police.post(f"{BASE}/commendations/new", data=COMMENDATION).status_code == 303
    [row] = rows(app, CAT_HAI, Commendation)
    assert (row.on, row.target, row.decision_number) == (date(2026, 6, 20), "collective", "15/QĐ-UBND")
    page = police.get(f"{BASE}/commendations").get_data(as_text=True)
    assert "Tổ giúp đỡ thôn 2" in page and "20/06/2026" in page and "Collective" in page
    response = police.post(f"{BASE}/commendations/{row.id}/edit", data={**COMMENDATION, "target": "nobody"})
    assert response.status_code == 422 and "Tổ giúp đỡ thôn 2" in response.get_data(as_text=True)
    assert police.post(f"{BASE}/commendations/{row.id}/edit",
                       data={**COMMENDATION, "target": "person", "name": "Ông Trần Văn Hải"}).status_code == 303
    assert rows(app, CAT_HAI, Commendation)[0].name == "Ông Trần Văn Hải"
    assert actions(app, "commendation.") == ["commendation.create", "commendation.list", "commendation.update"]


@pytest.mark.parametrize("role", ["commune_leader", "mttq_member"])
def test_readers_read_but_cannot_write(app, login, role):
    employer = add(app, CAT_HAI, Employer(name="Xưởng may An Hải"))
    activity = add(app, CAT_HAI, OutreachActivity(on=date(2026, 5, 1), form="leaflet", topic="Tờ rơi"))
    commendation = add(app, CAT_HAI, Commendation(on=date(2026, 5, 2), target="person", name="Bà Lê Thị Hoa"))
    client = login(role, CAT_HAI, locale="en")
    for url, text in (("employers", "Xưởng may An Hải"), ("outreach", "Tờ rơi"), ("commendations", "Lê Thị Hoa")):
        page = client.get(f"{BASE}/{url}")
        assert page.status_code == 200 and text in page.get_data(as_text=True)
        assert "/new" not in page.get_data(as_text=True) and "/edit" not in page.get_data(as_text=True)
    writes = [("employers/new", EMPLOYER), (f"employers/{employer}/edit", EMPLOYER),
              ("outreach/new", OUTREACH), (f"outreach/{activity}/edit", OUTREACH),
              ("commendations/new", COMMENDATION), (f"commendations/{commendation}/edit", COMMENDATION)]
    for url, data in writes:
        assert client.get(f"{BASE}/{url}").status_code == 403, url
        assert client.post(f"{BASE}/{url}", data=data).status_code == 403, url
    assert rows(app, CAT_HAI, Employer)[0].name == "Xưởng may An Hải"
    assert len(rows(app, CAT_HAI, OutreachActivity)) == 1 and len(rows(app, CAT_HAI, Commendation)) == 1


def test_another_units_rows_are_not_found_and_never_listed(app, login):
    ids = {
        "employers": add(app, CAT_HAI, Employer(name="Doanh nghiệp Cát Hải")),
        "outreach": add(app, CAT_HAI, OutreachActivity(on=date(2026, 5, 1), form="meeting", topic="Họp Cát Hải")),
        "commendations": add(app, CAT_HAI, Commendation(on=date(2026, 5, 2), target="person", name="Người Cát Hải")),
    }
    client = login("commune_police", AN_KHANH, locale="en")
    for kind, row_id in ids.items():
        # Through An Khánh's own URL: the id exists, but not in this unit.
        assert client.get(f"/t/xa_an_khanh/{kind}/{row_id}/edit").status_code == 404
        data = {"employers": EMPLOYER, "outreach": OUTREACH, "commendations": COMMENDATION}[kind]
        assert client.post(f"/t/xa_an_khanh/{kind}/{row_id}/edit", data=data).status_code == 404
        # Through Cát Hải's URL: not a member there.
        assert client.get(f"{BASE}/{kind}/{row_id}/edit").status_code == 404
        assert client.get(f"{BASE}/{kind}").status_code == 404
        page = client.get(f"/t/xa_an_khanh/{kind}").get_data(as_text=True)
        for name in ("Doanh nghiệp Cát Hải", "Họp Cát Hải", "Người Cát Hải"):
            assert name not in page
    assert rows(app, CAT_HAI, Employer)[0].name == "Doanh nghiệp Cát Hải"
    assert rows(app, AN_KHANH, Employer) == []


@pytest.mark.parametrize("kind", ["employers", "outreach", "commendations"])
def test_list_statement_counts_do_not_grow(app, login, count_queries, kind):
    client = login("mttq_member", CAT_HAI)

    def seed(n):
        for i in range(n):
            add(app, CAT_HAI, Employer(name=f"Cơ sở {i}"))
            add(app, CAT_HAI, OutreachActivity(on=date(2026, 1, 1 + i % 28), form="meeting", topic=f"Buổi {i}"))
            add(app, CAT_HAI, Commendation(on=date(2026, 2, 1 + i % 28), target="person", name=f"Người {i}"))

    def statements():
        with count_queries() as queries:
            assert client.get(f"{BASE}/{kind}").status_code == 200
        return len(queries)

    seed(2)
    few = statements()
    seed(60)
    assert statements() == few <= 6
