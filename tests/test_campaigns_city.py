"""The city police's side of a special-pardon campaign: the form (errors kept, draft edits, version
conflicts, an open campaign fixed), opening it for every active unit, the board of all units (plan,
report on time / late / missing / overdue, filters, totals), its XLSX export, the reminders, who may
use these pages, and that no person's data reaches them.

The campaign is the 2025 one of the seed plan: decision 1244/QĐ-CTN of 03/07/2025, release
1693/QĐ-CTN effective 01/09/2025, units report before 05/09/2025 (here: due on 10/09/2025).
"""

import io
from datetime import date, datetime
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import func, select

from blueprints.campaigns import reminders, services
from blueprints.campaigns.models import DRAFT, OPEN, PLAN_ISSUED, Campaign, CampaignProgress, UnitPlan
from blueprints.campaigns.template import DEFAULT_TASKS
from blueprints.reports import services as report_services
from blueprints.reports.models import ReportReminder
from blueprints.returnees import services as returnee_services
from portal.audit import AuditEvent
from portal.extensions import db
from tenants.context import use_tenant
from tenants.models import Tenant
from tests.conftest import tenant
from tests.servers import free_port
from workers.tasks import CityTask

CAT_HAI, AN_KHANH, LE_CHAN = "dac_khu_cat_hai", "xa_an_khanh", "phuong_le_chan"
UNITS = 114
DUE = date(2025, 9, 10)
AFTER_DUE = date(2025, 9, 15)
SECRET_NAME, SECRET_ID = "Trần Thị Bí Mật", "031199887766"
FIELDS = {
    "name": "Đặc xá năm 2025", "year": "2025", "round": "1",
    "pardon_decision_number": "1244/QĐ-CTN", "pardon_decision_date": "03/07/2025",
    "release_decision_number": "1693/QĐ-CTN", "release_effective_on": "01/09/2025",
    "city_plan_number": "45/KH-CAHP", "city_plan_date": "20/07/2025", "report_due_on": "10/09/2025",
}


def form(**overrides) -> dict:
    data = dict(FIELDS, **{
        "tasks-0-agency": "commune_police", "tasks-0-text": "Lập hồ sơ quản lý người được đặc xá.",
        "tasks-1-agency": "economic", "tasks-1-text": "Bảo đảm kinh phí.", "tasks-1-remove": "y",
        "tasks-2-agency": "village_heads", "tasks-2-text": "  ",
        "tasks-3-agency": "fatherland_front", "tasks-3-text": "Giám sát việc thực hiện công tác đặc xá.",
        "action": "save",
    })
    data.update(overrides)
    return data


@pytest.fixture
def city(login):
    return login("city_police", locale="en")


@pytest.fixture
def today(monkeypatch):
    """The board's and reminders' today: facts.today() is read at call time."""
    def set_day(day: date):
        monkeypatch.setattr("blueprints.returnees.facts.today", lambda: day)
    set_day(date(2025, 9, 8))
    return set_day


def make_campaign(app, status=OPEN, due=DUE, **fields) -> int:
    with app.app_context():
        values = {
            "name": "Đặc xá năm 2025", "year": 2025, "round": 1, "pardon_decision_number": "1244/QĐ-CTN",
            "pardon_decision_date": date(2025, 7, 3), "release_decision_number": "1693/QĐ-CTN",
            "release_effective_on": date(2025, 9, 1), "report_due_on": due,
        }
        campaign = services.new_campaign(None, **dict(values, **fields))
        if status == OPEN:
            campaign.status, campaign.opened_at = OPEN, datetime(2025, 7, 25)
        db.session.commit()
        return campaign.id


