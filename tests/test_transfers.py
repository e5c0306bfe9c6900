"""Change of residence between Cát Hải and An Khánh, end to end through the pages: the snapshot
travels (not the comments), the receiving unit takes over and the old dossier closes, cancel, roles,
isolation (each unit sees only its own row; a third unit nothing), all-or-nothing on refusal, and
row-level security still on under PostgreSQL."""

import json
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import select, text

from blueprints.returnees import facts
from blueprints.returnees.care import Transfer
from blueprints.returnees.deadlines import due_date
from blueprints.returnees.models import Returnee, StatusEvent
from blueprints.returnees.transfer_queries import transfer_context
from portal.audit import AuditEvent
from portal.extensions import db
from tenants.context import use_tenant
from tests.conftest import tenant
from tests.helpers_returnees import (
    AN_KHANH,
    CAT_HAI,
    THIRD,
    add_conviction,
    close,
    make_returnee,
    under_management,
)

EN = {"Accept-Language": "en"}
NEW_ADDRESS = "Thôn 3, xã An Khánh"


@pytest.fixture
def today(app):
    with app.app_context():
        return facts.today()


@pytest.fixture
def person_id(app):
    """A Cát Hải dossier under management (group B) with a conviction and a history."""
    rid = make_returnee(app, CAT_HAI)
    add_conviction(app, CAT_HAI, rid)
    under_management(app, CAT_HAI, rid, group="B")
    return rid


@pytest.fixture
def units(login):
    return {
        "cat_hai": login("commune_police", CAT_HAI), "an_khanh": login("commune_police", AN_KHANH),
        "third": login("commune_police", THIRD),
    }


def rows(app, slug) -> list[dict]:
    with app.app_context(), use_tenant(tenant(slug)):
        found = db.session.scalars(select(Transfer).order_by(Transfer.id)).all()
        return [{c.key: getattr(t, c.key) for c in Transfer.__table__.columns} for t in found]


def dossiers(app, slug) -> list[dict]:
    with app.app_context(), use_tenant(tenant(slug)):
        found = db.session.scalars(select(Returnee).order_by(Returnee.id)).all()
        return [{**{c.key: getattr(r, c.key) for c in Returnee.__table__.columns},
                 "events": [(e.to_status, dict(e.facts)) for e in r.events],
                 "articles": [c.penal_code_article for c in r.convictions]} for r in found]


def actions(app, slug) -> set[str]:
    with app.app_context():
        unit_id = tenant(slug).id
        return set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.tenant_id == unit_id)))


def start(client, rid, day, unit=AN_KHANH, address=NEW_ADDRESS):
    data = {"unit": unit, "notified_on": day.isoformat(), "new_address": address}
    return client.post(f"/t/{CAT_HAI}/returnees/{rid}/transfer", data=data, headers=EN)


