"""The dossier's lifecycle through the UI, from the prison's notice to closure, with the expected due
dates it shows across Tết 2026 (Mon 16 – Fri 20/02/2026) and weekends; refusals; a closed dossier
is read-only; the daily overdue sweep (service and command)."""

import re
from datetime import date

import pytest
from sqlalchemy import select

from blueprints.returnees import services
from blueprints.returnees.cli import returnees_cli
from blueprints.returnees.models import Conviction, Returnee, StatusEvent
from portal.audit import AuditEvent
from portal.extensions import db
from tenants.context import use_tenant
from tests.conftest import tenant
from tests.test_returnees import add, form_data, read, text

CAT_HAI, AN_KHANH = "dac_khu_cat_hai", "xa_an_khanh"
URL = "/t/dac_khu_cat_hai/returnees"


@pytest.fixture
def police(login):
    return login("commune_police", CAT_HAI, locale="en")


def due(page: str, key: str) -> tuple[str, str]:
    """(due date, done on) of one row of the dossier's due dates."""
    row = due_row(page, key)
    found = re.search(r'<span class="due">([^<]+)</span>', row)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    return found.group(1) if found else "", cells[-1].strip()


def due_row(page: str, key: str) -> str:
    row = re.search(rf'<tr id="due-{key}">(.*?)</tr>', page, re.S)
    assert row, f"no due date {key}"
    return row.group(1)


def late(page: str, key: str) -> bool:
    return ">overdue</strong>" in due_row(page, key)


def create(police, **overrides) -> int:
    response = police.post(f"{URL}/new", data=form_data(**overrides))
    assert response.status_code == 303, text(response)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def move(police, rid: int, to: str, expect: int = 303, **fields):
    """Open the transition form (as the dossier's button does) and send it with `fields`."""
    form = police.get(f"{URL}/{rid}/transition/{to}")
    assert form.status_code == 200, text(form)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', text(form)).group(1)
    response = police.post(f"{URL}/{rid}/transition/{to}", data={"version": version, **fields})
    assert response.status_code == expect, text(response)
    return response


def test_from_the_notice_to_closure_across_tet_2026(app, police):
    rid = create(police, initial_status="expected", release_kind="special_pardon", release_date=None,
                 reporting_deadline=None, notice_received_on="2026-02-13", expected_release_date="2026-03-02",
                 pardon_decision="1244/QĐ-CTN")
    page = text(police.get(f"{URL}/{rid}"))
    # Notice on Friday 13/02: Tết closes 16–20/02, then Mon 23, Tue 24, Wed 25.
    assert due(page, "residence_check") == ("25/02/2026", "—")
    assert late(page, "residence_check")  # today is after 25/02/2026 and no check is recorded
    assert "(expected)" in page
    assert f"{URL}/{rid}/transition/released_not_reported" in page and f"{URL}/{rid}/transition/received" in page

    move(police, rid, "released_not_reported", release_date="2026-03-02", reporting_deadline="2026-03-12")
    page = text(police.get(f"{URL}/{rid}"))
    assert due(page, "reporting_deadline") == ("12/03/2026", "—")  # as printed, never computed
    assert not late(page, "residence_check")  # released: that step is behind the dossier

    # Presented on Friday 06/03: the weekend is skipped. Proposal Mon 9, Tue 10, Wed 11; dossier by Fri 13.
    move(police, rid, "received", reported_on="2026-03-06", work_session_minutes="Biên bản số 3",
         commitment_signed="y")
    page = text(police.get(f"{URL}/{rid}"))
    assert due(page, "assignment_proposal")[0] == "11/03/2026"
    assert due(page, "dossier_open") == ("13/03/2026", "—")
    assert due(page, "reporting_deadline") == ("12/03/2026", "06/03/2026")

    move(police, rid, "under_management", group="B", dossier_opened_on="2026-03-12")
    page = text(police.get(f"{URL}/{rid}"))
    assert due(page, "dossier_open") == ("13/03/2026", "12/03/2026")
    assert not any(late(page, key) for key in ("reporting_deadline", "assignment_proposal", "dossier_open"))

    move(police, rid, "in_custody", on="2026-06-01")
    assert read(app, CAT_HAI, Returnee)[0].group == "D"
    back = police.get(f"{URL}/{rid}/transition/under_management")
    assert 'value="2026-03-12"' in text(back)  # the dossier's opening date is offered again
    move(police, rid, "under_management", group="C", dossier_opened_on="2026-03-12")

    move(police, rid, "closed", closure_ground="expunged", closure_decision_number="15/QĐ-UBND",
         closure_decision_date="2026-11-20")
    (returnee,) = read(app, CAT_HAI, Returnee)
    assert (returnee.status, returnee.closed_on, returnee.closure_ground) == ("closed", date(2026, 11, 20), "expunged")
    assert returnee.managed_since == date(2026, 3, 12)
    events = [(e.from_status, e.to_status, e.on, e.actor_id) for e in read(app, CAT_HAI, StatusEvent)]
    assert events == [
        (None, "expected", date(2026, 2, 13), police.user_id),
        ("expected", "released_not_reported", date(2026, 3, 2), police.user_id),
        ("released_not_reported", "received", date(2026, 3, 6), police.user_id),
        ("received", "under_management", date(2026, 3, 12), police.user_id),
        ("under_management", "in_custody", date(2026, 6, 1), police.user_id),
        ("in_custody", "under_management", date(2026, 3, 12), police.user_id),
        ("under_management", "closed", date(2026, 11, 20), police.user_id),
    ]
    actions = [e.action for e in read(app, CAT_HAI, AuditEvent) if e.action != "returnee.read"]
    assert actions.count("returnee.transition") == 7 and actions.count("returnee.create") == 1


