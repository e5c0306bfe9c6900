"""The returnee API from outside, with bearer tokens: create, list and search, read, edit, contacts,
errors with field messages, masking for Front members, isolation between units with real ids, and
constant query counts."""

import pytest
from sqlalchemy import select

from blueprints.returnees.care import SupportTeam, TeamMember
from blueprints.returnees.models import Returnee
from portal.audit import AuditEvent
from portal.extensions import db
from tenants.context import use_tenant
from tests.conftest import tenant
from tests.helpers_returnees import (
    AN_KHANH,
    AN_KHANH_CODE,
    CAT_HAI,
    CAT_HAI_CODE,
    add_conviction,
    bearer,
    close,
    create,
    issue_token,
    person,
    under_management,
)

BASE = f"/api/v1/t/{CAT_HAI}/returnees"


@pytest.fixture
def headers_for(app, make_user):
    """headers_for(role, unit) → Authorization headers of a new user's bearer token."""
    return lambda role, unit=CAT_HAI: bearer(issue_token(app, make_user(role, unit)))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def police(headers_for):
    return headers_for("commune_police")


def test_create_opens_an_expected_dossier_through_the_lifecycle(app, client, police):
    response = client.post(BASE, json=person(other_names="Tý"), headers=police)
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/returnees/{body['id']}")
    assert body["status"] == "expected" and body["notice_received_on"] == "2026-05-04"
    assert body["date_of_birth"] == "1990-05-01" and body["national_id"] == "031090001234"
    assert body["is_minor"] is False and body["is_child"] is False
    assert [(e["from_status"], e["to_status"]) for e in body["status_history"]] == [(None, "expected")]
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        assert db.session.scalar(select(Returnee.search_name)) == "nguyen van duc ty"
        actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"returnee.create", "returnee.transition"} <= actions


def test_each_first_status_needs_its_facts(client, police):
    missing = client.post(BASE, json=person(status="released_not_reported", notice_received_on=None), headers=police)
    assert missing.status_code == 422
    assert set(missing.get_json()["fields"]) == {"release_date", "reporting_deadline"}
    released = person(status="released_not_reported", release_date="2026-05-01", reporting_deadline="2026-05-11")
    assert client.post(BASE, json=released, headers=police).status_code == 201
    received = person(status="received", national_id="031090009999", reported_on="2026-05-20",
                      work_session_minutes="Biên bản làm việc", commitment_signed=True)
    assert client.post(BASE, json=received, headers=police).get_json()["status"] == "received"
    misplaced = client.post(BASE, json=person(national_id=None, reported_on="2026-05-20"), headers=police)
    assert misplaced.status_code == 422 and "reported_on" in misplaced.get_json()["fields"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"national_id": "12345"}, "national_id"),
        ({"national_id": 31090001234}, "national_id"),
        ({"date_of_birth": "01/05/1990"}, "date_of_birth"),
        ({"date_of_birth": "1990-02-30"}, "date_of_birth"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"full_name": ""}, "full_name"),
        ({"full_name": "x" * 121}, "full_name"),
        ({"sex": "x"}, "sex"),
        ({"release_kind": "escaped"}, "release_kind"),
        ({"status": "closed"}, "status"),
        ({"phone": "call me"}, "phone"),
        ({"needs": {"housing": "maybe"}}, "needs"),
        ({"favourite_colour": "red"}, "favourite_colour"),
        ({"group": "A"}, "group"),
        ({"release_date": "2026-05-10", "reporting_deadline": "2026-05-01"}, "reporting_deadline"),
    ],
)
def test_invalid_fields_get_a_422_naming_the_field(client, police, overrides, field):
    response = client.post(BASE, json=person(**overrides), headers=police)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid" and body["message"] and field in body["fields"]