def test_a_transfer_end_to_end(app, units, person_id, today, login):
    cat_hai, an_khanh, third = units["cat_hai"], units["an_khanh"], units["third"]
    cat_hai.post(f"/t/{CAT_HAI}/returnees/{person_id}/comments", data={"body": "Bí mật nội bộ Cát Hải"})
    assert "Transfer to another unit" in cat_hai.get(f"/t/{CAT_HAI}/returnees/{person_id}", headers=EN).get_data(
        as_text=True)
    assert start(cat_hai, person_id, today).status_code == 303
    [old] = dossiers(app, CAT_HAI)
    assert old["status"] == "transferring"
    [out], [incoming] = rows(app, CAT_HAI), rows(app, AN_KHANH)
    assert (out["direction"], out["state"], out["returnee_id"]) == ("out", "sent", person_id)
    assert (incoming["direction"], incoming["state"], incoming["returnee_id"]) == ("in", "sent", None)
    assert out["transfer_key"] == incoming["transfer_key"] and rows(app, THIRD) == []
    carried = incoming["snapshot"]
    assert carried["full_name"] == "Nguyễn Văn Đức" and carried["group"] == "B"
    assert [c["penal_code_article"] for c in carried["convictions"]] == ["173"]
    assert [e["to_status"] for e in carried["status_history"]] == [
        "expected", "received", "under_management", "transferring"]
    assert "Bí mật" not in json.dumps(carried, ensure_ascii=False)

    # Each unit sees its own side; the receiving unit cannot open the sender's dossier; a third sees nothing.
    with app.app_context():
        due = due_date("transfer_takeover", today)
    page = an_khanh.get(f"/t/{AN_KHANH}/transfers", headers=EN).get_data(as_text=True)
    assert "Nguyễn Văn Đức" in page and "Đặc khu Cát Hải" in page and due.strftime("%d/%m/%Y") in page
    assert "(expected)" in page
    assert "Nguyễn Văn Đức" in cat_hai.get(f"/t/{CAT_HAI}/transfers").get_data(as_text=True)
    assert "Nguyễn Văn Đức" not in third.get(f"/t/{THIRD}/transfers").get_data(as_text=True)
    assert an_khanh.get(f"/t/{AN_KHANH}/returnees/{person_id}").status_code == 404
    assert an_khanh.get(f"/t/{CAT_HAI}/transfers/{out['id']}").status_code == 404
    review = an_khanh.get(f"/t/{AN_KHANH}/transfers/{incoming['id']}").get_data(as_text=True)
    assert "173" in review and "031090001234" in review
    front = login("mttq_member", AN_KHANH).get(f"/t/{AN_KHANH}/transfers/{incoming['id']}").get_data(as_text=True)
    assert "••••••••1234" in front and "031090001234" not in front

    accepted = an_khanh.post(f"/t/{AN_KHANH}/transfers/{incoming['id']}/accept")
    assert accepted.status_code == 303
    [new] = dossiers(app, AN_KHANH)
    assert accepted.headers["Location"].endswith(f"/t/{AN_KHANH}/returnees/{new['id']}")
    assert (new["status"], new["group"], new["address"], new["hamlet"]) == ("under_management", "B", NEW_ADDRESS, None)
    assert new["dossier_opened_on"] == new["managed_since"] == today and new["articles"] == ["173"]
    assert new["search_name"] == "nguyen van duc" and new["national_id"] == "031090001234"
    assert [status for status, _ in new["events"]] == [
        "expected", "received", "under_management", "transferring", "under_management"]
    assert all(f["copied_from_unit"] == tenant_code(app, CAT_HAI) for _, f in new["events"][:4])
    [old] = dossiers(app, CAT_HAI)
    assert (old["status"], old["closure_ground"], old["closure_decision_date"], old["closed_on"]) == (
        "closed", "moved_residence", today, today)
    assert old["closure_decision_number"] == f"TRANSFER-{out['transfer_key']}"
    [out], [incoming] = rows(app, CAT_HAI), rows(app, AN_KHANH)
    assert (out["state"], out["accepted_on"]) == ("accepted", today)
    assert (incoming["state"], incoming["snapshot"], incoming["returnee_id"]) == ("accepted", None, new["id"])
    assert {"transfer.start", "transfer.accepted", "returnee.transition"} <= actions(app, CAT_HAI)
    assert {"transfer.incoming", "transfer.accept", "returnee.create"} <= actions(app, AN_KHANH)

    # Afterwards: each unit has its own dossier and cannot open the other's; comments stayed behind.
    assert cat_hai.get(f"/t/{CAT_HAI}/returnees/{new['id']}").status_code == 404
    arrived = an_khanh.get(f"/t/{AN_KHANH}/returnees/{new['id']}", headers=EN).get_data(as_text=True)
    assert "Taken over from Đặc khu Cát Hải" in arrived
    left = cat_hai.get(f"/t/{CAT_HAI}/returnees/{person_id}", headers=EN).get_data(as_text=True)
    assert "Transferred to Xã An Khánh" in left and "Cancel the transfer" not in left
    assert "Bí mật" not in an_khanh.get(f"/t/{AN_KHANH}/returnees/{new['id']}/comments").get_data(as_text=True)
    assert an_khanh.post(f"/t/{AN_KHANH}/transfers/{incoming['id']}/accept").status_code == 303
    assert len(dossiers(app, AN_KHANH)) == 1 and dossiers(app, THIRD) == []


def tenant_code(app, slug):
    with app.app_context():
        return tenant(slug).code


