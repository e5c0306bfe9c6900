"""A unit's side of a special-pardon campaign through its pages: the plan made from the city's
template, edited by the police (a stale edit is refused with the input kept), issued by the leader;
task progress; expected people entered as dossiers (never a second copy), linked, imported and
arriving through the lifecycle, with the city's board counts following; the results report; comments.
Front members read and comment only; another unit and city roles get 404 with real ids; pages cost a
fixed number of statements."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from blueprints.campaigns import services
from blueprints.campaigns.models import Campaign, CampaignProgress, PlanTask, UnitPlan
from blueprints.campaigns.template import DEFAULT_TASKS
from blueprints.reports.models import Report
from blueprints.returnees import facts
from blueprints.returnees.models import Returnee
from portal.comments import Comment
from portal.extensions import db
from tenants.context import use_tenant
from tests.conftest import tenant
from tests.helpers_returnees import AN_KHANH, CAT_HAI, THIRD, make_returnee

ROLES = ("commune_police", "commune_leader", "mttq_member")


# --- Helpers (test_loan_lists imports them too) -----------------------------------------------------


def today(app) -> date:
    with app.app_context():
        return facts.today()


def make_campaign(app, *, opened=True, due_in=30) -> int:
    with app.app_context():
        campaign = services.new_campaign(
            None, name="Đặc xá năm 2025 (đợt 2)", year=2025, round=2, pardon_decision_number="1244/QĐ-CTN",
            pardon_decision_date=date(2025, 7, 3), release_decision_number="1693/QĐ-CTN",
            release_effective_on=date(2025, 9, 1), city_plan_number="1958/UBND-NC", city_plan_date=date(2025, 7, 23),
            report_due_on=facts.today() + timedelta(days=due_in),
        )
        if opened:
            services.open_campaign(campaign, None)
        db.session.commit()
        return campaign.id


def base(slug=AN_KHANH) -> str:
    return f"/t/{slug}/campaigns"


def text(response) -> str:
    return response.get_data(as_text=True)


def in_unit(app, slug, fn):
    """fn() run inside the unit, its result detached from the session."""
    with app.app_context(), use_tenant(tenant(slug)):
        result = fn()
        db.session.expunge_all()
        return result


def plan_row(app, campaign_id, slug=AN_KHANH) -> UnitPlan:
    def load():
        plan = db.session.scalar(select(UnitPlan).where(UnitPlan.campaign_id == campaign_id))
        if plan is not None:
            list(plan.tasks)
        return plan
    return in_unit(app, slug, load)


def progress(app, campaign_id, slug=AN_KHANH) -> CampaignProgress:
    with app.app_context():
        row = db.session.scalar(select(CampaignProgress).where(
            CampaignProgress.campaign_id == campaign_id, CampaignProgress.tenant_id == tenant(slug).id))
        db.session.expunge_all()
        return row


def person_data(**overrides) -> dict:
    data = {"full_name": "Trần Văn Khải", "sex": "male", "date_of_birth": "1988-04-12",
            "national_id": "031088004321", "hamlet": "Thôn Đông", "address": "Số 5 ngõ 2",
            "prison": "Trại giam Xuân Nguyên", "notice_received_on": "2025-08-01",
            "expected_release_date": "2025-09-01"}
    data.update(overrides)
    return data


def add_person(client, campaign_id, slug=AN_KHANH, **overrides) -> int:
    response = client.post(f"{base(slug)}/{campaign_id}/people/new", data=person_data(**overrides))
    assert response.status_code == 303, text(response)
    national_id = overrides.get("national_id", person_data()["national_id"])
    return in_unit(client.application, slug,
                   lambda: db.session.scalar(select(Returnee.id).where(Returnee.national_id == national_id)))


def arrival(day: date, release: date | None = None, deadline: date | None = None, version=None) -> dict:
    data = {"reported_on": day.isoformat(), "work_session_minutes": "Biên bản làm việc", "commitment_signed": "y"}
    if release:
        data["release_date"] = release.isoformat()
    if deadline:
        data["reporting_deadline"] = deadline.isoformat()
    if version is not None:
        data["version"] = str(version)
    return data


def arrive(client, campaign_id, returnee_id, data, slug=AN_KHANH):
    url = f"{base(slug)}/{campaign_id}/people/{returnee_id}/arrive"
    if "version" not in data:
        page = text(client.get(url))
        data = {**data, "version": re.search(r'name="version"[^>]*value="(\d+)"', page)[1]}
    return client.post(url, data=data)


def plan_form(plan: UnitPlan, **overrides) -> dict:
    """The plan form as the page fills it (every task row), with `overrides` applied."""
    data = {"version": str(plan.version)}
    for name in ("number", "place", "signer_name", "signer_title", "purpose", "content", "organisation",
                 "recipients"):
        data[name] = getattr(plan, name) or ""
    data["signed_on"] = plan.signed_on.isoformat() if plan.signed_on else ""
    for i, task in enumerate(plan.tasks):
        data.update({f"tasks-{i}-id": str(task.id), f"tasks-{i}-agency": task.agency, f"tasks-{i}-text": task.text,
                     f"tasks-{i}-due_on": task.due_on.isoformat() if task.due_on else "",
                     f"tasks-{i}-status": task.status, f"tasks-{i}-note": task.note or ""})
    data.update(overrides)
    return data


@pytest.fixture
def roles(login):
    return {role: login(role, AN_KHANH, locale="en") for role in ROLES}


# --- The plan ---------------------------------------------------------------------------------------------


def test_plan_from_template_edited_issued_by_the_leader_and_tasks_progress(app, roles):
    police, leader = roles["commune_police"], roles["commune_leader"]
    cid = make_campaign(app)
    page = police.get(f"{base()}/{cid}")
    assert page.status_code == 200
    plan = plan_row(app, cid)  # made on first view: the opening job had not reached the unit
    assert [t.text for t in plan.tasks] == [row["text"] for row in DEFAULT_TASKS]
    assert plan.status == "draft" and "Huy động sức mạnh" in plan.purpose
    assert DEFAULT_TASKS[0]["text"][:40] in text(page)
    assert progress(app, cid).plan_status == "draft"

    # "Add a row" posts the form back with one more empty row and saves nothing.
    added = police.post(f"{base()}/{cid}/plan", data=plan_form(plan, action="add"))
    assert added.status_code == 200
    assert f'name="tasks-{len(plan.tasks)}-text"' in text(added)
    assert plan_row(app, cid).version == plan.version

    # A task row emptied without ticking "Remove" is refused next to the field; nothing is saved.
    blank = police.post(f"{base()}/{cid}/plan", data=plan_form(plan, **{"tasks-2-text": "", "action": "save"}))
    assert blank.status_code == 422 and "Write the task, or tick" in text(blank)
    assert plan_row(app, cid).version == plan.version

    n = len(plan.tasks)
    rows = {"tasks-1-remove": "y", "tasks-0-status": "in_progress", f"tasks-{n}-agency": "economic",
            f"tasks-{n}-text": "Hỗ trợ sinh kế", f"tasks-{n}-status": "todo", "action": "save"}
    edit = plan_form(plan, number="13/KH-UBND", signed_on="2025-07-28", signer_name="Nguyễn Khắc Thuỷ",
                     signer_title="KT. Chủ tịch", **rows)
    assert police.post(f"{base()}/{cid}/plan", data=edit).status_code == 303
    saved = plan_row(app, cid)
    assert saved.number == "13/KH-UBND" and saved.signed_on == date(2025, 7, 28)
    assert len(saved.tasks) == n  # one removed, one added
    assert saved.tasks[0].status == "in_progress" and saved.tasks[-1].text == "Hỗ trợ sinh kế"
    assert DEFAULT_TASKS[1]["text"] not in [t.text for t in saved.tasks]

    # A form filled before that save is refused, what was typed kept, nothing saved.
    stale = police.post(f"{base()}/{cid}/plan", data=plan_form(plan, number="99/KH-UBND"))
    assert stale.status_code == 409
    assert 'value="99/KH-UBND"' in text(stale) and "Someone else saved this plan" in text(stale)
    assert plan_row(app, cid).number == "13/KH-UBND"

    # Only the leader issues it.
    version = {"version": str(saved.version)}
    assert police.post(f"{base()}/{cid}/plan/issue", data=version).status_code == 403
    assert leader.post(f"{base()}/{cid}/plan/issue", data=version).status_code == 303
    issued = plan_row(app, cid)
    assert issued.status == "issued" and issued.issued_at is not None
    board = progress(app, cid)
    assert (board.plan_status, board.plan_issued_on, board.tasks_total) == ("issued", date(2025, 7, 28), n)

    # Issued: no more editing (said so), but task progress goes on.
    refused = police.get(f"{base()}/{cid}/plan")
    assert refused.status_code == 409 and "issued" in text(refused)
    assert police.post(f"{base()}/{cid}/plan", data=plan_form(issued, number="x")).status_code == 409
    task = issued.tasks[0]
    done = police.post(f"{base()}/{cid}/tasks/{task.id}", data={"status": "done", "note": "Đã triển khai"})
    assert done.status_code == 303
    assert in_unit(app, AN_KHANH, lambda: db.session.get(PlanTask, task.id)).status == "done"
    assert progress(app, cid).tasks_done == 1


def test_issuing_needs_the_number_and_date(app, roles):
    cid = make_campaign(app)
    roles["commune_police"].get(f"{base()}/{cid}")
    plan = plan_row(app, cid)
    response = roles["commune_leader"].post(f"{base()}/{cid}/plan/issue", data={"version": str(plan.version)},
                                            follow_redirects=True)
    assert "Give the plan its number before issuing it." in text(response)
    assert plan_row(app, cid).status == "draft"


def test_a_draft_campaign_does_not_exist_for_units(app, roles):
    cid = make_campaign(app, opened=False)
    for url in (f"{base()}/{cid}", f"{base()}/{cid}/plan", f"{base()}/{cid}/people/new"):
        assert roles["commune_police"].get(url).status_code == 404
    index = text(roles["commune_police"].get(f"{base()}/"))
    assert str(cid) not in re.findall(r"/campaigns/(\d+)", index) and "Đặc xá năm 2025" not in index


# --- People --------------------------------------------------------------------------------------------


def test_expected_people_are_dossiers_never_copied_and_arrivals_move_the_board(app, roles):
    police = roles["commune_police"]
    cid = make_campaign(app)
    day = today(app)
    rid = add_person(police, cid)

    def rows():
        return db.session.scalars(select(Returnee)).all()
    people = in_unit(app, AN_KHANH, rows)
    assert len(people) == 1
    person = people[0]
    assert (person.status, person.release_kind, person.campaign_id) == ("expected", "special_pardon", cid)
    assert person.pardon_decision == "1244/QĐ-CTN" and person.notice_received_on == date(2025, 8, 1)
    assert progress(app, cid).expected == 1

    # The same personal ID again: refused, with the existing dossier, and no second copy.
    again = police.post(f"{base()}/{cid}/people/new", data=person_data(full_name="Trần Văn Khải B"))
    assert again.status_code == 422
    assert "already exists in this unit" in text(again)
    assert f"/returnees/{rid}" in text(again) and "already among the campaign" in text(again)
    assert len(in_unit(app, AN_KHANH, rows)) == 1

    # An open dossier entered before the campaign is linked, not copied.
    other = make_returnee(app, AN_KHANH, full_name="Lê Thị Hoa", sex="female", national_id="031090009999",
                          release_kind="special_pardon")
    offered = police.post(f"{base()}/{cid}/people/new", data=person_data(full_name="Lê Thị Hoa",
                                                                         national_id="031090009999"))
    assert offered.status_code == 422
    link = f"{base()}/{cid}/people/{other}/link"
    assert link in text(offered)
    assert police.post(link).status_code == 303
    assert in_unit(app, AN_KHANH, lambda: db.session.get(Returnee, other)).campaign_id == cid
    assert len(in_unit(app, AN_KHANH, rows)) == 2
    assert progress(app, cid).expected == 2

    # The prison's expected release date (01/09/2025) has passed and neither has presented.
    waiting = text(police.get(f"{base()}/{cid}"))
    assert waiting.count("Not arrived after the release date") == 1  # the linked one has no expected date
    assert f"{base()}/{cid}/people/{rid}/arrive" in waiting

    # Arrivals: the lifecycle's `received`; one after the certificate's deadline (late), one on time.
    late = arrive(police, cid, rid, arrival(day, release=day - timedelta(days=10), deadline=day - timedelta(days=3)))
    assert late.status_code == 303, text(late)
    on_time = arrive(police, cid, other, arrival(day - timedelta(days=1), release=day - timedelta(days=2),
                                                 deadline=day + timedelta(days=5)))
    assert on_time.status_code == 303, text(on_time)
    first = in_unit(app, AN_KHANH, lambda: db.session.get(Returnee, rid))
    assert first.status == "received" and first.reported_on == day and first.release_date == day - timedelta(days=10)
    board = progress(app, cid)
    assert (board.expected, board.arrived, board.presented_on_time, board.presented_late) == (2, 2, 1, 1)
    page = text(police.get(f"{base()}/{cid}"))
    assert "Presented late" in page and "Presented on time" in page
    assert f"Arrived on {day.strftime('%d/%m/%Y')}" in page
    # Arrived already: the arrival page refuses.
    assert police.get(f"{base()}/{cid}/people/{rid}/arrive").status_code == 409


def test_an_arrival_missing_a_fact_is_refused_with_the_input_kept(app, roles):
    police = roles["commune_police"]
    cid = make_campaign(app)
    rid = add_person(police, cid)
    data = arrival(today(app))
    del data["work_session_minutes"]
    response = arrive(police, cid, rid, data)
    assert response.status_code == 422 and "Required for this status." in text(response)
    assert in_unit(app, AN_KHANH, lambda: db.session.get(Returnee, rid)).status == "expected"


def test_import_of_the_prisons_notices_makes_expected_people_of_the_campaign(app, roles):
    police = roles["commune_police"]
    cid = make_campaign(app)
    csv = ("Họ và tên;Giới tính;Ngày sinh;Số định danh cá nhân;Trại giam;Ngày nhận thông báo\n"
           "Phạm Văn An;Nam;01/02/1990;031090000111;Trại giam Thanh Xuân;01/08/2025\n"
           "Đỗ Thị Bình;Nữ;03/04/1992;031092000222;Trại giam Thanh Xuân;02/08/2025\n")
    import io
    response = police.post(f"{base()}/{cid}/people/import",
                           data={"file": (io.BytesIO(csv.encode()), "thong-bao.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 303, text(response)
    people = in_unit(app, AN_KHANH, lambda: db.session.scalars(select(Returnee).order_by(Returnee.id)).all())
    assert [(p.status, p.release_kind, p.campaign_id, p.pardon_decision) for p in people] == [
        ("expected", "special_pardon", cid, "1244/QĐ-CTN")] * 2
    assert progress(app, cid).expected == 2

    wrong = csv.replace("Ngày nhận thông báo", "Ngày nhận thông báo;Diện").replace(
        "031090000111;Trại giam Thanh Xuân;01/08/2025", "031090000333;Trại giam Thanh Xuân;01/08/2025;"
        "Chấp hành xong án phạt tù").replace("031092000222", "031092000444")
    refused = police.post(f"{base()}/{cid}/people/import",
                          data={"file": (io.BytesIO(wrong.encode()), "thong-bao.csv")},
                          content_type="multipart/form-data")
    assert refused.status_code == 422 and "This import takes only" in text(refused)
    assert in_unit(app, AN_KHANH, lambda: db.session.scalar(select(func.count()).select_from(Returnee))) == 2


# --- Report, comments, Front members ------------------------------------------------------------------


def test_results_report_is_opened_for_the_campaign_and_linked(app, roles):
    police = roles["commune_police"]
    cid = make_campaign(app)
    response = police.post(f"{base()}/{cid}/report")
    assert response.status_code == 303 and "/reports/" in response.headers["Location"]
    report = in_unit(app, AN_KHANH, lambda: db.session.scalar(select(Report)))
    with app.app_context():
        due = db.session.get(Campaign, cid).report_due_on
    assert (report.campaign_id, report.period_kind, report.due_on) == (cid, "campaign", due)
    assert progress(app, cid).report_status == "draft"
    assert f"/reports/{report.id}" in text(police.get(f"{base()}/{cid}"))
    assert police.post(f"{base()}/{cid}/report").headers["Location"].endswith(f"/reports/{report.id}")


def test_front_members_read_and_comment_but_change_nothing(app, roles, login):
    police, front = roles["commune_police"], roles["mttq_member"]
    cid = make_campaign(app)
    rid = add_person(police, cid)
    assert front.get(f"{base()}/{cid}").status_code == 200  # a first view by a reader makes the plan too
    plan = plan_row(app, cid)
    task = plan.tasks[0]
    month = today(app).strftime("%Y-%m")
    assert police.post(f"{base()}/loans", data={"month": month, "campaign_id": str(cid)}).status_code == 303

    for url in (f"{base()}/", f"{base()}/{cid}", f"{base()}/loans", f"{base()}/loans/{month}",
                f"{base()}/loans/{month}.xlsx"):
        assert front.get(url).status_code == 200, url
    page = text(front.get(f"{base()}/{cid}"))
    assert "031088004321" not in page and "••••••••4321" in page
    assert "031088004321" in text(police.get(f"{base()}/{cid}"))

    assert front.post(f"{base()}/{cid}/comments", data={"body": "Mặt trận đề nghị bổ sung"}).status_code == 303
    assert front.post(f"{base()}/{cid}/comments", data={"body": " "}).status_code == 422
    notes = in_unit(app, AN_KHANH, lambda: db.session.scalars(select(Comment)).all())
    assert [(n.target_type, n.target_id, n.body) for n in notes] == [("campaign_plan", plan.id,
                                                                      "Mặt trận đề nghị bổ sung")]
    assert "Mặt trận đề nghị bổ sung" in text(police.get(f"{base()}/{cid}"))

    writes = [("get", f"{base()}/{cid}/plan"), ("post", f"{base()}/{cid}/plan"),
              ("post", f"{base()}/{cid}/plan/issue"), ("post", f"{base()}/{cid}/tasks/{task.id}"),
              ("get", f"{base()}/{cid}/people/new"), ("post", f"{base()}/{cid}/people/new"),
              ("post", f"{base()}/{cid}/people/{rid}/link"), ("get", f"{base()}/{cid}/people/{rid}/arrive"),
              ("post", f"{base()}/{cid}/people/{rid}/arrive"), ("get", f"{base()}/{cid}/people/import"),
              ("post", f"{base()}/{cid}/people/import"), ("post", f"{base()}/{cid}/report"),
              ("post", f"{base()}/loans"), ("post", f"{base()}/loans/{month}/entries"),
              ("post", f"{base()}/loans/{month}/entries/1/delete"), ("post", f"{base()}/loans/{month}/certify")]
    for method, url in writes:
        assert getattr(front, method)(url).status_code == 403, (method, url)
    assert plan_row(app, cid).version == plan.version


# --- Isolation -----------------------------------------------------------------------------------------


def _routes(cid, plan_id, task_id, rid, month, entry_id, slug=AN_KHANH):
    b = base(slug)
    return [
        ("get", f"{b}/"), ("get", f"{b}/{cid}"), ("post", f"{b}/{cid}/comments"), ("post", f"{b}/{cid}/report"),
        ("get", f"{b}/{cid}/plan"), ("post", f"{b}/{cid}/plan"), ("post", f"{b}/{cid}/plan/issue"),
        ("post", f"{b}/{cid}/tasks/{task_id}"), ("get", f"{b}/{cid}/people/new"),
        ("post", f"{b}/{cid}/people/{rid}/link"), ("get", f"{b}/{cid}/people/{rid}/arrive"),
        ("post", f"{b}/{cid}/people/{rid}/arrive"), ("get", f"{b}/{cid}/people/import"),
        ("get", f"{b}/loans"), ("post", f"{b}/loans"), ("get", f"{b}/loans/{month}"),
        ("get", f"{b}/loans/{month}.xlsx"), ("post", f"{b}/loans/{month}/entries"),
        ("post", f"{b}/loans/{month}/entries/{entry_id}/delete"), ("post", f"{b}/loans/{month}/certify"),
    ]


def _an_khanh_world(app, roles):
    """A campaign in An Khánh with a plan, a person who arrived, and a loan list with that person."""
    police = roles["commune_police"]
    cid = make_campaign(app)
    day = today(app)
    rid = add_person(police, cid)
    assert arrive(police, cid, rid, arrival(day, release=day - timedelta(days=5))).status_code == 303
    month = day.strftime("%Y-%m")
    police.post(f"{base()}/loans", data={"month": month, "campaign_id": str(cid)})
    response = police.post(f"{base()}/loans/{month}/entries", data={
        "returnee_id": str(rid), "purpose": "business", "amount_vnd": "30.000.000", "term_months": "36"})
    assert response.status_code == 303, text(response)
    police.get(f"{base()}/{cid}")
    plan = plan_row(app, cid)
    from blueprints.campaigns.models import LoanListEntry
    entry_id = in_unit(app, AN_KHANH, lambda: db.session.scalar(select(LoanListEntry.id)))
    return cid, plan.id, plan.tasks[0].id, rid, month, entry_id


def test_another_unit_and_city_roles_get_404_with_real_ids(app, roles, login):
    cid, plan_id, task_id, rid, month, entry_id = _an_khanh_world(app, roles)
    outsiders = [login(role, CAT_HAI) for role in ROLES] + [login("city_police"), login("system_admin")]
    for client in outsiders:
        for method, url in _routes(cid, plan_id, task_id, rid, month, entry_id):
            assert getattr(client, method)(url).status_code == 404, (method, url)
    # In their own unit, An Khánh's task, person and loan list are not found either.
    cat_hai_police = outsiders[0]
    assert cat_hai_police.get(f"{base(CAT_HAI)}/{cid}").status_code == 200  # their own plan of the campaign
    for method, url in [("post", f"{base(CAT_HAI)}/{cid}/tasks/{task_id}"),
                        ("get", f"{base(CAT_HAI)}/{cid}/people/{rid}/arrive"),
                        ("post", f"{base(CAT_HAI)}/{cid}/people/{rid}/link"),
                        ("get", f"{base(CAT_HAI)}/loans/{month}"), ("get", f"{base(CAT_HAI)}/loans/{month}.xlsx"),
                        ("post", f"{base(CAT_HAI)}/loans/{month}/entries/{entry_id}/delete")]:
        assert getattr(cat_hai_police, method)(url, data={"status": "done"}).status_code == 404, url
    assert in_unit(app, AN_KHANH, lambda: db.session.get(PlanTask, task_id)).status == "todo"


def test_another_units_people_never_appear(app, roles, login):
    cid = make_campaign(app)
    theirs = login("commune_police", CAT_HAI, locale="en")
    day = today(app)
    other = add_person(theirs, cid, slug=CAT_HAI, full_name="Vũ Văn Cát Hải", national_id="031077001111")
    assert arrive(theirs, cid, other, arrival(day, release=day - timedelta(days=5)), slug=CAT_HAI).status_code == 303
    police = roles["commune_police"]
    add_person(police, cid, full_name="Ngô Văn An Khánh", national_id="031077002222")
    month = day.strftime("%Y-%m")
    police.post(f"{base()}/loans", data={"month": month, "campaign_id": str(cid)})
    for url in (f"{base()}/{cid}", f"{base()}/", f"{base()}/loans/{month}"):
        page = text(police.get(url))
        assert "Cát Hải" not in page.replace(tenant_name(app, CAT_HAI), "") and "031077001111" not in page
    assert "Ngô Văn An Khánh" in text(police.get(f"{base()}/{cid}"))
    index = text(police.get(f"{base()}/"))
    assert re.search(r'<td class="num" data-label="Expected">1</td>', index)
    # Their arrival is theirs: An Khánh's counts are its own.
    assert progress(app, cid).arrived == 0 and progress(app, cid, CAT_HAI).arrived == 1
    # Their person is not offered for An Khánh's loan list, and cannot be posted to it.
    response = police.post(f"{base()}/loans/{month}/entries", data={
        "returnee_id": str(other), "purpose": "business", "amount_vnd": "1000000", "term_months": "12"})
    assert response.status_code == 422 and "Vũ Văn" not in text(response)


def tenant_name(app, slug) -> str:
    with app.app_context():
        return tenant(slug).name


# --- Cost ------------------------------------------------------------------------------------------------


def _statements(client, count_queries, url) -> int:
    with count_queries() as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_campaign_pages_cost_a_fixed_number_of_statements(app, roles, count_queries):
    police = roles["commune_police"]
    cid = make_campaign(app)
    day = today(app)
    rid = add_person(police, cid)
    arrive(police, cid, rid, arrival(day, release=day - timedelta(days=5)))
    police.post(f"{base()}/{cid}/comments", data={"body": "một"})
    urls = {"index": f"{base()}/", "show": f"{base()}/{cid}"}
    few = {name: _statements(police, count_queries, url) for name, url in urls.items()}

    for i in range(6):
        pid = add_person(police, cid, full_name=f"Người thứ {i}", national_id=f"03109900{i:04d}",
                         date_of_birth=f"19{70 + i}-01-01")
        if i % 2:
            arrive(police, cid, pid, arrival(day, release=day - timedelta(days=5)))
        police.post(f"{base()}/{cid}/comments", data={"body": f"ý kiến {i}"})
    make_campaign(app)
    police.get(f"{base()}/{cid + 1}")
    police.post(f"{base()}/loans", data={"month": day.strftime("%Y-%m"), "campaign_id": str(cid)})
    many = {name: _statements(police, count_queries, url) for name, url in urls.items()}
    assert few == many
    assert many["show"] <= 14


def test_the_opening_job_step_gives_a_unit_its_plan_without_a_view(app):
    """ensure_plan in the unit (what the opening job does per unit) makes the same plan as a first view."""
    cid = make_campaign(app)
    with app.app_context(), use_tenant(tenant(THIRD)):
        services.ensure_plan(db.session.get(Campaign, cid))
        db.session.commit()
    assert len(plan_row(app, cid, THIRD).tasks) == len(DEFAULT_TASKS)
    assert plan_row(app, cid) is None