@pytest.mark.parametrize("data", ["not json", "[1, 2]", ""])
def test_a_body_that_is_not_a_json_object_is_a_400(client, police, data):
    response = client.post(BASE, data=data, headers={**police, "Content-Type": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"] == "bad_request"


def test_a_personal_id_is_unique_in_the_unit(app, client, police, headers_for):
    first = create(client, police)
    duplicate = client.post(BASE, json=person(full_name="Người khác"), headers=police)
    assert duplicate.status_code == 409 and "national_id" in duplicate.get_json()["fields"]
    an_khanh = headers_for("commune_police", AN_KHANH)
    elsewhere = client.post(f"/api/v1/t/{AN_KHANH}/returnees", json=person(), headers=an_khanh)
    assert elsewhere.status_code == 201  # another unit's dossier is not a duplicate (and is not visible here)
    close(app, CAT_HAI, first["id"])
    assert client.post(BASE, json=person(), headers=police).status_code == 409  # as on the pages: closed ones count
    second = create(client, police, national_id="031090007777")
    taken = client.patch(f"{BASE}/{second['id']}", json={"national_id": "031090001234"}, headers=police)
    assert taken.status_code == 409 and taken.get_json()["error"] == "duplicate"


def test_list_filters_and_searches_without_diacritics(app, client, police):
    duc = create(client, police)
    create(client, police, full_name="Trần Thị Ánh", national_id="031090005678", sex="female", hamlet="Thôn 2",
           release_kind="special_pardon")
    under_management(app, CAT_HAI, duc["id"], group="C")

    def names(query=""):
        body = client.get(f"{BASE}?{query}", headers=police).get_json()
        return sorted(item["full_name"] for item in body["items"])

    assert names() == ["Nguyễn Văn Đức", "Trần Thị Ánh"]
    assert names("q=nguyen+van+duc") == names("q=NGUYỄN Đức") == ["Nguyễn Văn Đức"]
    assert names("q=anh") == ["Trần Thị Ánh"]
    assert names("q=100%25") == names("q=v%25n") == []  # LIKE wildcards are searched as text
    assert names("status=under_management") == names("group=C") == ["Nguyễn Văn Đức"]
    assert names("release_kind=special_pardon") == names("hamlet=Thôn 2") == ["Trần Thị Ánh"]
    bad = client.get(f"{BASE}?status=gone&group=Z&per_page=101&page=0", headers=police)
    assert bad.status_code == 422
    assert set(bad.get_json()["fields"]) == {"status", "group", "per_page", "page"}


def test_pagination(client, police):
    for i in range(5):
        create(client, police, full_name=f"Lê Văn {chr(65 + i)}", national_id=f"03109000000{i}")
    page = client.get(f"{BASE}?per_page=2&page=3", headers=police).get_json()
    assert page["total"] == 5 and page["page"] == 3 and page["per_page"] == 2
    assert [item["full_name"] for item in page["items"]] == ["Lê Văn E"]
    assert client.get(f"{BASE}?per_page=2&page=9", headers=police).get_json()["items"] == []


def test_read_shows_convictions_history_and_is_audited(app, client, police):
    created = create(client, police)
    add_conviction(app, CAT_HAI, created["id"])
    body = client.get(f"{BASE}/{created['id']}", headers=police).get_json()
    assert body["convictions"][0]["penal_code_article"] == "173"
    assert body["convictions"][0]["judgment_date"] == "2019-03-01"
    with app.app_context():
        reads = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "returnee.read")).all()
        assert [(r.object_type, r.object_id, r.tenant_id) for r in reads] == [
            ("returnees", str(created["id"]), tenant(CAT_HAI).id)
        ]


def test_patch_edits_keeps_the_search_key_and_honours_the_version(app, client, police):
    created = create(client, police)
    url = f"{BASE}/{created['id']}"
    changed = client.patch(url, json={"full_name": "Phạm Minh Đức", "version": created["version"]}, headers=police)
    assert changed.status_code == 200
    assert changed.get_json()["full_name"] == "Phạm Minh Đức" and changed.get_json()["version"] > created["version"]
    names = client.get(f"{BASE}?q=pham+minh", headers=police).get_json()["items"]
    assert [n["id"] for n in names] == [created["id"]]
    stale = client.patch(url, json={"phone": "0912345678", "version": created["version"]}, headers=police)
    assert stale.status_code == 409 and "version" in stale.get_json()["fields"]
    assert client.patch(url, json={"status": "closed"}, headers=police).status_code == 422
    assert client.patch(url, json={"full_name": None}, headers=police).status_code == 422
    assert client.patch(url, json={"nationality": None}, headers=police).status_code == 422
    close(app, CAT_HAI, created["id"])
    closed = client.patch(url, json={"phone": "0912345678"}, headers=police)
    assert closed.status_code == 409 and closed.get_json()["error"] == "closed"


def test_front_members_see_masked_ids_and_cannot_write(client, police, headers_for):
    created = create(client, police)
    front = headers_for("mttq_member")
    assert client.get(f"{BASE}/{created['id']}", headers=front).get_json()["national_id"] == "••••••••1234"
    assert client.get(BASE, headers=front).get_json()["items"][0]["national_id"] == "••••••••1234"
    leader = headers_for("commune_leader")
    assert client.get(f"{BASE}/{created['id']}", headers=leader).get_json()["national_id"] == "031090001234"
    for headers in (front, leader):
        assert client.post(BASE, json=person(national_id=None), headers=headers).status_code == 403
        assert client.patch(f"{BASE}/{created['id']}", json={"phone": "0912345678"}, headers=headers).status_code == 403
        contact = {"on": "2026-06-01", "contact_person": "A", "method": "visit", "content": "Gặp"}
        assert client.post(f"{BASE}/{created['id']}/contacts", json=contact, headers=headers).status_code == 403