def unit_side(app, slug, campaign_id, *, issue=False, submitted_at=None, person=None):
    """What a unit does through the services: its plan (issued or not), a person, its report."""
    with app.test_request_context(), use_tenant(tenant(slug)):
        campaign = db.session.get(Campaign, campaign_id)
        plan = services.ensure_plan(campaign)
        if issue:
            plan.number, plan.signed_on = "13/KH-UBND", date(2025, 7, 28)
            plan.status, plan.issued_at = PLAN_ISSUED, datetime(2025, 7, 28, 3)
            plan.tasks[0].status = "done"
        if person:
            returnee_services.create_returnee(
                {"full_name": person[0], "national_id": person[1], "sex": "female", "date_of_birth": date(1985, 2, 1),
                 "nationality": "Việt Nam", "release_kind": "special_pardon", "campaign_id": campaign_id},
                "expected", {"notice_received_on": date(2025, 8, 1)}, date(2025, 8, 1), None,
            )
        db.session.flush()
        services.publish(campaign)
        if submitted_at:
            report = report_services.open_report(services.period_of(campaign), None, campaign_id=campaign_id,
                                                 due=campaign.report_due_on)
            report_services.submit(report, None, now=submitted_at)
        db.session.commit()


def code(app, slug) -> str:
    with app.app_context():
        return tenant(slug).code


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


# --- The form -------------------------------------------------------------------------------------


def test_the_new_form_is_prefilled_from_the_seed_plan_and_can_grow(city):
    html = city.get("/city/campaigns/new").get_data(as_text=True)
    assert DEFAULT_TASKS[0]["text"] in html and DEFAULT_TASKS[-1]["text"] in html
    assert f'name="tasks-{len(DEFAULT_TASKS) + 2}-text"' in html  # three blank rows to add tasks
    assert f'name="tasks-{len(DEFAULT_TASKS) + 3}-text"' not in html
    more = city.post("/city/campaigns/new", data=form(action="more"))
    assert more.status_code == 200
    page = more.get_data(as_text=True)
    # The two kept rows, then five blank ones; the typed fields stay, and nothing is saved.
    assert 'name="tasks-6-text"' in page and 'name="tasks-7-text"' not in page
    assert "Giám sát việc thực hiện công tác đặc xá." in page and "Bảo đảm kinh phí." not in page
    assert 'value="1244/QĐ-CTN"' in page
    with city.application.app_context():
        assert db.session.scalar(select(func.count()).select_from(Campaign)) == 0


def test_a_rejected_form_keeps_the_input_and_says_why_next_to_the_fields(app, city):
    bad = form(name="", pardon_decision_date="31/02/2025", report_due_on="20/08/2025",
               release_effective_on="01/09/2025", **{"tasks-0-text": "Nhiệm vụ đã sửa"})
    response = city.post("/city/campaigns/new", data=bad)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter the name of the campaign." in html
    assert "Type the date as dd/mm/yyyy" in html and 'value="31/02/2025"' in html
    assert "The deadline cannot be before the release takes effect." in html and 'value="20/08/2025"' in html
    assert "Nhiệm vụ đã sửa" in html and 'value="45/KH-CAHP"' in html
    empty_tasks = form(**{"tasks-0-text": "", "tasks-3-text": ""})
    assert "Keep at least one task" in city.post("/city/campaigns/new", data=empty_tasks).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Campaign)) == 0


def test_a_campaign_is_created_as_a_draft_with_its_template(app, city):
    response = city.post("/city/campaigns/new", data=form())
    assert response.status_code == 303
    with app.app_context():
        campaign = db.session.scalar(select(Campaign))
        assert response.headers["Location"].endswith(f"/city/campaigns/{campaign.id}")
        assert (campaign.status, campaign.pardon_decision_number, campaign.pardon_decision_date) == (
            DRAFT, "1244/QĐ-CTN", date(2025, 7, 3))
        assert (campaign.release_effective_on, campaign.report_due_on) == (date(2025, 9, 1), DUE)
        # The removed row and the row without text are dropped, in order.
        assert campaign.task_template == [
            {"agency": "commune_police", "text": "Lập hồ sơ quản lý người được đặc xá."},
            {"agency": "fatherland_front", "text": "Giám sát việc thực hiện công tác đặc xá."},
        ]
    assert "campaign.create" in audit_actions(app)
    board = city.get(response.headers["Location"]).get_data(as_text=True)
    assert "This campaign is a draft" in board and "Open the campaign for all units" in board


