"""The dossier's lifecycle through the API, with bearer tokens: from the prison's notice to closure
across Tết 2026 (the same story as test_lifecycle's UI test), missing facts, refused moves, roles
that cannot write, and another unit's id."""

import pytest
from sqlalchemy import select

from blueprints.returnees.models import StatusEvent
from portal.audit import AuditEvent
from portal.extensions import db
from tenants.context import use_tenant
from tests.conftest import tenant
from tests.helpers_returnees import AN_KHANH, CAT_HAI, advance, bearer, create, issue_token, under_management

BASE = f"/api/v1/t/{CAT_HAI}/returnees"


@pytest.fixture
def headers_for(app, make_user):
    return lambda role, unit=CAT_HAI: bearer(issue_token(app, make_user(role, unit)))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def police(headers_for):
    return headers_for("commune_police")


def move(client, headers, rid, to, expect=200, **body):
    response = client.post(f"{BASE}/{rid}/transitions", json={"to": to, **body}, headers=headers)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def due(body, key):
    (row,) = [d for d in body["due_dates"] if d["key"] == key]
    return row["due"], row["done_on"]


def test_from_the_notice_to_closure_across_tet_2026(app, client, police):
    created = create(client, police, status="expected", release_kind="special_pardon",
                     notice_received_on="2026-02-13", expected_release_date="2026-03-02")
    rid = created["id"]
    # Notice on Friday 13/02: Tết closes 16–20/02, then Mon 23, Tue 24, Wed 25.
    assert due(created, "residence_check") == ("2026-02-25", None)

    body = move(client, police, rid, "released_not_reported", release_date="2026-03-02",
                reporting_deadline="2026-03-12")
    assert body["status"] == "released_not_reported" and len(body["status_history"]) == 2
    assert due(body, "reporting_deadline") == ("2026-03-12", None)

    # Presented on Friday 06/03: proposal Mon 9, Tue 10, Wed 11; dossier by Fri 13.
    body = move(client, police, rid, "received", reported_on="2026-03-06", work_session_minutes="Biên bản số 3",
                commitment_signed=True, version=body["version"])
    assert body["status"] == "received" and len(body["status_history"]) == 3
    assert body["reported_on"] == "2026-03-06" and body["commitment_signed"] is True
    assert due(body, "assignment_proposal")[0] == "2026-03-11"
    assert due(body, "dossier_open") == ("2026-03-13", None)

    body = move(client, police, rid, "under_management", group="B", dossier_opened_on="2026-03-12")
    assert (body["status"], body["group"], body["managed_since"]) == ("under_management", "B", "2026-03-12")
    assert len(body["status_history"]) == 4 and due(body, "dossier_open") == ("2026-03-13", "2026-03-12")

    body = move(client, police, rid, "in_custody", on="2026-06-01")
    assert (body["status"], body["group"], len(body["status_history"])) == ("in_custody", "D", 5)

    # Back from custody: the dossier's opening date stays; `on` gives the legal date of the return.
    body = move(client, police, rid, "under_management", group="C", dossier_opened_on="2026-03-12", on="2026-09-01")
    assert (body["status"], body["group"], len(body["status_history"])) == ("under_management", "C", 6)

    body = move(client, police, rid, "closed", closure_ground="expunged", closure_decision_number="15/QĐ-UBND",
                closure_decision_date="2026-11-20")
    assert (body["status"], body["closed_on"], body["closure_ground"]) == ("closed", "2026-11-20", "expunged")
    assert body["managed_since"] == "2026-03-12" and len(body["status_history"]) == 7

    read = client.get(f"{BASE}/{rid}", headers=police).get_json()
    assert read["status"] == "closed" and len(read["status_history"]) == 7
    assert [(e["from_status"], e["to_status"], e["on"]) for e in read["status_history"]] == [
        (None, "expected", "2026-02-13"),
        ("expected", "released_not_reported", "2026-03-02"),
        ("released_not_reported", "received", "2026-03-06"),
        ("received", "under_management", "2026-03-12"),
        ("under_management", "in_custody", "2026-06-01"),
        ("in_custody", "under_management", "2026-09-01"),
        ("under_management", "closed", "2026-11-20"),
    ]
    patched = client.patch(f"{BASE}/{rid}", json={"phone": "0912345678"}, headers=police)
    assert patched.status_code == 409 and patched.get_json()["error"] == "closed"
    again = client.post(f"{BASE}/{rid}/transitions", json={"to": "under_management"}, headers=police)
    assert again.status_code == 409 and again.get_json()["error"] == "closed"
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        actions = list(db.session.scalars(select(AuditEvent.action)))
        actors = set(db.session.scalars(select(StatusEvent.actor_id)))
    assert actions.count("returnee.transition") == 7 and actions.count("returnee.create") == 1
    assert None not in actors