def test_the_sender_cancels_before_acceptance(app, units, person_id, today):
    start(units["cat_hai"], person_id, today)
    [out], [incoming] = rows(app, CAT_HAI), rows(app, AN_KHANH)
    assert units["an_khanh"].post(f"/t/{AN_KHANH}/transfers/{incoming['id']}/cancel").status_code == 404
    assert units["cat_hai"].post(f"/t/{CAT_HAI}/transfers/{out['id']}/accept").status_code == 404
    assert units["cat_hai"].post(f"/t/{CAT_HAI}/transfers/{out['id']}/cancel").status_code == 303
    [old] = dossiers(app, CAT_HAI)
    assert old["status"] == "under_management" and old["group"] == "B"
    [out], [incoming] = rows(app, CAT_HAI), rows(app, AN_KHANH)
    assert out["state"] == incoming["state"] == "cancelled"
    assert incoming["snapshot"] == {"full_name": "Nguyễn Văn Đức",
                                    "from_unit": {"code": tenant_code(app, CAT_HAI), "name": "Đặc khu Cát Hải"}}
    units["an_khanh"].post(f"/t/{AN_KHANH}/transfers/{incoming['id']}/accept")
    assert dossiers(app, AN_KHANH) == [] and rows(app, AN_KHANH)[0]["state"] == "cancelled"
    assert {"transfer.cancel"} <= actions(app, CAT_HAI) and {"transfer.cancelled"} <= actions(app, AN_KHANH)
    assert start(units["cat_hai"], person_id, today).status_code == 303  # and may start again


@pytest.mark.parametrize("role", ["mttq_member", "commune_leader"])
def test_only_the_police_start_or_accept(app, login, units, person_id, today, role):
    assert start(login(role, CAT_HAI), person_id, today).status_code == 403
    assert login(role, CAT_HAI).get(f"/t/{CAT_HAI}/returnees/{person_id}/transfer").status_code == 403
    start(units["cat_hai"], person_id, today)
    [incoming] = rows(app, AN_KHANH)
    assert login(role, AN_KHANH).post(f"/t/{AN_KHANH}/transfers/{incoming['id']}/accept").status_code == 403
    [out] = rows(app, CAT_HAI)
    assert login(role, CAT_HAI).post(f"/t/{CAT_HAI}/transfers/{out['id']}/cancel").status_code == 403
    assert login(role, AN_KHANH).get(f"/t/{AN_KHANH}/transfers").status_code == 200  # reading is allowed
    assert dossiers(app, AN_KHANH) == [] and rows(app, AN_KHANH)[0]["state"] == "sent"


def test_a_third_unit_cannot_touch_the_transfer(app, units, person_id, today):
    start(units["cat_hai"], person_id, today)
    [out], [incoming] = rows(app, CAT_HAI), rows(app, AN_KHANH)
    third = units["third"]
    for transfer_id in (out["id"], incoming["id"]):
        assert third.get(f"/t/{THIRD}/transfers/{transfer_id}").status_code == 404
        assert third.post(f"/t/{THIRD}/transfers/{transfer_id}/accept").status_code == 404
        assert third.post(f"/t/{THIRD}/transfers/{transfer_id}/cancel").status_code == 404
        assert third.post(f"/t/{AN_KHANH}/transfers/{transfer_id}/accept").status_code == 404
    assert rows(app, AN_KHANH)[0]["state"] == "sent" and dossiers(app, THIRD) == []


def test_the_start_form_refuses_what_cannot_be(app, units, person_id, today):
    police = units["cat_hai"]
    for unit, day, address, message in [
        (CAT_HAI, today, NEW_ADDRESS, "Not a valid choice."),
        ("", today, NEW_ADDRESS, "Choose the unit."),
        (AN_KHANH, today + timedelta(days=1), NEW_ADDRESS, "Not in the future."),
        (AN_KHANH, today, "  ", "Enter the new address."),
    ]:
        response = start(police, person_id, day, unit, address)
        assert response.status_code == 422 and message in response.get_data(as_text=True), message
    assert rows(app, CAT_HAI) == rows(app, AN_KHANH) == []
    other = make_returnee(app, CAT_HAI, national_id="031090004444")  # still "expected"
    assert start(police, other, today).status_code == 409
    assert start(police, person_id, today).status_code == 303
    assert start(police, person_id, today).status_code == 409  # already transferring
    assert len(rows(app, AN_KHANH)) == 1