def test_a_draft_is_edited_and_a_stale_form_is_refused_with_the_input_kept(app, city):
    cid = make_campaign(app, status=DRAFT)
    page = city.get(f"/city/campaigns/{cid}/edit").get_data(as_text=True)
    assert 'value="10/09/2025"' in page and DEFAULT_TASKS[3]["text"] in page
    with app.app_context():
        version = db.session.get(Campaign, cid).version
    saved = city.post(f"/city/campaigns/{cid}/edit", data=form(version=version, report_due_on="12/09/2025"))
    assert saved.status_code == 303
    stale = city.post(f"/city/campaigns/{cid}/edit", data=form(version=version, name="Tên đã gõ"))
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert "Someone else saved this campaign" in html and 'value="Tên đã gõ"' in html
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        assert (campaign.name, campaign.report_due_on) == ("Đặc xá năm 2025", date(2025, 9, 12))
        assert len(campaign.task_template) == 2
    assert audit_actions(app).count("campaign.edit") == 1


def test_an_open_campaign_can_no_longer_be_changed(app, city):
    cid = make_campaign(app)
    page = city.get(f"/city/campaigns/{cid}/edit").get_data(as_text=True)
    assert "can no longer be changed here, not even the deadline" in page
    with app.app_context():
        version = db.session.get(Campaign, cid).version
    refused = city.post(f"/city/campaigns/{cid}/edit", data=form(version=version, report_due_on="30/09/2025"))
    assert refused.status_code == 409 and 'value="30/09/2025"' in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Campaign, cid).report_due_on == DUE
    for url in ("/city/campaigns/999999/edit", "/city/campaigns/999999", "/city/campaigns/999999/export.xlsx"):
        assert city.get(url).status_code == 404
    assert city.post("/city/campaigns/999999/open").status_code == 404


# --- Opening --------------------------------------------------------------------------------------


def test_opening_gives_every_active_unit_its_plan(app, city):
    cid = make_campaign(app, status=DRAFT)
    response = city.post(f"/city/campaigns/{cid}/open")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/city/campaigns/{cid}")
    with app.app_context():
        assert db.session.get(Campaign, cid).status == OPEN
        assert db.session.scalar(select(func.count()).select_from(CampaignProgress)
                                 .where(CampaignProgress.campaign_id == cid)) == UNITS
        for slug in (CAT_HAI, AN_KHANH):
            with use_tenant(tenant(slug)):
                plan = db.session.scalar(select(UnitPlan).where(UnitPlan.campaign_id == cid))
                assert plan.status == "draft" and len(plan.tasks) == len(DEFAULT_TASKS)
    assert "campaign.open" in audit_actions(app)
    board = city.get(f"/city/campaigns/{cid}").get_data(as_text=True)
    assert "no plan yet" not in board and "plan being drafted" in board and "0/114" in board
    with app.app_context():
        task = db.session.scalar(select(CityTask).where(CityTask.kind == "campaigns.open"))
        assert task.state == "finished" and task.params == {"campaign_id": cid}
    assert f'href="/city/jobs/{task.id}"' in board
    index = city.get("/city/campaigns/").get_data(as_text=True)
    assert "0 of 114" in index
    # Opening again makes nothing twice.
    again = city.post(f"/city/campaigns/{cid}/open", follow_redirects=True)
    assert "Every active unit has its plan." in again.get_data(as_text=True)


