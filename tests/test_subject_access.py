"""The subject-access export: the commune police download everything the unit holds about one person
(JSON, or a workbook with one sheet per section), with the full ID number, nothing about anybody
else, the export audited with the request's reference; other roles 403, other units and city roles
404; a fixed number of statements whatever the number of contacts."""

import io
import json
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from blueprints.campaigns.models import LoanList, LoanListEntry
from blueprints.returnees.care import (
    Assignment,
    Contact,
    Incident,
    QuarterlyReview,
    SupportAction,
    SupportTeam,
    TeamMember,
    TeamReturnee,
    Transfer,
)
from blueprints.returnees.community import Employer
from blueprints.returnees.models import Conviction, Returnee, StatusEvent
from portal.audit import AuditEvent
from portal.comments import Comment
from portal.extensions import db
from portal.search import fold
from tenants.context import use_tenant
from tests.conftest import tenant
from tests.helpers_returnees import AN_KHANH, CAT_HAI
from tests.test_campaigns_unit import make_campaign
from workers.attachments import Attachment

SECTIONS = [
    "export", "dossier", "campaign", "convictions", "status_history", "due_dates", "expungement", "assignments",
    "support_teams", "contacts", "quarterly_reviews", "support_actions", "incidents", "transfers",
    "loan_list_entries", "comments", "attachments", "audit_trail",
]
# Written only on the second person's rows: none may reach the first person's export.
OTHER_MARKS = ("Đỗ Văn Khác", "031190009999", "KHAC-CONTACT", "KHAC-COMMENT", "99/KHAC", "khac.pdf", "KHAC-LOAN",
               "KHAC-INCIDENT", "Người Khác Giám Sát", "Tổ KHÁC", "KHAC-REVIEW", "KHAC-NEED")


def url(rid, slug=CAT_HAI):
    return f"/t/{slug}/returnees/{rid}/subject-access"


def _returnee(name, **fields):
    values = {
        "sex": "male", "date_of_birth": date(1985, 11, 2), "release_kind": "completed_sentence",
        "status": "under_management", "group": "B", "managed_since": date(2026, 5, 25),
        "release_date": date(2026, 5, 1), "reported_on": date(2026, 5, 20), "hamlet": "Thôn 1",
    }
    values.update(fields)
    return Returnee(full_name=name, search_name=fold(name), **values)


def add(app, slug, make):
    """make() → rows, added and committed inside the unit; returns their ids."""
    with app.app_context(), use_tenant(tenant(slug)):
        rows = make()
        db.session.add_all(rows)
        db.session.commit()
        ids = [row.id for row in rows]
        db.session.remove()
    return ids


def contacts(app, rid, n, slug=CAT_HAI, staff=None, content="Thăm hỏi tại nhà"):
    add(app, slug, lambda: [
        Contact(returnee_id=rid, on=date(2026, 6, 1) + timedelta(days=i), contact_person="Ngô Văn Công",
                method="visit", content=f"{content} lần {i + 1}", recorded_by=staff)
        for i in range(n)
    ])


@pytest.fixture
def police(login):
    return login("commune_police", CAT_HAI, locale="en", full_name="Lê Văn Tám")


