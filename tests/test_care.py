"""The help around each person: assignment, support teams, contacts, quarterly reviews, support actions
and loans, incidents; with isolation between units (real ids), reader roles, closed dossiers and the
query count of the dossier's care section."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from blueprints.returnees import care_queries, care_services, loan_rules
from blueprints.returnees.care import (
    Assignment,
    Contact,
    Incident,
    QuarterlyReview,
    SupportAction,
    SupportTeam,
    TeamMember,
    TeamReturnee,
)
from blueprints.returnees.care_forms import parse_vnd
from blueprints.returnees.community import Employer
from blueprints.returnees.deadlines import previous_quarter, quarter_of
from blueprints.returnees.models import Returnee, StatusEvent
from portal.audit import AuditEvent
from portal.extensions import db
from portal.search import fold
from tenants.context import use_tenant
from tests.conftest import tenant

CAT_HAI, AN_KHANH = "dac_khu_cat_hai", "xa_an_khanh"
TODAY = care_queries.today()
CARE_ROWS = (Assignment, Contact, QuarterlyReview, SupportAction, Incident, TeamReturnee)


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def add(app, unit, *rows):
    """Insert rows in `unit` and return their ids."""
    with app.app_context(), use_tenant(tenant(unit)):
        db.session.add_all(rows)
        db.session.commit()
        ids = [row.id for row in rows]
        db.session.remove()
    return ids[0] if len(ids) == 1 else ids


def person(app, unit=CAT_HAI, **fields) -> int:
    name = fields.pop("full_name", "Nguyễn Văn Thử")
    values = {
        "sex": "male", "date_of_birth": date(1990, 5, 1), "release_kind": "completed_sentence",
        "status": "under_management", "group": "B", "managed_since": TODAY - timedelta(days=200),
        "release_date": TODAY - timedelta(days=400), "reported_on": TODAY - timedelta(days=390),
        "hamlet": "Thôn 1",
    }
    values.update(fields)
    return add(app, unit, Returnee(full_name=name, search_name=fold(name), **values))


def count(app, unit, model, *where):
    with app.app_context(), use_tenant(tenant(unit)):
        number = db.session.scalar(select(func.count()).select_from(model).where(*where))
        db.session.remove()
    return number


def load(app, unit, model, row_id):
    with app.app_context(), use_tenant(tenant(unit)):
        row = db.session.scalar(select(model).where(model.id == row_id))
        db.session.expunge_all()
        db.session.remove()
    return row


def url(unit, path):
    return f"/t/{unit}{path}"


def iso(day: date) -> str:
    return day.isoformat()


@pytest.fixture
def login(login):
    """These tests read the messages in English: their clients ask for English (Vietnamese is the
    default and has its own catalogue test)."""

    def make(*args, **kwargs):
        client = login(*args, **kwargs)
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


@pytest.fixture
def police(login):
    return login("commune_police", CAT_HAI)


def team_with_members(app, kinds=("police", "mass_organisation", "village_cadre", "family"), unit=CAT_HAI,
                      name="Tổ giúp đỡ thôn 1"):
    team_id = add(app, unit, SupportTeam(name=name))
    ids = add(app, unit, *[
        TeamMember(team_id=team_id, full_name=f"Thành viên {kind}", kind=kind, is_leader=(i == 0))
        for i, kind in enumerate(kinds)
    ])
    return team_id, ids if isinstance(ids, list) else [ids]


# --- Assignment ------------------------------------------------------------------------------------


def test_assignment_create_decide_and_replace_keeps_history(app, police):
    rid = person(app)
    base = url(CAT_HAI, f"/returnees/{rid}/assignments")
    first = {"organisation": "Hội Phụ nữ thôn 1", "person_name": "Trần Thị Hoa", "proposed_on": iso(TODAY)}
    assert police.post(base, data=first).status_code == 303
    [a1] = _assignments(app, rid)
    assert a1.active and a1.decision_number is None
    response = police.post(f"{base}/{a1.id}/decision", data={"decision_number": "12/QĐ-UBND",
                                                             "decision_date": TODAY.strftime("%d/%m/%Y")})
    assert response.status_code == 303
    assert load(app, CAT_HAI, Assignment, a1.id).decision_number == "12/QĐ-UBND"

    second = {"organisation": "Đoàn Thanh niên", "person_name": "Lê Văn Nam", "decision_number": "15/QĐ-UBND",
              "decision_date": iso(TODAY)}
    assert police.post(base, data=second).status_code == 303
    rows = _assignments(app, rid)
    assert [(a.person_name, a.active) for a in rows] == [("Trần Thị Hoa", False), ("Lê Văn Nam", True)]
    assert rows[0].ended_on == TODAY
    page = police.get(base).get_data(as_text=True)
    assert "Trần Thị Hoa" in page and "Lê Văn Nam" in page
    assert _audited(app, "assignment.end") == 1 and _audited(app, "assignment.create") == 2


def test_assignment_form_errors_keep_input(app, police):
    rid = person(app)
    data = {"organisation": "", "person_name": "Người Gõ Dở", "decision_number": "9/QĐ"}
    response = police.post(url(CAT_HAI, f"/returnees/{rid}/assignments"), data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Người Gõ Dở" in page and 'aria-invalid="true"' in page
    assert count(app, CAT_HAI, Assignment) == 0


def test_only_one_active_assignment_even_in_a_race(app, police, monkeypatch):
    rid = person(app)
    add(app, CAT_HAI, Assignment(returnee_id=rid, organisation="A", person_name="Một", active=True))
    # The database refuses a second active row by itself …
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        db.session.add(Assignment(returnee_id=rid, organisation="B", person_name="Hai", active=True))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        db.session.remove()
    # … and a request that loses the race (its read saw no active row) gets a message, not a 500.
    monkeypatch.setattr(care_services, "end_active_assignment", lambda returnee, on: [])
    response = police.post(url(CAT_HAI, f"/returnees/{rid}/assignments"),
                           data={"organisation": "B", "person_name": "Người Thứ Hai"})
    assert response.status_code == 409
    assert "at the same moment" in response.get_data(as_text=True)
    assert count(app, CAT_HAI, Assignment, Assignment.active.is_(True)) == 1


def _assignments(app, rid):
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        rows = db.session.scalars(select(Assignment).where(Assignment.returnee_id == rid).order_by(Assignment.id)).all()
        db.session.expunge_all()
        db.session.remove()
    return rows


def _audited(app, action, reason=None):
    with app.app_context():
        query = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        if reason is not None:
            query = query.where(AuditEvent.reason == reason)
        number = db.session.scalar(query)
        db.session.remove()
    return number


# --- Support teams ---------------------------------------------------------------------------------


def test_team_create_members_missing_kinds_and_one_leader(app, police):
    response = police.post(url(CAT_HAI, "/teams"), data={"name": "Tổ giúp đỡ thôn Hoàng Châu", "hamlet": "Hoàng Châu"})
    assert response.status_code == 303
    team_url = response.headers["Location"]
    page = police.get(team_url).get_data(as_text=True)
    assert "The team is incomplete" in page and "Family representative" in page

    members = url(CAT_HAI, team_url.split("/t/dac_khu_cat_hai")[1] + "/members")
    for name, kind, leader in (("Công an A", "police", "y"), ("Hội viên B", "mass_organisation", ""),
                               ("Trưởng thôn C", "village_cadre", "y")):
        data = {"full_name": name, "kind": kind, **({"is_leader": leader} if leader else {})}
        assert police.post(members, data=data).status_code == 303
    page = police.get(team_url).get_data(as_text=True)
    assert "The team is incomplete" in page
    missing = page.split("Missing:")[1].split("</p>")[0]
    assert "Family representative" in missing and "Police officer" not in missing
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        leaders = db.session.scalars(select(TeamMember.full_name).where(TeamMember.is_leader.is_(True))).all()
        db.session.remove()
    assert leaders == ["Trưởng thôn C"]  # naming C stepped A down

    assert police.post(members, data={"full_name": "Mẹ D", "kind": "family"}).status_code == 303
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        ids = dict(db.session.execute(select(TeamMember.full_name, TeamMember.id)).all())
        db.session.remove()
    assert "The team is incomplete" not in police.get(team_url).get_data(as_text=True)

    leader = ids["Trưởng thôn C"]
    prefix = f"m{leader}-"
    response = police.post(f"{members}/{leader}",
                           data={prefix + "full_name": "Trưởng thôn C", prefix + "kind": "village_cadre"})
    assert response.status_code == 422 and "make another member the leader" in response.get_data(as_text=True)
    assert police.post(f"{members}/{leader}/deactivate").status_code == 409
    assert police.post(f"{members}/{ids['Mẹ D']}/deactivate").status_code == 303
    page = police.get(team_url).get_data(as_text=True)
    assert "The team is incomplete" in page
    assert "Family representative" in page.split("Missing:")[1].split("</p>")[0]
    teams_page = police.get(url(CAT_HAI, "/teams")).get_data(as_text=True)
    assert "Tổ giúp đỡ thôn Hoàng Châu" in teams_page and "Trưởng thôn C" in teams_page


def test_team_links_people_since_a_date(app, police):
    rid, other = person(app), person(app, full_name="Phạm Văn Hai")
    team_id, _ = team_with_members(app)
    links = url(CAT_HAI, f"/teams/{team_id}/returnees")
    since = TODAY - timedelta(days=30)
    assert police.post(links, data={"returnee": rid, "since": iso(since)}).status_code == 303
    assert police.post(links, data={"returnee": other, "since": iso(since)}).status_code == 303
    again = police.post(links, data={"returnee": rid, "since": iso(TODAY)})
    assert again.status_code == 422 and "already helps" in again.get_data(as_text=True)
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        context = care_queries.care_context(db.session.scalar(select(Returnee).where(Returnee.id == rid)), TODAY)
        link_id = db.session.scalar(select(TeamReturnee.id).where(TeamReturnee.returnee_id == rid))
        db.session.remove()
    [view] = context["teams"]
    assert view.since == since and view.missing == [] and view.leader.kind == "police"

    end = url(CAT_HAI, f"/teams/{team_id}/returnees/{link_id}/end")
    assert police.post(end, data={"until": iso(since - timedelta(days=1))}).status_code == 422
    assert police.post(end, data={"until": iso(TODAY)}).status_code == 303
    assert police.post(end, data={"until": iso(TODAY)}).status_code == 409
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        returnee = db.session.scalar(select(Returnee).where(Returnee.id == rid))
        assert care_queries.care_context(returnee, TODAY + timedelta(days=1))["teams"] == []
        db.session.remove()


# --- Contacts --------------------------------------------------------------------------------------


def test_contact_with_a_team_member_or_free_text_and_validation(app, police):
    rid = person(app)
    team_id, member_ids = team_with_members(app)
    add(app, CAT_HAI, TeamReturnee(team_id=team_id, returnee_id=rid, since=TODAY - timedelta(days=60)))
    base = url(CAT_HAI, f"/returnees/{rid}/contacts")
    data = {"on": iso(TODAY), "member": member_ids[0], "method": "visit", "content": "Thăm tại nhà",
            "state_of_mind": "Ổn định", "risk_signals": "", "next_step": "Giới thiệu việc làm"}
    assert police.post(base, data=data).status_code == 303
    free = {**data, "member": "", "contact_person": "Bà Tư (hàng xóm)", "method": "phone"}
    assert police.post(base, data=free).status_code == 303
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        rows = db.session.scalars(select(Contact).order_by(Contact.id)).all()
        assert [(c.contact_person, c.member_id) for c in rows] == [
            ("Thành viên police", member_ids[0]), ("Bà Tư (hàng xóm)", None)]
        db.session.remove()
    page = police.get(base).get_data(as_text=True)
    assert "Bà Tư (hàng xóm)" in page and "Thăm tại nhà" in page

    future = police.post(base, data={**data, "on": iso(TODAY + timedelta(days=1))})
    assert future.status_code == 422 and "in the future" in future.get_data(as_text=True)
    nobody = police.post(base, data={**data, "member": "", "contact_person": "", "content": "Nội dung giữ lại"})
    assert nobody.status_code == 422
    assert "Choose a team member" in nobody.get_data(as_text=True)
    assert "Nội dung giữ lại" in nobody.get_data(as_text=True)
    # A member of a team that does not help this person is not a valid choice.
    other_team, other_members = team_with_members(app)
    stranger = police.post(base, data={**data, "member": other_members[0]})
    assert stranger.status_code == 422
    assert count(app, CAT_HAI, Contact) == 2


@pytest.mark.parametrize(("days", "overdue"), [(7, False), (8, True)])
def test_contact_overdue_after_more_than_seven_days(app, days, overdue):
    last = TODAY - timedelta(days=days)
    rid = person(app, managed_since=TODAY - timedelta(days=100))
    add(app, CAT_HAI, Contact(returnee_id=rid, on=last, contact_person="X", method="visit", content="."))
    fresh = person(app, full_name="Mới Quản Lý", managed_since=TODAY - timedelta(days=days))  # no contact yet
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        returnee = db.session.scalar(select(Returnee).where(Returnee.id == rid))
        context = care_queries.care_context(returnee, TODAY)
        assert context["contact_overdue"] is overdue
        assert context["last_contact_on"] == last and context["contact_due_on"] == last + timedelta(days=7)
        listed = {row.returnee_id: row for row in care_queries.overdue_contacts(TODAY)}
        db.session.remove()
    assert (rid in listed) is overdue and (fresh in listed) is overdue
    if overdue:
        assert listed[rid].days_without == 8 and listed[rid].last_contact == last
        assert listed[fresh].last_contact is None


# --- Quarterly reviews -----------------------------------------------------------------------------


def test_review_updates_group_refuses_duplicates_and_keeps_history(app, police):
    rid = person(app, group="B", managed_since=date(TODAY.year - 1, 1, 1))
    year, quarter = previous_quarter(TODAY.year, quarter_of(TODAY))
    base = url(CAT_HAI, f"/returnees/{rid}/reviews")
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        assert rid in [r.returnee_id for r in care_queries.reviews_due(TODAY)]
        db.session.remove()
    data = {"year": year, "quarter": quarter, "group": "C", "reason": "Chưa có việc làm, giao du xấu",
            "report_received_on": iso(TODAY), "progress": "", "proposals": "Giới thiệu học nghề"}
    assert police.post(base, data=data).status_code == 303
    assert load(app, CAT_HAI, Returnee, rid).group == "C"
    assert _audited(app, "returnee.group_change", "B->C") == 1
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        assert rid not in [r.returnee_id for r in care_queries.reviews_due(TODAY)]
        db.session.remove()

    duplicate = police.post(base, data={**data, "group": "A"})
    assert duplicate.status_code == 422
    assert f"quarter {quarter}/{year} is already recorded" in duplicate.get_data(as_text=True)
    older_year, older_quarter = previous_quarter(year, quarter)
    older = {**data, "year": older_year, "quarter": older_quarter, "group": "A", "reason": "Quý trước tốt"}
    assert police.post(base, data=older).status_code == 303
    assert load(app, CAT_HAI, Returnee, rid).group == "C"  # an older quarter does not change the group
    assert count(app, CAT_HAI, QuarterlyReview) == 2
    page = police.get(base).get_data(as_text=True)
    assert page.index(f"{quarter}/{year}") < page.index(f"{older_quarter}/{older_year}")

    no_reason = police.post(base, data={**data, "year": older_year - 1, "reason": ""})
    assert no_reason.status_code == 422
    future = police.post(base, data={**data, "year": TODAY.year + 1, "quarter": 1})
    assert future.status_code == 422 and "has not started yet" in future.get_data(as_text=True)


# --- Support actions and loans ---------------------------------------------------------------------


def _loan(purpose, amount, started_on=TODAY, months=""):
    return {"kind": "loan", "status": "proposed", "loan_purpose": purpose, "loan_status": "preparing",
            "amount": amount, "months": months, "started_on": iso(started_on), "note": "Vay VBSP"}


def test_money_is_read_with_or_without_dots():
    assert parse_vnd("1.500.000") == parse_vnd("1500000") == parse_vnd("1 500 000 ₫") == 1_500_000
    assert parse_vnd("1,500,000") == 1_500_000
    for bad in ("1.5", "1,5", "abc", "1.500,000", "-5"):
        with pytest.raises(ValueError):
            parse_vnd(bad)


def test_business_loan_cap_per_person(app, police):
    rid = person(app)
    base = url(CAT_HAI, f"/returnees/{rid}/support")
    over = police.post(base, data=_loan("business", "100000001"))
    assert over.status_code == 422 and "100.000.000 ₫" in over.get_data(as_text=True)
    assert 'value="100000001"' in over.get_data(as_text=True)  # what was typed is kept
    assert police.post(base, data=_loan("business", "100.000.000")).status_code == 303
    assert load(app, CAT_HAI, SupportAction, 1).amount_vnd == 100_000_000
    # The cap is per person: a second business loan may not take the total over it.
    second = police.post(base, data=_loan("business", "1"))
    assert second.status_code == 422 and "already recorded" in second.get_data(as_text=True)
    assert count(app, CAT_HAI, SupportAction) == 1


def test_training_loan_cap_per_month(app, police):
    rid = person(app)
    base = url(CAT_HAI, f"/returnees/{rid}/support")
    no_months = police.post(base, data=_loan("training", "4.000.000"))
    assert no_months.status_code == 422 and "how many months" in no_months.get_data(as_text=True)
    assert police.post(base, data=_loan("training", "12.000.001", months=3)).status_code == 422
    assert police.post(base, data=_loan("training", "12.000.000", months=3)).status_code == 303
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        [row] = care_queries.support_rows(rid)
        db.session.remove()
    assert (row.action.amount_vnd, row.months, row.note) == (12_000_000, 3, "Vay VBSP")
    page = police.get(base).get_data(as_text=True)
    assert "12.000.000 ₫" in page and "[months=" not in page


def test_loan_within_five_years_of_the_end_of_the_sentence(app, police):
    on_time = person(app, release_date=years_before(TODAY, 5))
    late = person(app, release_date=years_before(TODAY, 5) - timedelta(days=1))
    assert loan_rules.window_end(years_before(TODAY, 5), TODAY) == TODAY
    ok = police.post(url(CAT_HAI, f"/returnees/{on_time}/support"), data=_loan("business", "50.000.000"))
    assert ok.status_code == 303
    refused = police.post(url(CAT_HAI, f"/returnees/{late}/support"), data=_loan("business", "50.000.000"))
    assert refused.status_code == 422
    assert "within 5 years" in refused.get_data(as_text=True)
    unknown = person(app, release_date=None)
    response = police.post(url(CAT_HAI, f"/returnees/{unknown}/support"), data=_loan("business", "1.000.000"))
    assert response.status_code == 422 and "release date" in response.get_data(as_text=True)
    assert count(app, CAT_HAI, SupportAction) == 1


def test_job_placement_with_an_employer_of_the_unit_and_edit(app, police):
    rid = person(app)
    employer = add(app, CAT_HAI, Employer(name="Công ty Thủy sản Cát Hải"))
    foreign = add(app, AN_KHANH, Employer(name="Xưởng May An Khánh"))
    base = url(CAT_HAI, f"/returnees/{rid}/support")
    data = {"kind": "job_placement", "status": "in_progress", "employer": employer, "started_on": iso(TODAY)}
    assert police.post(base, data={**data, "employer": foreign}).status_code == 422
    assert police.post(base, data=data).status_code == 303
    page = police.get(base).get_data(as_text=True)
    assert "Công ty Thủy sản Cát Hải" in page and "Xưởng May An Khánh" not in page
    action_id = load(app, CAT_HAI, SupportAction, 1).id
    edit = f"{base}/{action_id}"
    assert police.get(edit).status_code == 200
    done = {**data, "status": "done", "completed_on": iso(TODAY), "note": "Ký hợp đồng 12 tháng"}
    assert police.post(edit, data=done).status_code == 303
    assert load(app, CAT_HAI, SupportAction, action_id).status == "done"
    backwards = police.post(edit, data={**done, "completed_on": iso(TODAY - timedelta(days=3))})
    assert backwards.status_code == 422


# --- Incidents -------------------------------------------------------------------------------------


def test_custody_incident_moves_the_person_to_custody(app, police):
    rid = person(app, group="B")
    base = url(CAT_HAI, f"/returnees/{rid}/incidents")
    data = {"kind": "custody_period", "on": iso(TODAY - timedelta(days=2)), "description": "Tạm giữ hành chính",
            "decision": "05/QĐ-TG", "move_to_custody": "y"}
    bad = police.post(base, data={**data, "until": iso(TODAY - timedelta(days=5))})
    assert bad.status_code == 422
    assert police.post(base, data=data).status_code == 303
    returnee = load(app, CAT_HAI, Returnee, rid)
    assert (returnee.status, returnee.group) == ("in_custody", "D")
    assert count(app, CAT_HAI, StatusEvent, StatusEvent.to_status == "in_custody") == 1
    # Already in custody: the move is no longer offered, and asking for it is refused.
    again = police.post(base, data=data)
    assert again.status_code == 422 and count(app, CAT_HAI, Incident) == 1
    violation = {"kind": "administrative_violation", "on": iso(TODAY), "description": "Gây rối trật tự",
                 "move_to_custody": "y"}
    other = person(app, full_name="Đỗ Văn Ba")
    assert police.post(url(CAT_HAI, f"/returnees/{other}/incidents"), data=violation).status_code == 303
    assert load(app, CAT_HAI, Returnee, other).status == "under_management"


# --- Closed dossiers, children ---------------------------------------------------------------------


def test_a_closed_dossier_refuses_every_care_write(app, police):
    rid = person(app, status="closed", closure_ground="dead")
    assignment = add(app, CAT_HAI, Assignment(returnee_id=rid, organisation="A", person_name="B", active=True))
    action = add(app, CAT_HAI, SupportAction(returnee_id=rid, kind="counselling", status="proposed"))
    team_id, member_ids = team_with_members(app)
    link = add(app, CAT_HAI, TeamReturnee(team_id=team_id, returnee_id=rid, since=TODAY - timedelta(days=9)))
    before = {model: count(app, CAT_HAI, model) for model in CARE_ROWS}
    writes = {
        f"/returnees/{rid}/assignments": {"organisation": "X", "person_name": "Y"},
        f"/returnees/{rid}/assignments/{assignment}/decision": {"decision_number": "1", "decision_date": iso(TODAY)},
        f"/returnees/{rid}/contacts": {"on": iso(TODAY), "contact_person": "Z", "method": "visit", "content": "c"},
        f"/returnees/{rid}/reviews": {"year": TODAY.year, "quarter": quarter_of(TODAY), "group": "A", "reason": "r"},
        f"/returnees/{rid}/support": {"kind": "counselling", "status": "done"},
        f"/returnees/{rid}/support/{action}": {"kind": "counselling", "status": "done"},
        f"/returnees/{rid}/incidents": {"kind": "new_crime", "on": iso(TODAY), "description": "d"},
        f"/teams/{team_id}/returnees": {"returnee": rid, "since": iso(TODAY)},
        f"/teams/{team_id}/returnees/{link}/end": {"until": iso(TODAY)},
    }
    for path, data in writes.items():
        response = police.post(url(CAT_HAI, path), data=data)
        # Linking a closed dossier is refused earlier: it is not among the people offered (422).
        expected = 422 if path == f"/teams/{team_id}/returnees" else 409
        assert response.status_code == expected, f"{path} → {response.status_code}"
        if expected == 409:
            assert "This dossier is closed: it is read-only." in response.get_data(as_text=True), path
    assert {model: count(app, CAT_HAI, model) for model in CARE_ROWS} == before
    assert load(app, CAT_HAI, TeamReturnee, link).until is None
    page = police.get(url(CAT_HAI, f"/returnees/{rid}/contacts")).get_data(as_text=True)
    assert "read-only" in page and "Add to the notebook" not in page


def test_children_and_minors_are_flagged(app, police):
    child = person(app, date_of_birth=years_before(TODAY, 15), full_name="Em Nhỏ")
    minor = person(app, date_of_birth=years_before(TODAY, 17), full_name="Thiếu Niên")
    adult = person(app, date_of_birth=years_before(TODAY, 18), full_name="Người Lớn")
    assert "Child under 16" in police.get(url(CAT_HAI, f"/returnees/{child}/care")).get_data(as_text=True)
    minor_page = police.get(url(CAT_HAI, f"/returnees/{minor}/contacts")).get_data(as_text=True)
    assert "Minor under 18" in minor_page and "Child under 16" not in minor_page
    adult_page = police.get(url(CAT_HAI, f"/returnees/{adult}/reviews")).get_data(as_text=True)
    assert "Minor under 18" not in adult_page and "Child under 16" not in adult_page
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        flags = {row.returnee_id: row.flag for row in care_queries.overdue_contacts(TODAY)}
        db.session.remove()
    assert flags == {child: "child", minor: "minor", adult: None}


# --- Isolation, roles ------------------------------------------------------------------------------


def _seed_cat_hai(app):
    rid = person(app, full_name="Bí Mật Cát Hải", group="C")
    team_id, member_ids = team_with_members(app, name="Tổ Cát Hải bí mật")
    return {
        "rid": rid, "team": team_id, "member": member_ids[0],
        "link": add(app, CAT_HAI, TeamReturnee(team_id=team_id, returnee_id=rid, since=TODAY - timedelta(days=20))),
        "assignment": add(app, CAT_HAI, Assignment(returnee_id=rid, organisation="Org", person_name="P", active=True)),
        "action": add(app, CAT_HAI, SupportAction(returnee_id=rid, kind="counselling", status="done")),
        "contact": add(app, CAT_HAI, Contact(returnee_id=rid, on=TODAY - timedelta(days=30), contact_person="Q",
                                             method="visit", content="Nội dung bí mật")),
        "employer": add(app, CAT_HAI, Employer(name="Doanh nghiệp Cát Hải")),
    }


def _care_routes(ids):
    """(method, path, form) of every care route, with the real ids of a seeded person and team."""
    rid, team = ids["rid"], ids["team"]
    return [
        ("GET", f"/returnees/{rid}/care", None),
        ("GET", f"/returnees/{rid}/assignments", None),
        ("POST", f"/returnees/{rid}/assignments", {"organisation": "X", "person_name": "Y"}),
        ("POST", f"/returnees/{rid}/assignments/{ids['assignment']}/decision",
         {"decision_number": "1", "decision_date": iso(TODAY)}),
        ("GET", f"/returnees/{rid}/contacts", None),
        ("POST", f"/returnees/{rid}/contacts",
         {"on": iso(TODAY), "member": ids["member"], "method": "visit", "content": "c"}),
        ("GET", f"/returnees/{rid}/reviews", None),
        ("POST", f"/returnees/{rid}/reviews", {"year": TODAY.year, "quarter": 1, "group": "A", "reason": "r"}),
        ("GET", f"/returnees/{rid}/support", None),
        ("POST", f"/returnees/{rid}/support", {"kind": "job_placement", "status": "done", "employer": ids["employer"]}),
        ("GET", f"/returnees/{rid}/support/{ids['action']}", None),
        ("POST", f"/returnees/{rid}/support/{ids['action']}", {"kind": "counselling", "status": "refused"}),
        ("GET", f"/returnees/{rid}/incidents", None),
        ("POST", f"/returnees/{rid}/incidents", {"kind": "new_crime", "on": iso(TODAY), "description": "d"}),
        ("GET", f"/teams/{team}", None),
        ("POST", f"/teams/{team}/members", {"full_name": "M", "kind": "other"}),
        ("POST", f"/teams/{team}/members/{ids['member']}",
         {f"m{ids['member']}-full_name": "M", f"m{ids['member']}-kind": "other"}),
        ("POST", f"/teams/{team}/members/{ids['member']}/deactivate", {}),
        ("POST", f"/teams/{team}/returnees", {"returnee": rid, "since": iso(TODAY)}),
        ("POST", f"/teams/{team}/returnees/{ids['link']}/end", {"until": iso(TODAY)}),
    ]


def test_another_units_officer_gets_404_on_every_care_route_with_real_ids(app, login):
    ids = _seed_cat_hai(app)
    before = {model: count(app, CAT_HAI, model) for model in (*CARE_ROWS, TeamMember)}
    outsider = login("commune_police", AN_KHANH)
    for method, path, data in _care_routes(ids):
        for unit in (CAT_HAI, AN_KHANH):  # the other unit's URL, and their own URL with Cát Hải ids
            response = outsider.open(url(unit, path), method=method, data=data)
            assert response.status_code == 404, f"{method} {unit}{path} → {response.status_code}"
            assert "Bí Mật Cát Hải" not in response.get_data(as_text=True)
    assert {model: count(app, CAT_HAI, model) for model in (*CARE_ROWS, TeamMember)} == before
    assert load(app, CAT_HAI, TeamMember, ids["member"]).active


def test_another_units_rows_are_never_seen_nor_chosen(app, login):
    ids = _seed_cat_hai(app)
    mine = person(app, AN_KHANH, full_name="Người An Khánh")
    team_id, _ = team_with_members(app, unit=AN_KHANH)
    officer = login("commune_police", AN_KHANH)
    pages = [officer.get(url(AN_KHANH, path)).get_data(as_text=True) for path in (
        "/teams", f"/teams/{team_id}", f"/returnees/{mine}/care", f"/returnees/{mine}/support",
        f"/returnees/{mine}/contacts")]
    assert "Tổ giúp đỡ thôn 1" in pages[0]
    for page in pages:
        for secret in ("Bí Mật Cát Hải", "Doanh nghiệp Cát Hải", "Tổ Cát Hải bí mật", "Nội dung bí mật"):
            assert secret not in page
    # Forged ids of Cát Hải rows in An Khánh's own forms are "not a valid choice".
    forged = [
        (f"/teams/{team_id}/returnees", {"returnee": ids["rid"], "since": iso(TODAY)}),
        (f"/returnees/{mine}/contacts", {"on": iso(TODAY), "member": ids["member"], "method": "visit", "content": "c"}),
        (f"/returnees/{mine}/support", {"kind": "job_placement", "status": "done", "employer": ids["employer"]}),
    ]
    for path, data in forged:
        assert officer.post(url(AN_KHANH, path), data=data).status_code == 422, path
    assert [count(app, AN_KHANH, model) for model in (TeamReturnee, Contact, SupportAction)] == [0, 0, 0]
    with app.app_context(), use_tenant(tenant(AN_KHANH)):
        assert ids["rid"] not in [r.returnee_id for r in care_queries.overdue_contacts(TODAY)]
        assert ids["rid"] not in [r.returnee_id for r in care_queries.reviews_due(TODAY)]
        assert care_queries.teams_helping(ids["rid"], TODAY) == []
        db.session.remove()


@pytest.mark.parametrize("role", ["mttq_member", "commune_leader"])
def test_readers_read_but_cannot_write_care(app, login, role):
    ids = _seed_cat_hai(app)
    before = {model: count(app, CAT_HAI, model) for model in (*CARE_ROWS, TeamMember)}
    reader = login(role, CAT_HAI)
    for method, path, data in _care_routes(ids):
        response = reader.open(url(CAT_HAI, path), method=method, data=data)
        assert response.status_code == (200 if method == "GET" else 403), f"{role}: {method} {path}"
        if method == "GET":
            assert "Bí Mật Cát Hải" in response.get_data(as_text=True) or path.startswith("/teams")
            assert '<form method="post" class="card' not in response.get_data(as_text=True)
    assert reader.get(url(CAT_HAI, "/teams")).status_code == 200
    assert reader.post(url(CAT_HAI, "/teams"), data={"name": "T"}).status_code == 403
    assert {model: count(app, CAT_HAI, model) for model in (*CARE_ROWS, TeamMember)} == before


def test_reads_of_a_persons_care_are_audited(app, police):
    rid = person(app)
    for section in ("contacts", "reviews", "support", "incidents", "assignments", "care"):
        assert police.get(url(CAT_HAI, f"/returnees/{rid}/{section}")).status_code == 200
    assert _audited(app, "returnee.care_read") == 6


# --- The dossier's care section: a constant number of statements ----------------------------------


def _fill(app, rid, n):
    team_ids = [add(app, CAT_HAI, SupportTeam(name=f"Tổ {i}")) for i in range(n)]
    rows = []
    for i, team_id in enumerate(team_ids):
        rows += [TeamMember(team_id=team_id, full_name=f"TV {i}-{k}", kind=k) for k in ("police", "family")]
        rows.append(TeamReturnee(team_id=team_id, returnee_id=rid, since=TODAY - timedelta(days=10)))
    for i in range(n):
        rows += [
            Contact(returnee_id=rid, on=TODAY - timedelta(days=i), contact_person="X", method="visit", content="c"),
            QuarterlyReview(returnee_id=rid, year=2000 + i, quarter=1, group="B", reason="r"),
            SupportAction(returnee_id=rid, kind="counselling", status="done"),
            Incident(returnee_id=rid, kind="administrative_violation", on=TODAY, description="d"),
            Assignment(returnee_id=rid, organisation="O", person_name="P", active=i == 0),
        ]
    rows.append(SupportAction(returnee_id=rid, kind="job_placement", status="done",
                              employer_id=add(app, CAT_HAI, Employer(name="E"))))
    add(app, CAT_HAI, *rows)


def test_care_context_issues_a_constant_number_of_statements(app, count_queries):
    few, many = person(app), person(app, full_name="Nhiều Dòng")
    _fill(app, few, 1)
    _fill(app, many, 15)
    counts = {}
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        for rid in (few, many):
            returnee = db.session.scalar(select(Returnee).where(Returnee.id == rid))
            with count_queries() as queries:
                context = care_queries.care_context(returnee, TODAY)
                # Reading what the template reads must not load anything lazily.
                for view in context["teams"]:
                    _ = (view.team.name, [m.full_name for m in view.active_members], view.missing, view.leader)
                _ = [row.employer_name for row in context["support_actions"]]
            counts[rid] = len(queries)
            assert len(context["teams"]) == (1 if rid == few else 15)
        db.session.remove()
    assert counts[few] == counts[many] == 1, counts  # every list of the section in one statement
    with app.app_context(), use_tenant(tenant(CAT_HAI)), count_queries() as queries:
        care_queries.overdue_contacts(TODAY)
        care_queries.reviews_due(TODAY)
        db.session.remove()
    assert len(queries) == 2


def test_overview_page_renders_the_partial(app, police):
    rid = person(app)
    _fill(app, rid, 2)
    page = police.get(url(CAT_HAI, f"/returnees/{rid}/care")).get_data(as_text=True)
    assert "Management and help" in page and "Tổ 0" in page
    assert re.search(r"Missing:\s*(Mass-organisation cadre|.*Village)", page)


def test_care_pages_issue_a_constant_number_of_statements(app, login, count_queries):
    police = login("commune_police", CAT_HAI)
    seen = {}
    for n in (1, 12):
        rid = person(app, full_name=f"Người {n}")
        _fill(app, rid, n)
        team_id, _ = team_with_members(app, name=f"Tổ đếm {n}")
        add(app, CAT_HAI, *[TeamReturnee(team_id=team_id, returnee_id=person(app, full_name=f"Khác {n}-{i}"),
                                         since=TODAY - timedelta(days=3)) for i in range(n)])
        for path in ("care", "assignments", "contacts", "reviews", "support", "incidents"):
            with count_queries() as queries:
                assert police.get(url(CAT_HAI, f"/returnees/{rid}/{path}")).status_code == 200
            seen.setdefault(path, []).append(len(queries))
        for name, path in (("teams", "/teams"), ("team", f"/teams/{team_id}")):
            with count_queries() as queries:
                assert police.get(url(CAT_HAI, path)).status_code == 200
            seen.setdefault(name, []).append(len(queries))
    assert all(few == many for few, many in seen.values()), seen