def test_a_running_opening_is_followed_and_a_failed_one_can_be_resumed(app, city):
    cid = make_campaign(app)
    with app.app_context():
        db.session.add(CityTask(kind="campaigns.open", params={"campaign_id": cid}, state="started", progress=40))
        db.session.commit()
    page = city.get(f"/city/campaigns/{cid}")
    html = page.get_data(as_text=True)
    assert page.headers.get("Refresh") == "5" and 'value="40"' in html and "Make the missing plans" not in html
    assert city.post(f"/city/campaigns/{cid}/open").status_code == 303  # a second click starts nothing
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CityTask)) == 1
        assert db.session.scalar(select(func.count()).select_from(CampaignProgress)) == 0
        db.session.scalar(select(CityTask)).state = "failed"
        db.session.commit()
    page = city.get(f"/city/campaigns/{cid}")
    assert "Refresh" not in page.headers
    assert "114 units have no plan yet." in page.get_data(as_text=True)


# --- The board ------------------------------------------------------------------------------------


def test_the_board_shows_on_time_late_and_missing_units(app, city, today):
    cid = make_campaign(app)
    unit_side(app, CAT_HAI, cid, issue=True, submitted_at=datetime(2025, 9, 9, 2))  # 09/09 in Hải Phòng
    unit_side(app, AN_KHANH, cid, submitted_at=datetime(2025, 9, 12, 2))
    unit_side(app, LE_CHAN, cid)
    cat_hai, an_khanh, le_chan = code(app, CAT_HAI), code(app, AN_KHANH), code(app, LE_CHAN)
    today(AFTER_DUE)
    html = city.get(f"/city/campaigns/{cid}").get_data(as_text=True)

    def row(unit_code):
        start = html.index(f'id="unit-{unit_code}"')
        return html[start:html.index("</tr>", start)]

    assert "plan issued 28/07/2025" in row(cat_hai) and "submitted on time" in row(cat_hai)
    assert "09/09/2025 09:00" in row(cat_hai) and "1/15" in row(cat_hai)
    assert "submitted late" in row(an_khanh) and "plan being drafted" in row(an_khanh)
    assert "overdue · not submitted" in row(le_chan) and "plan being drafted" in row(le_chan)
    assert html.count('class="plan-none ') == html.count("<td data-label=\"Plan\">no plan yet</td>") == UNITS - 3
    assert html.count("overdue · not submitted") == UNITS - 2
    assert "114 of 114 units shown." in html and "1/114" in html

    def shown(**args):
        page = city.get(f"/city/campaigns/{cid}", query_string=args).get_data(as_text=True)
        return page.count('<tr id="unit-')

    assert shown(plan="issued") == 1 and shown(plan="none") == UNITS - 3 and shown(plan="not_issued") == UNITS - 1
    assert shown(report="on_time") == 1 and shown(report="late") == 1 and shown(report="submitted") == 2
    assert shown(report="missing") == UNITS - 2 and shown(report="overdue") == UNITS - 2
    assert shown(kind="dac_khu") == 2 and shown(q="an khanh") == 1 and shown(q=an_khanh) == 1
    before = city.get(f"/city/campaigns/{cid}", query_string={"report": "overdue"})
    today(date(2025, 9, 10))  # the deadline day itself is not yet overdue
    assert shown(report="overdue") == 0 and before.status_code == 200