def test_presented_just_before_tet(app, police):
    rid = create(police, initial_status="received", reported_on="2026-02-12", work_session_minutes="Biên bản",
                 commitment_signed="y")
    page = text(police.get(f"{URL}/{rid}"))
    # Thu 12/02: Fri 13, then Tết; Mon 23, Tue 24 (3 working days) … Wed 25, Thu 26 (5).
    assert due(page, "assignment_proposal")[0] == "24/02/2026"
    assert due(page, "dossier_open")[0] == "26/02/2026"
    assert late(page, "dossier_open")  # still "received" long after


def test_a_notice_on_a_friday_skips_the_weekend(app, police):
    rid = create(police, initial_status="expected", release_date=None, reporting_deadline=None,
                 notice_received_on="2026-03-06")
    assert due(text(police.get(f"{URL}/{rid}")), "residence_check")[0] == "11/03/2026"


def closed_dossier(app) -> tuple[int, int]:
    rid = add(app, status="closed", closure_ground="dead", closed_on=date(2026, 5, 1),
              closure_decision_number="3/QĐ", closure_decision_date=date(2026, 5, 1))
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        conviction = Conviction(returnee_id=rid, judgment_date=date(2020, 1, 1), penalty_kind="non_custodial")
        db.session.add(conviction)
        db.session.commit()
        return rid, conviction.id


def test_a_closed_dossier_is_read_only(app, police):
    rid, cid = closed_dossier(app)
    page = text(police.get(f"{URL}/{rid}"))
    assert "The dossier is read-only." in page
    assert f"{URL}/{rid}/edit" not in page and "/transition/" not in page and "/convictions/" not in page
    for method, url in [
        ("GET", f"{URL}/{rid}/edit"), ("POST", f"{URL}/{rid}/edit"),
        ("GET", f"{URL}/{rid}/transition/under_management"), ("POST", f"{URL}/{rid}/transition/closed"),
        ("GET", f"{URL}/{rid}/convictions/new"), ("POST", f"{URL}/{rid}/convictions/new"),
        ("GET", f"{URL}/{rid}/convictions/{cid}/edit"), ("POST", f"{URL}/{rid}/convictions/{cid}/delete"),
    ]:
        response = police.open(url, method=method, data=form_data())
        assert response.status_code == 409, (method, url)
        assert "closed: it is read-only" in text(response)
    (kept,) = read(app, CAT_HAI, Returnee)
    assert kept.version == 1 and len(read(app, CAT_HAI, Conviction)) == 1
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        returnee = db.session.scalar(select(Returnee))
        with pytest.raises(services.DossierClosedError):
            services.update_returnee(returnee, {"phone": "1"})


def test_a_transition_is_refused_with_its_missing_facts(app, police):
    rid = add(app)
    response = move(police, rid, "received", expect=422, work_session_minutes="Biên bản")
    page = text(response)
    assert page.count("Required for this status.") == 2  # the date and the signed commitment
    assert re.search(r'id="reported_on".*?Required for this status\.', page, re.S)
    assert "Biên bản" in page  # what was typed stays
    response = move(police, rid, "closed", expect=422, closure_ground="nonsense", closure_decision_number="1")
    assert "Not a valid choice" in text(response)
    assert read(app, CAT_HAI, Returnee)[0].status == "released_not_reported"
    assert len(read(app, CAT_HAI, StatusEvent)) == 0


def test_transitions_the_lifecycle_does_not_allow(app, police):
    rid = add(app)
    response = police.get(f"{URL}/{rid}/transition/under_management")
    assert response.status_code == 409 and "not allowed from the current status" in text(response)
    assert police.post(f"{URL}/{rid}/transition/under_management", data={"group": "A"}).status_code == 409
    assert police.get(f"{URL}/{rid}/transition/bogus").status_code == 404
    # Moving to another unit goes through the transfer's own form, with the receiving unit.
    assert police.get(f"{URL}/{rid}/transition/transferring").status_code == 404
    assert read(app, CAT_HAI, Returnee)[0].status == "released_not_reported"