@pytest.fixture
def world(app, police):
    """Two people of Cát Hải: the first with a row in every section, the second with marked rows."""
    staff = police.user_id
    cid = make_campaign(app)
    first, second = add(app, CAT_HAI, lambda: [
        _returnee("Trần Thị Hoa", sex="female", national_id="031185004321", phone="0912345678",
                  family_contacts="Mẹ: Nguyễn Thị Lan", release_kind="special_pardon", campaign_id=cid,
                  reporting_deadline=date(2026, 5, 15), work_session_minutes="Biên bản làm việc số 7",
                  needs={"work": "need"}),
        _returnee("Đỗ Văn Khác", national_id="031190009999", needs={"housing": "KHAC-NEED"}),
    ])
    other = add(app, AN_KHANH, lambda: [_returnee("Phạm Văn Ngoài")])[0]
    with app.app_context():
        an_khanh_id = tenant(AN_KHANH).id
    employer, team, other_team, loans = add(app, CAT_HAI, lambda: [
        Employer(name="Công ty Thủy sản Cát Bà"), SupportTeam(name="Tổ giúp đỡ số 3"), SupportTeam(name="Tổ KHÁC"),
        LoanList(month="2026-07"),
    ])
    add(app, CAT_HAI, lambda: [
        Conviction(returnee_id=first, judgment_number="88/2018/HS-ST", judgment_date=date(2018, 4, 2),
                   court="TAND TP Hải Phòng", penal_code_article="171", penal_code_chapter=16, intentional=True,
                   severity="serious", penalty_kind="imprisonment", sentence_months=30,
                   main_penalty_served_on=date(2025, 9, 1), age_at_offence=32),
        StatusEvent(returnee_id=first, on=date(2026, 5, 25), actor_id=staff, from_status="received",
                    to_status="under_management", facts={"group": "B"}),
        Assignment(returnee_id=first, organisation="Công an đặc khu Cát Hải", person_name="Phạm Văn Giám",
                   decision_number="07/QĐ-UBND", decision_date=date(2026, 5, 27)),
        TeamMember(team_id=team, full_name="Ngô Văn Công", kind="police", is_leader=True, phone="0988000111"),
        TeamMember(team_id=team, full_name="Trần Văn Bố", kind="family"),
        TeamReturnee(returnee_id=first, team_id=team, since=date(2026, 5, 28)),
        QuarterlyReview(returnee_id=first, year=2026, quarter=2, group="B", reason="Chấp hành tốt", reviewed_by=staff),
        SupportAction(returnee_id=first, kind="loan", status="in_progress", amount_vnd=50_000_000,
                      loan_purpose="business", loan_status="submitted", employer_id=employer, note="Nuôi hàu"),
        Incident(returnee_id=first, kind="administrative_violation", on=date(2026, 7, 3),
                 description="Gây mất trật tự công cộng", decision="=2+2"),
        Transfer(returnee_id=first, transfer_key="a" * 32, direction="out", other_tenant_id=an_khanh_id,
                 notified_on=date(2026, 8, 1), new_address="Thôn Đông, An Khánh", state="cancelled"),
        LoanListEntry(list_id=loans, returnee_id=first, purpose="business", amount_vnd=50_000_000, term_months=36),
        Comment(target_type="returnee", target_id=first, author_id=staff, body="Cần hỗ trợ vay vốn sớm"),
        Attachment(target_type="returnee", target_id=first, filename="quyet-dinh-dac-xa.pdf",
                   content_type="application/pdf", size=12345, state="stored", uploaded_by=staff),
        # The second person's rows, each carrying a mark.
        Conviction(returnee_id=second, judgment_number="99/KHAC", judgment_date=date(2017, 1, 1),
                   penalty_kind="imprisonment", sentence_months=12),
        Assignment(returnee_id=second, organisation="Công an", person_name="Người Khác Giám Sát"),
        TeamReturnee(returnee_id=second, team_id=other_team, since=date(2026, 5, 28)),
        QuarterlyReview(returnee_id=second, year=2026, quarter=2, group="C", reason="KHAC-REVIEW"),
        SupportAction(returnee_id=second, kind="loan", amount_vnd=9_000_000, note="KHAC-LOAN"),
        Incident(returnee_id=second, kind="new_crime", on=date(2026, 7, 4), description="KHAC-INCIDENT"),
        LoanListEntry(list_id=loans, returnee_id=second, purpose="training", amount_vnd=4_000_000, term_months=6),
        Comment(target_type="returnee", target_id=second, author_id=staff, body="KHAC-COMMENT"),
        Attachment(target_type="returnee", target_id=second, filename="khac.pdf", state="stored"),
    ])
    contacts(app, first, 2, staff=staff)
    contacts(app, second, 1, content="KHAC-CONTACT")
    # Reading both dossiers leaves one audit event on each.
    assert police.get(f"/t/{CAT_HAI}/returnees/{first}").status_code == 200
    assert police.get(f"/t/{CAT_HAI}/returnees/{second}").status_code == 200
    return {"first": first, "second": second, "other": other, "campaign": cid}


def export(client, rid, slug=CAT_HAI, **data):
    return client.post(url(rid, slug), data={"reference": "Đơn số 12 ngày 20/11/2026", **data})


def subject_events(app):
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "returnee.subject_access")).all()
        db.session.expunge_all()
    return rows