def test_the_export_is_the_board_as_a_workbook(app, city, today):
    cid = make_campaign(app)
    unit_side(app, CAT_HAI, cid, issue=True, submitted_at=datetime(2025, 9, 9, 2))
    unit_side(app, AN_KHANH, cid, submitted_at=datetime(2025, 9, 12, 2))
    today(AFTER_DUE)
    response = city.get(f"/city/campaigns/{cid}/export.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.data))
    assert wb.sheetnames == ["Campaign", "Units"]
    assert ("President's decision", "1244/QĐ-CTN") in {(r[0], r[1]) for r in wb["Campaign"].iter_rows(values_only=True)}
    ws = wb["Units"]
    assert ws.freeze_panes == "B2" and ws.auto_filter.ref == f"A1:P{UNITS + 1}"
    header = [c.value for c in ws[1]]
    assert header[:4] == ["Unit", "Code", "Kind", "Plan"] and header[-3:] == ["Report", "Submitted at", "Overdue"]
    rows = {r[1]: r for r in ws.iter_rows(min_row=2, max_row=UNITS + 1, values_only=True)}
    cat_hai = rows[code(app, CAT_HAI)]
    assert cat_hai[3] == "plan issued" and cat_hai[4] == datetime(2025, 7, 28)
    assert cat_hai[13] == "submitted on time" and cat_hai[14] == datetime(2025, 9, 9, 9) and cat_hai[15] == "no"
    assert rows[code(app, AN_KHANH)][13] == "submitted late"
    assert rows[code(app, LE_CHAN)][3] == "no plan yet" and rows[code(app, LE_CHAN)][15] == "yes"
    assert ws.cell(row=UNITS + 3, column=1).value == f"Total ({UNITS} units)"
    assert ws.cell(row=2, column=13).number_format == ws.cell(row=UNITS + 3, column=13).number_format == '#,##0 "₫"'
    assert ws.cell(row=2, column=5).number_format == "DD/MM/YYYY"
    filtered = load_workbook(io.BytesIO(city.get(f"/city/campaigns/{cid}/export.xlsx?report=late").data))["Units"]
    assert [r[1] for r in filtered.iter_rows(min_row=2, max_row=2, values_only=True)] == [code(app, AN_KHANH)]
    assert audit_actions(app).count("campaign.export") == 2


def test_no_person_reaches_the_board_or_the_export(app, city):
    cid = make_campaign(app)
    unit_side(app, CAT_HAI, cid, person=(SECRET_NAME, SECRET_ID))
    unit_side(app, AN_KHANH, cid, person=("Lê Văn Riêng Tư", "031088776655"))
    html = city.get(f"/city/campaigns/{cid}").get_data(as_text=True)
    row = html[html.index(f'id="unit-{code(app, CAT_HAI)}"'):]
    assert '<td class="num" data-label="Expected">1</td>' in row[:row.index("</tr>")]
    data = city.get(f"/city/campaigns/{cid}/export.xlsx").data
    cells = " ".join(str(c) for ws in load_workbook(io.BytesIO(data)) for r in ws.iter_rows(values_only=True)
                     for c in r if c is not None)
    for text in (html, cells, city.get("/city/campaigns/").get_data(as_text=True)):
        for secret in (SECRET_NAME, SECRET_ID, "Lê Văn Riêng Tư", "031088776655", "Bi Mat"):
            assert secret not in text


def test_statement_counts_do_not_grow_with_units_or_campaigns(app, city, count_queries):
    cid = make_campaign(app)
    urls = ["/city/campaigns/", f"/city/campaigns/{cid}", f"/city/campaigns/{cid}/export.xlsx"]

    def counts():
        out = []
        for url in urls:
            with count_queries() as q:
                assert city.get(url).status_code == 200
            out.append(len(q))
        return out

    unit_side(app, CAT_HAI, cid, issue=True)
    unit_side(app, AN_KHANH, cid)
    few = counts()
    with app.app_context():
        slugs = list(db.session.scalars(select(Tenant.slug).order_by(Tenant.id).limit(20)))
    for slug in slugs:
        unit_side(app, slug, cid)
    make_campaign(app, name="Đặc xá năm 2026", year=2026)
    make_campaign(app, status=DRAFT, name="Đặc xá năm 2027", year=2027)
    assert counts() == few
    assert max(few) <= 6, few


# --- Reminders ------------------------------------------------------------------------------------


def reminder_rows(app, slug) -> set[tuple[str, str]]:
    with app.app_context(), use_tenant(tenant(slug)):
        return set(db.session.execute(select(ReportReminder.period, ReportReminder.kind)).all())


def remind(app, on, **kwargs) -> int:
    with app.app_context():
        return reminders.remind_campaigns(on, **kwargs)


def test_reminders_before_and_after_the_deadline_once_each(app):
    cid = make_campaign(app)
    make_campaign(app, status=DRAFT, name="Bản nháp")  # a draft reminds no one
    key = f"campaign-{cid}"
    unit_side(app, AN_KHANH, cid, submitted_at=datetime(2025, 9, 5, 2))
    assert remind(app, date(2025, 9, 6)) == 0  # four days before
    assert remind(app, date(2025, 9, 7)) == UNITS - 1
    assert remind(app, date(2025, 9, 7)) == 0
    assert remind(app, date(2025, 9, 10)) == 0  # the due date itself: still due soon, already told
    assert remind(app, date(2025, 9, 11)) == UNITS - 1
    assert reminder_rows(app, CAT_HAI) == {(key, "due_soon"), (key, "late")}
    assert reminder_rows(app, AN_KHANH) == set()  # submitted: nothing to remind
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        late = db.session.scalar(select(ReportReminder).where(ReportReminder.kind == "late"))
        assert late.due_on == DUE and late.emailed == 0
        with force_locale("en"):
            assert reminders.label(late) == "Special-pardon campaign report overdue since 10/09/2025"
        assert reminders.label(late) == "Báo cáo kết quả công tác đặc xá quá hạn từ ngày 10/09/2025"


def test_a_late_submission_stops_the_reminders(app):
    cid = make_campaign(app)
    unit_side(app, CAT_HAI, cid, submitted_at=datetime(2025, 9, 12, 2))
    assert remind(app, date(2025, 9, 12)) == UNITS - 1
    assert reminder_rows(app, CAT_HAI) == set()


class Inbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.envelopes.append(envelope)
        return "250 OK"


def test_a_campaign_reminder_is_mailed_through_the_reports_mail_settings(app, monkeypatch):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        for key, value in {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": controller.port, "MAIL_USE_TLS": False,
                           "MAIL_FROM": "portal@congan.example", "MAIL_USERNAME": "", "MAIL_PASSWORD": ""}.items():
            monkeypatch.setitem(app.config, key, value)
        cid = make_campaign(app)
        remind(app, date(2025, 9, 11))
        with app.app_context(), use_tenant(tenant(CAT_HAI)):
            rows = db.session.scalars(select(ReportReminder)).all()
            campaign = db.session.get(Campaign, cid)
            told = reminders.notify(tenant(CAT_HAI), rows, {campaign.period_key: campaign}, ["cand@cathai.example"])
            assert told == 1 and {r.emailed for r in db.session.scalars(select(ReportReminder))} == {1}
    finally:
        controller.stop()
    assert len(inbox.envelopes) == 1 and inbox.envelopes[0].rcpt_tos == ["cand@cathai.example"]
    body = message_from_bytes(inbox.envelopes[0].content, policy=policy.default).get_content()
    assert "Đặc xá năm 2025" in body and "10/09/2025" in body and f"campaign-{cid}" not in body


# --- Who may use these pages ----------------------------------------------------------------------


@pytest.mark.parametrize("role, unit", [
    ("commune_police", CAT_HAI), ("commune_leader", AN_KHANH), ("mttq_member", LE_CHAN), ("system_admin", None),
])
def test_only_the_city_police_may_use_the_campaign_pages(app, login, role, unit):
    cid = make_campaign(app, status=DRAFT)
    client = login(role, unit)
    for method, url in [
        ("get", "/city/campaigns/"), ("get", "/city/campaigns/new"), ("post", "/city/campaigns/new"),
        ("get", f"/city/campaigns/{cid}/edit"), ("post", f"/city/campaigns/{cid}/edit"),
        ("post", f"/city/campaigns/{cid}/open"), ("get", f"/city/campaigns/{cid}"),
        ("get", f"/city/campaigns/{cid}/export.xlsx"),
    ]:
        response = getattr(client, method)(url, data=form() if method == "post" else None)
        assert response.status_code == 403, (role, url)
    with app.app_context():
        assert db.session.get(Campaign, cid).status == DRAFT
        assert db.session.scalar(select(func.count()).select_from(Campaign)) == 1


def test_the_city_home_links_to_the_campaigns(city):
    assert 'href="/city/campaigns/"' in city.get("/city/").get_data(as_text=True)