def test_a_transition_from_a_stale_page_is_refused(app, police, login):
    rid = add(app)
    first = police.get(f"{URL}/{rid}/transition/overdue")
    version = re.search(r'name="version" type="hidden" value="(\d+)"', text(first)).group(1)
    other = login("commune_police", CAT_HAI, locale="en")
    move(other, rid, "overdue", overdue_state="verifying", on="2026-03-13")
    response = police.post(f"{URL}/{rid}/transition/overdue",
                           data={"version": version, "overdue_state": "not_returned", "on": "2026-03-14"})
    assert response.status_code == 409 and "Someone else saved this dossier" in text(response)
    assert read(app, CAT_HAI, Returnee)[0].overdue_state == "verifying"
    # The follow-up of a missed deadline moves on, then the person comes.
    move(police, rid, "overdue", overdue_state="reported_up", on="2026-03-20")
    move(police, rid, "received", reported_on="2026-03-23", work_session_minutes="x", commitment_signed="y")
    (returnee,) = read(app, CAT_HAI, Returnee)
    assert (returnee.status, returnee.overdue_state) == ("received", None)


def test_a_dossier_moving_to_another_unit_follows_its_transfer(app, police):
    rid = add(app, status="transferring", group="A", managed_since=date(2026, 3, 12))
    page = text(police.get(f"{URL}/{rid}"))
    assert "/transition/" not in page
    for to in ("under_management", "closed"):
        response = police.get(f"{URL}/{rid}/transition/{to}")
        assert response.status_code == 409 and "its status follows the transfer" in text(response)
    assert police.post(f"{URL}/{rid}/transition/closed", data={"closure_ground": "moved_residence"}).status_code == 409
    assert read(app, CAT_HAI, Returnee)[0].status == "transferring"


@pytest.mark.parametrize("role", ["mttq_member", "commune_leader"])
def test_readers_cannot_change_a_status(app, login, role):
    rid = add(app)
    client = login(role, CAT_HAI, locale="en")
    assert client.get(f"{URL}/{rid}/transition/received").status_code == 403
    response = client.post(f"{URL}/{rid}/transition/received",
                           data={"version": "1", "reported_on": "2026-03-06", "work_session_minutes": "x",
                                 "commitment_signed": "y"})
    assert response.status_code == 403
    assert read(app, CAT_HAI, Returnee)[0].status == "released_not_reported"


# --- The daily sweep -------------------------------------------------------------------------------


def test_mark_overdue_moves_past_deadlines_once(app):
    late = add(app, reporting_deadline=date(2026, 3, 12))
    add(app, reporting_deadline=date(2026, 3, 13), full_name="On time")
    add(app, status="expected", reporting_deadline=None, release_date=None, notice_received_on=date(2026, 3, 1))
    other_unit = add(app, AN_KHANH, reporting_deadline=date(2026, 3, 1))
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        assert services.mark_overdue(date(2026, 3, 13)) == 1
        db.session.commit()
        assert services.mark_overdue(date(2026, 3, 13)) == 0  # idempotent
        db.session.commit()
    statuses = {r.id: (r.status, r.overdue_state) for r in read(app, CAT_HAI, Returnee)}
    assert statuses[late] == ("overdue", "verifying")
    assert sorted(s for s, _ in statuses.values()) == ["expected", "overdue", "released_not_reported"]
    (event,) = read(app, CAT_HAI, StatusEvent)
    assert (event.returnee_id, event.on, event.actor_id, event.facts) == (
        late, date(2026, 3, 13), None, {"overdue_state": "verifying"})
    (audit,) = read(app, CAT_HAI, AuditEvent)
    assert (audit.action, audit.object_id, audit.user_id) == ("returnee.transition", str(late), None)
    assert read(app, AN_KHANH, Returnee)[0].status == "released_not_reported"
    assert other_unit


def test_the_command_sweeps_every_unit(app):
    add(app, reporting_deadline=date(2026, 3, 10))
    add(app, AN_KHANH, reporting_deadline=date(2026, 3, 1))
    add(app, AN_KHANH, reporting_deadline=date(2026, 3, 2), full_name="Another")
    runner = app.test_cli_runner()
    result = runner.invoke(returnees_cli, ["mark-overdue", "--today", "2026-03-13"])
    assert result.exit_code == 0, result.output
    assert "3 dossier(s) marked overdue" in result.output
    assert "xa_an_khanh: 2" in result.output and "dac_khu_cat_hai: 1" in result.output
    assert {r.status for r in read(app, CAT_HAI, Returnee) + read(app, AN_KHANH, Returnee)} == {"overdue"}
    again = runner.invoke(returnees_cli, ["mark-overdue", "--today", "2026-03-13"])
    assert again.exit_code == 0 and "0 dossier(s)" in again.output