def test_contacts_are_recorded_listed_and_validated(app, client, police):
    created = create(client, police)
    url = f"{BASE}/{created['id']}/contacts"
    for day in ("2026-06-01", "2026-06-08"):
        contact = {"on": day, "contact_person": "Trưởng thôn", "method": "visit", "content": "Gặp tại nhà"}
        assert client.post(url, json=contact, headers=police).status_code == 201
    listed = client.get(f"{url}?per_page=1", headers=police).get_json()
    assert listed["total"] == 2 and [c["on"] for c in listed["items"]] == ["2026-06-08"]
    bad = client.post(url, json={"on": "2999-01-01", "method": "telepathy"}, headers=police)
    assert bad.status_code == 422
    assert set(bad.get_json()["fields"]) == {"on", "method", "contact_person", "content"}
    unknown_member = {"on": "2026-06-01", "contact_person": "A", "method": "visit", "content": "x", "member_id": 99}
    assert "member_id" in client.post(url, json=unknown_member, headers=police).get_json()["fields"]
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        team = SupportTeam(name="Tổ 1")
        team.members.append(TeamMember(full_name="Bùi Thị Lan", kind="village_cadre"))
        db.session.add(team)
        db.session.commit()
        member_id = team.members[0].id
    by_member = {"on": "2026-06-02", "method": "phone", "content": "Gọi điện", "member_id": member_id}
    recorded = client.post(url, json=by_member, headers=police).get_json()
    assert (recorded["member_id"], recorded["contact_person"]) == (member_id, "Bùi Thị Lan")
    close(app, CAT_HAI, created["id"])
    closed = {"on": "2026-06-03", "contact_person": "A", "method": "visit", "content": "x"}
    assert client.post(url, json=closed, headers=police).status_code == 409


def test_another_units_token_gets_404_on_every_real_url(app, client, police, headers_for):
    created = create(client, police)
    rid = created["id"]
    outsider = headers_for("commune_police", AN_KHANH)
    for code in (CAT_HAI, CAT_HAI_CODE):
        base = f"/api/v1/t/{code}/returnees"
        for method, url, body in [
            ("GET", base, None), ("POST", base, person()), ("GET", f"{base}/{rid}", None),
            ("PATCH", f"{base}/{rid}", {"phone": "0912345678"}), ("GET", f"{base}/{rid}/contacts", None),
            ("POST", f"{base}/{rid}/contacts", {}), ("GET", f"{base}/{rid}/comments", None),
            ("POST", f"{base}/{rid}/comments", {"body": "x"}),
        ]:
            response = client.open(url, method=method, json=body, headers=outsider)
            assert response.status_code == 404, (method, url)
            assert b"Nguy" not in response.data
    # In its own unit, the same id is simply another unit's: not found, and the list never shows it.
    mine = f"/api/v1/t/{AN_KHANH}/returnees"
    assert client.get(f"{mine}/{rid}", headers=outsider).status_code == 404
    assert client.patch(f"{mine}/{rid}", json={"phone": "0912345678"}, headers=outsider).status_code == 404
    assert client.get(f"{mine}/{rid}/comments", headers=outsider).status_code == 404
    assert client.get(f"{mine}?q=nguyen", headers=outsider).get_json() == {
        "items": [], "total": 0, "page": 1, "per_page": 50
    }
    assert client.get(f"/api/v1/t/{AN_KHANH_CODE}/returnees", headers=outsider).status_code == 200
    assert client.get(f"{mine}/{2**31}", headers=outsider).status_code == 404
    assert client.get(f"{BASE}/{rid}", headers=headers_for("city_police", None)).status_code == 404


def test_the_five_digit_code_works_like_the_slug(client, police):
    created = create(client, police, slug=CAT_HAI_CODE)
    assert client.get(f"/api/v1/t/{CAT_HAI}/returnees/{created['id']}", headers=police).status_code == 200
    assert client.get(f"/api/v1/t/{CAT_HAI_CODE}/returnees", headers=police).get_json()["total"] == 1


def _count(client, count_queries, url, headers):
    with count_queries() as queries:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(queries)


def test_query_counts_do_not_grow_with_the_rows(app, client, police, count_queries):
    first = create(client, police)
    add_conviction(app, CAT_HAI, first["id"])
    few_list = _count(client, count_queries, f"{BASE}?q=van", police)
    few_read = _count(client, count_queries, f"{BASE}/{first['id']}", police)
    for i in range(30):
        create(client, police, full_name=f"Vũ Văn {i}", national_id=f"0310900100{i:02d}")
    for _ in range(3):
        add_conviction(app, CAT_HAI, first["id"])
    under_management(app, CAT_HAI, first["id"])
    many_list = _count(client, count_queries, f"{BASE}?q=van", police)
    many_read = _count(client, count_queries, f"{BASE}/{first['id']}", police)
    assert few_list == many_list <= 6
    assert few_read == many_read <= 8