def test_a_refused_acceptance_changes_nothing_in_either_unit(app, units, person_id, today):
    start(units["cat_hai"], person_id, today)
    [incoming] = rows(app, AN_KHANH)
    make_returnee(app, AN_KHANH)  # the same personal ID, open in the receiving unit
    refused = units["an_khanh"].post(f"/t/{AN_KHANH}/transfers/{incoming['id']}/accept", headers=EN)
    assert refused.status_code == 303
    assert "already has this personal ID" in units["an_khanh"].get(refused.headers["Location"], headers=EN).get_data(
        as_text=True)
    assert rows(app, CAT_HAI)[0]["state"] == rows(app, AN_KHANH)[0]["state"] == "sent"
    assert dossiers(app, CAT_HAI)[0]["status"] == "transferring" and len(dossiers(app, AN_KHANH)) == 1


def test_a_sending_dossier_changed_meanwhile_is_not_closed_by_an_acceptance(app, units, person_id, today):
    start(units["cat_hai"], person_id, today)
    [incoming] = rows(app, AN_KHANH)
    close(app, CAT_HAI, person_id)  # closed by hand, on another ground, while the transfer was pending
    units["an_khanh"].post(f"/t/{AN_KHANH}/transfers/{incoming['id']}/accept")
    assert dossiers(app, AN_KHANH) == []
    assert rows(app, CAT_HAI)[0]["state"] == rows(app, AN_KHANH)[0]["state"] == "sent"  # the claim rolled back
    assert dossiers(app, CAT_HAI)[0]["closure_ground"] == "dead"
    [out] = rows(app, CAT_HAI)  # the sender can still call the transfer off; the closure stands
    assert units["cat_hai"].post(f"/t/{CAT_HAI}/transfers/{out['id']}/cancel").status_code == 303
    assert rows(app, CAT_HAI)[0]["state"] == rows(app, AN_KHANH)[0]["state"] == "cancelled"
    assert dossiers(app, CAT_HAI)[0]["status"] == "closed"


def test_the_dossier_partial_context_and_the_list_cost_constant_queries(app, units, person_id, today, count_queries):
    start(units["cat_hai"], person_id, today)
    with app.test_request_context(), use_tenant(tenant(CAT_HAI)):
        g.role = "commune_police"
        returnee = db.session.get(Returnee, person_id)
        context = transfer_context(returnee)
    assert context["pending"][1].slug == AN_KHANH and context["can_cancel"] and not context["can_start"]
    with app.app_context():
        assert context["due"] == due_date("transfer_takeover", today)
    page = units["cat_hai"].get(f"/t/{CAT_HAI}/returnees/{person_id}", headers=EN).get_data(as_text=True)
    assert "Moving to Xã An Khánh" in page and "Cancel the transfer" in page
    with count_queries() as one:
        assert units["an_khanh"].get(f"/t/{AN_KHANH}/transfers").status_code == 200
    for national_id in ("031090002001", "031090002002"):
        rid = make_returnee(app, CAT_HAI, national_id=national_id)
        under_management(app, CAT_HAI, rid)
        start(units["cat_hai"], rid, today)
    with count_queries() as three:
        assert units["an_khanh"].get(f"/t/{AN_KHANH}/transfers").status_code == 200
    assert len(one) == len(three) <= 6


@pytest.mark.postgres
def test_row_level_security_stays_on_through_a_transfer(app, units, person_id, today):
    start(units["cat_hai"], person_id, today)
    [incoming] = rows(app, AN_KHANH)
    units["an_khanh"].post(f"/t/{AN_KHANH}/transfers/{incoming['id']}/accept")
    with app.app_context():
        forced = db.session.execute(text(
            "SELECT bool_and(relrowsecurity AND relforcerowsecurity) FROM pg_class "
            "WHERE relname IN ('transfers', 'returnees', 'status_events', 'convictions')")).scalar()
        assert forced is True
        assert db.session.execute(text("SELECT count(*) FROM transfers")).scalar() == 0  # no unit: nothing
        for slug in (CAT_HAI, AN_KHANH):
            with use_tenant(tenant(slug)):
                seen = db.session.execute(text("SELECT DISTINCT tenant_id FROM transfers")).scalars().all()
                assert seen == [tenant(slug).id]
                owners = db.session.execute(text("SELECT DISTINCT tenant_id FROM status_events")).scalars().all()
                assert owners == [tenant(slug).id]
            db.session.rollback()
        with use_tenant(tenant(THIRD)):
            assert db.session.execute(text("SELECT count(*) FROM returnees")).scalar() == 0
        assert db.session.scalar(select(StatusEvent.id)) is None