def test_the_export_holds_every_section_of_the_person(app, police, world):
    rid = world["first"]
    response = export(police, rid, received_on="2026-11-02")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store, private"
    disposition = response.headers["Content-Disposition"]
    match = re.fullmatch(rf"attachment; filename=du-lieu-ca-nhan-{rid}-(\d{{8}})\.json", disposition)
    assert match, disposition
    text = response.data.decode("utf-8")
    assert "Trần Thị Hoa" in text  # written as UTF-8, not \u escapes
    doc = json.loads(text)
    assert list(doc) == SECTIONS

    head = doc["export"]
    assert head["generated_on"].replace("-", "") == match.group(1)
    assert head["unit"]["slug"] == CAT_HAI and head["exported_by"]["name"] == "Lê Văn Tám"
    # Received on Monday 02/11/2026: acknowledged within two working days, by Wednesday.
    assert head["request"] == {"reference": "Đơn số 12 ngày 20/11/2026", "received_on": "2026-11-02",
                               "acknowledge_by": "2026-11-04"}

    person = doc["dossier"]
    assert person["id"] == rid and person["full_name"] == "Trần Thị Hoa"
    assert person["national_id"] == "031185004321"  # in full: it is the person's own data
    assert person["phone"] == "0912345678" and person["family_contacts"] == "Mẹ: Nguyễn Thị Lan"
    assert person["work_session_minutes"] == "Biên bản làm việc số 7" and person["needs"] == {"work": "need"}
    assert person["release_kind"] == "special_pardon" and person["date_of_birth"] == "1985-11-02"
    assert doc["campaign"]["id"] == world["campaign"] and doc["campaign"]["pardon_decision_number"] == "1244/QĐ-CTN"

    [conviction] = doc["convictions"]
    assert conviction["judgment_number"] == "88/2018/HS-ST" and conviction["sentence_months"] == 30
    # 30 months is "up to 5 years": 2 years from the completion on 01/09/2025, eligible the day after.
    assert doc["expungement"]["status"] == "eligible_on"
    assert doc["expungement"]["expected_date"] == "2027-09-02" and doc["expungement"]["period_months"] == 24
    assert [(e["to_status"], e["actor_name"]) for e in doc["status_history"]] == [("under_management", "Lê Văn Tám")]
    assert {"key": "reporting_deadline", "due": "2026-05-15", "done_on": "2026-05-20"}.items() <= \
        next(d for d in doc["due_dates"] if d["key"] == "reporting_deadline").items()

    [assignment] = doc["assignments"]
    assert assignment["person_name"] == "Phạm Văn Giám" and assignment["decision_number"] == "07/QĐ-UBND"
    [team] = doc["support_teams"]
    assert team["name"] == "Tổ giúp đỡ số 3" and team["since"] == "2026-05-28"
    assert [(m["full_name"], m["kind"], m["is_leader"]) for m in team["members"]] == [
        ("Ngô Văn Công", "police", True), ("Trần Văn Bố", "family", False)]
    assert "0988000111" not in text  # a member's phone is the member's data
    assert [c["content"] for c in doc["contacts"]] == ["Thăm hỏi tại nhà lần 2", "Thăm hỏi tại nhà lần 1"]
    assert doc["contacts"][0]["recorded_by_name"] == "Lê Văn Tám"
    [review] = doc["quarterly_reviews"]
    assert (review["year"], review["quarter"], review["group"]) == (2026, 2, "B")
    assert review["reviewed_by_name"] == "Lê Văn Tám"
    [loan] = doc["support_actions"]
    assert (loan["kind"], loan["amount_vnd"], loan["employer_name"], loan["note"]) == (
        "loan", 50_000_000, "Công ty Thủy sản Cát Bà", "Nuôi hàu")
    [incident] = doc["incidents"]
    assert incident["description"] == "Gây mất trật tự công cộng" and incident["on"] == "2026-07-03"
    [transfer] = doc["transfers"]
    assert (transfer["direction"], transfer["state"], transfer["other_unit_code"]) == ("out", "cancelled", "11668")
    [entry] = doc["loan_list_entries"]
    assert (entry["month"], entry["amount_vnd"], entry["term_months"]) == ("2026-07", 50_000_000, 36)
    [comment] = doc["comments"]
    assert (comment["body"], comment["author_name"]) == ("Cần hỗ trợ vay vốn sớm", "Lê Văn Tám")
    [attachment] = doc["attachments"]
    assert (attachment["filename"], attachment["content_type"], attachment["size"]) == (
        "quyet-dinh-dac-xa.pdf", "application/pdf", 12345)
    assert "storage_key" not in attachment
    [read] = doc["audit_trail"]
    assert (read["action"], read["user_name"], read["object_id"]) == ("returnee.read", "Lê Văn Tám", str(rid))
    assert read["at"] and "ip" not in read


def test_nothing_of_another_person_of_the_unit_is_exported(app, police, world):
    text = export(police, world["first"]).data.decode("utf-8")
    for mark in OTHER_MARKS:
        assert mark not in text, mark
    trail = json.loads(text)["audit_trail"]
    assert {e["object_id"] for e in trail} == {str(world["first"])}