def test_missing_and_invalid_facts_are_named(client, police):
    rid = create(client, police)["id"]
    url = f"{BASE}/{rid}/transitions"
    missing = client.post(url, json={"to": "released_not_reported", "release_date": "2026-03-02"}, headers=police)
    assert missing.status_code == 422
    assert missing.get_json()["error"] == "invalid" and set(missing.get_json()["fields"]) == {"reporting_deadline"}
    bad = client.post(url, json={"to": "received", "reported_on": "06/03/2026", "work_session_minutes": "x",
                                 "commitment_signed": "yes", "group": "A"}, headers=police)
    assert bad.status_code == 422
    assert set(bad.get_json()["fields"]) == {"reported_on", "commitment_signed", "group"}
    unsigned = client.post(url, json={"to": "received", "reported_on": "2026-03-06", "work_session_minutes": "x",
                                      "commitment_signed": False}, headers=police)
    assert unsigned.status_code == 422 and set(unsigned.get_json()["fields"]) == {"commitment_signed"}
    future = client.post(url, json={"to": "received", "reported_on": "2999-01-01", "work_session_minutes": "x",
                                    "commitment_signed": True}, headers=police)
    assert future.status_code == 422 and set(future.get_json()["fields"]) == {"reported_on"}
    for body in ({}, {"to": "gone"}):
        refused = client.post(url, json=body, headers=police)
        assert refused.status_code == 422 and set(refused.get_json()["fields"]) == {"to"}
    assert client.post(url, data="nope", headers={**police, "Content-Type": "application/json"}).status_code == 400
    stale = client.post(url, json={"to": "released_not_reported", "release_date": "2026-03-02",
                                   "reporting_deadline": "2026-03-12", "version": 99}, headers=police)
    assert stale.status_code == 409 and stale.get_json()["error"] == "stale"
    assert client.get(f"{BASE}/{rid}", headers=police).get_json()["status"] == "expected"


def test_forbidden_moves_and_transfers_are_conflicts(app, client, police):
    rid = create(client, police)["id"]
    url = f"{BASE}/{rid}/transitions"
    jump = client.post(url, json={"to": "under_management", "group": "B", "dossier_opened_on": "2026-03-12"},
                       headers=police)
    assert jump.status_code == 409 and "to" in jump.get_json()["fields"]
    under_management(app, CAT_HAI, rid)
    transfer = client.post(url, json={"to": "transferring"}, headers=police)
    assert transfer.status_code == 409 and transfer.get_json()["error"] == "transferring"
    body = client.get(f"{BASE}/{rid}", headers=police).get_json()
    assert body["status"] == "under_management" and len(body["status_history"]) == 3
    advance(app, CAT_HAI, rid, "transferring")  # as the transfer flow does
    back = client.post(url, json={"to": "under_management", "group": "B", "dossier_opened_on": "2026-03-12"},
                       headers=police)
    assert back.status_code == 409 and back.get_json()["error"] == "transferring"


@pytest.mark.parametrize("role", ["mttq_member", "commune_leader"])
def test_roles_without_dossier_write_get_403(client, police, headers_for, role):
    rid = create(client, police)["id"]
    body = {"to": "released_not_reported", "release_date": "2026-03-02", "reporting_deadline": "2026-03-12"}
    assert client.post(f"{BASE}/{rid}/transitions", json=body, headers=headers_for(role)).status_code == 403
    assert client.get(f"{BASE}/{rid}", headers=police).get_json()["status"] == "expected"


def test_another_units_token_gets_404(client, police, headers_for):
    rid = create(client, police)["id"]
    outsider = headers_for("commune_police", AN_KHANH)
    body = {"to": "released_not_reported", "release_date": "2026-03-02", "reporting_deadline": "2026-03-12"}
    for slug in (CAT_HAI, AN_KHANH):
        response = client.post(f"/api/v1/t/{slug}/returnees/{rid}/transitions", json=body, headers=outsider)
        assert response.status_code == 404 and b"Nguy" not in response.data
    assert client.get(f"{BASE}/{rid}", headers=police).get_json()["status"] == "expected"