def test_the_workbook_has_one_sheet_per_section(app, police, world):
    response = export(police, world["first"], file_format="xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(".xlsx")
    book = load_workbook(io.BytesIO(response.data))
    assert len(book.sheetnames) == len(SECTIONS)
    dossier = {row[0]: row[1] for row in book.worksheets[1].iter_rows(values_only=True)}
    assert dossier["national_id"] == "031185004321" and dossier["full_name"] == "Trần Thị Hoa"
    assert dossier["date_of_birth"].date() == date(1985, 11, 2)  # a real date, shown dd/mm/yyyy
    contact_rows = list(book.worksheets[SECTIONS.index("contacts")].iter_rows(values_only=True))
    assert contact_rows[0][:2] == ("id", "on") and len(contact_rows) == 3
    loans = list(book.worksheets[SECTIONS.index("support_actions")].iter_rows(values_only=True))
    assert loans[1][loans[0].index("amount_vnd")] == 50_000_000
    incidents = book.worksheets[SECTIONS.index("incidents")]
    decision = incidents.cell(row=2, column=[c.value for c in incidents[1]].index("decision") + 1)
    assert (decision.value, decision.data_type) == ("=2+2", "s")  # typed text never becomes a formula
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            assert not any(mark in str(cell) for cell in row for mark in OTHER_MARKS)


def test_the_export_is_audited_with_the_request_reference(app, police, world):
    assert subject_events(app) == []
    assert export(police, world["first"]).status_code == 200
    [event] = subject_events(app)
    assert event.reason == "Đơn số 12 ngày 20/11/2026"
    assert (event.user_id, event.object_type, event.object_id) == (police.user_id, "returnees", str(world["first"]))
    with app.app_context():
        assert event.tenant_id == tenant(CAT_HAI).id
    # The next export lists the first one in the person's trail.
    trail = export(police, world["first"]).get_json(force=True)["audit_trail"]
    assert [e["reason"] for e in trail if e["action"] == "returnee.subject_access"] == ["Đơn số 12 ngày 20/11/2026"]


@pytest.mark.parametrize("reference", ["", "   "])
def test_a_missing_reference_is_refused_and_nothing_is_downloaded(app, police, world, reference):
    response = police.post(url(world["first"]), data={"reference": reference, "file_format": "json"})
    assert response.status_code == 422
    assert response.mimetype == "text/html" and "Content-Disposition" not in response.headers
    assert "Write the reference of the person's written request" in response.data.decode()
    assert "031185004321" not in response.data.decode()
    assert subject_events(app) == []


def test_the_form_page_and_the_dossier_link_are_for_the_police(app, police, login, world):
    page = police.get(url(world["first"]))
    assert page.status_code == 200 and "Trần Thị Hoa" in page.data.decode()
    link = url(world["first"])
    assert link in police.get(f"/t/{CAT_HAI}/returnees/{world['first']}").data.decode()
    for role in ("commune_leader", "mttq_member"):
        reader = login(role, CAT_HAI)
        assert link not in reader.get(f"/t/{CAT_HAI}/returnees/{world['first']}").data.decode()


@pytest.mark.parametrize("role", ["commune_leader", "mttq_member"])
def test_leaders_and_front_members_are_refused(app, login, world, role):
    client = login(role, CAT_HAI)
    assert client.get(url(world["first"])).status_code == 403
    assert export(client, world["first"]).status_code == 403
    assert subject_events(app) == []


@pytest.mark.parametrize("role,unit", [("commune_police", AN_KHANH), ("city_police", None), ("system_admin", None)])
def test_other_units_and_city_roles_get_404(app, login, world, role, unit):
    client = login(role, unit)
    assert client.get(url(world["first"])).status_code == 404
    assert export(client, world["first"]).status_code == 404
    assert subject_events(app) == []


def test_a_person_of_another_unit_is_not_found_from_ones_own_unit(app, police, world):
    assert police.get(url(world["other"])).status_code == 404
    assert export(police, world["other"]).status_code == 404
    assert export(police, 2**40).status_code == 404
    assert subject_events(app) == []


def test_the_statement_count_does_not_grow_with_the_contacts(app, police, world, count_queries):
    def cost():
        with count_queries() as statements:
            assert export(police, world["first"]).status_code == 200
        return len(statements)

    few = cost()  # two contacts
    contacts(app, world["first"], 38)
    many = cost()
    # The unit and the user, one statement per section (the campaign included) and the audit row.
    assert few == many <= 17
    assert len(export(police, world["first"]).get_json(force=True)["contacts"]) == 40
