"""A unit's report through its pages: police open, write and submit it, the leader approves or returns
it with a reason, Front members read and comment. The figures are live for a draft and frozen on
submission; lateness is recorded; each figure lists exactly the people it counts, in the unit only;
another unit and city roles get 404 with real ids; every page costs a fixed number of statements."""

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from blueprints.reports import services
from blueprints.reports.models import Report
from blueprints.reports.periods import containing, parse
from blueprints.returnees import facts
from portal.audit import AuditEvent
from portal.comments import Comment
from portal.extensions import db
from tenants.context import use_tenant
from tests.conftest import tenant
from tests.helpers_returnees import AN_KHANH, CAT_HAI, make_returnee, under_management

Q3 = "2026-Q3"  # people taken under management on 1 June 2026 (the helpers' date) count in it


def base(slug=CAT_HAI):
    return f"/t/{slug}/reports"


def text(response) -> str:
    return response.get_data(as_text=True)


def people(app, n, slug=CAT_HAI, group="B", start=0) -> list[int]:
    """`n` people of the unit under management since 1 June 2026 (as the app moves them)."""
    ids = []
    for i in range(start, start + n):
        rid = make_returnee(app, slug, full_name=f"Phạm Văn Hùng {slug[:3]} {i:03d}", national_id=f"0310{i:08d}")
        under_management(app, slug, rid, group)
        ids.append(rid)
    return ids


def open_period(client, period=Q3, slug=CAT_HAI, **extra) -> int:
    kind = parse(period).kind if period else extra.pop("kind")
    response = client.post(f"{base(slug)}/open", data={"kind": kind, "period": period or "", **extra})
    assert response.status_code == 303, text(response)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def load(app, report_id, slug=CAT_HAI) -> Report:
    with app.app_context(), use_tenant(tenant(slug)):
        report = db.session.scalar(select(Report).where(Report.id == report_id))
        db.session.expunge_all()
        return report


def figure(page: str, key: str) -> str:
    """The figure's value as shown on the report page (link text or plain number)."""
    m = re.search(rf'<tr id="figure-{key}">.*?<td class="num">(.*?)</td>', page, re.S)
    assert m, key
    return re.sub(r"<[^>]+>", "", m[1]).strip()


def listed(page: str) -> list[str]:
    return re.findall(r'<a href="/t/[^/]+/returnees/\d+">([^<]+)</a>', page)


@pytest.fixture
def roles(login):
    return {role: login(role, CAT_HAI, locale="en") for role in ("commune_police", "commune_leader", "mttq_member")}


# --- The lifecycle through the pages --------------------------------------------------------------


def test_police_prepare_leader_returns_and_approves_front_reads_and_comments(app, roles):
    police, leader, front = roles["commune_police"], roles["commune_leader"], roles["mttq_member"]
    rid = open_period(police)
    url = f"{base()}/{rid}"
    page = text(police.get(url))
    assert "Quarter III/2026" in page and "Not yet frozen" in page and "Submit to the leader" in page

    edit = text(police.get(f"{url}/edit"))
    version = re.search(r'name="version" type="hidden" value="(\d+)"', edit)[1]
    saved = police.post(f"{url}/edit", data={"version": version, "situation": "Tình hình ổn định.",
                                             "results": "Đã gặp gỡ đầy đủ.", "shortcomings": "", "proposals": ""})
    assert saved.status_code == 303
    assert load(app, rid).sections["situation"] == "Tình hình ổn định."

    # The Front reads and comments, and may do nothing else.
    assert "Tình hình ổn định." in text(front.get(url))
    assert "Submit to the leader" not in text(front.get(url))
    for path in ("/edit", "/submit", "/approve", "/return"):
        assert front.post(f"{url}{path}", data={"reason": "x", "version": version}).status_code == 403
    assert front.get(f"{url}/edit").status_code == 403
    assert front.post(f"{url}/comments", data={"body": "Mặt trận đề nghị bổ sung số liệu việc làm."}).status_code == 303
    assert "Mặt trận đề nghị bổ sung số liệu việc làm." in text(police.get(url))

    assert leader.post(f"{url}/approve").status_code == 409  # a draft cannot be approved
    assert police.post(f"{url}/submit", data={"version": load(app, rid).version}).status_code == 303
    report = load(app, rid)
    assert report.status == "submitted" and report.figures is not None and report.submitted_at is not None
    assert "Frozen when the report was submitted" in text(leader.get(url))
    assert police.get(f"{url}/edit").status_code == 409
    late_edit = police.post(f"{url}/edit", data={"version": report.version, "situation": "Bổ sung muộn"})
    assert late_edit.status_code == 409 and "can no longer be changed" in text(late_edit)
    assert "Bổ sung muộn" in text(late_edit) and load(app, rid).sections["situation"] == "Tình hình ổn định."
    assert police.post(f"{url}/submit").status_code == 409

    # Returned without a reason: refused next to the field, nothing changed.
    refused = leader.post(f"{url}/return", data={"reason": "   "})
    assert refused.status_code == 422 and "Say why the report is returned." in text(refused)
    assert load(app, rid).status == "submitted" and load(app, rid).version == report.version

    assert leader.post(f"{url}/return", data={"reason": "Thiếu số liệu vay vốn."}).status_code == 303
    report = load(app, rid)
    assert report.status == "returned" and report.return_reason == "Thiếu số liệu vay vốn."
    assert "Thiếu số liệu vay vốn." in text(police.get(url))

    edit = text(police.get(f"{url}/edit"))
    version = re.search(r'name="version" type="hidden" value="(\d+)"', edit)[1]
    assert police.post(f"{url}/edit", data={"version": version, "situation": "Tình hình ổn định.",
                                            "results": "Đã bổ sung số liệu vay vốn."}).status_code == 303
    assert police.post(f"{url}/submit").status_code == 303
    assert leader.post(f"{url}/approve").status_code == 303
    report = load(app, rid)
    assert report.status == "approved" and report.decided_by == leader.user_id
    assert report.sections["results"] == "Đã bổ sung số liệu vay vốn."
    page = text(front.get(url))
    assert "approved" in page and "Thiếu số liệu vay vốn." not in page
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "reports")))
    assert {"report.open", "report.edit", "report.submit", "report.return", "report.approve"} <= actions


def test_only_the_police_open_reports(app, roles):
    assert 'name="period"' in text(roles["commune_police"].get(f"{base()}/"))
    for role in ("commune_leader", "mttq_member"):
        assert 'name="period"' not in text(roles[role].get(f"{base()}/"))
        assert roles[role].post(f"{base()}/open", data={"kind": "quarter", "period": Q3}).status_code == 403
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        assert db.session.scalar(select(func.count()).select_from(Report)) == 0


def test_the_form_offers_the_month_just_ended(app, roles):
    page = text(roles["commune_police"].get(f"{base()}/"))
    with app.app_context():
        expected = containing("month", facts.today()).previous().key
    assert re.search(rf'name="period" type="text" value="{expected}"', page)


def test_the_pages_render_in_the_default_language(app, login):
    police = login("commune_police", CAT_HAI)  # Vietnamese, the default
    people(app, 1)
    rid = open_period(police)
    for url in ("/", f"/{rid}", f"/{rid}/edit", f"/{rid}/figures/under_management"):
        response = police.get(f"{base()}{url}")
        assert response.status_code == 200 and 'lang="vi"' in text(response), url


def test_a_period_is_opened_once(app, roles):
    police = roles["commune_police"]
    first = open_period(police)
    again = police.post(f"{base()}/open", data={"kind": "quarter", "period": Q3})
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/reports/{first}")
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        assert db.session.scalar(select(func.count()).select_from(Report)) == 1
    # An ad hoc report names its own days.
    adhoc = open_period(police, period=None, kind="adhoc", start="2026-03-01", end="2026-05-15", title="Tết")
    assert load(app, adhoc).period == "2026-03-01_2026-05-15" and load(app, adhoc).title == "Tết"


def test_a_period_opened_by_a_colleague_at_the_same_moment_is_not_doubled(app, roles, monkeypatch):
    police = roles["commune_police"]
    first = open_period(police)
    real_find, misses = services.find, []

    def find_too_early(period):
        # Both lookups of this request run before the colleague's report would be visible.
        if len(misses) < 2:
            misses.append(period.key)
            return None
        return real_find(period)

    monkeypatch.setattr(services, "find", find_too_early)
    again = police.post(f"{base()}/open", data={"kind": "quarter", "period": Q3})
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/reports/{first}")
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        assert db.session.scalar(select(func.count()).select_from(Report)) == 1


@pytest.mark.parametrize("data, field, message", [
    ({"kind": "quarter", "period": "2026-Q9"}, "period", "is not a period"),
    ({"kind": "month", "period": "2026-Q3"}, "period", "Write a period of the kind chosen"),
    ({"kind": "year", "period": "2999"}, "period", "This period has not begun yet."),
    ({"kind": "adhoc", "start": "2026-05-15", "end": "2026-03-01"}, "start", "The end of the period is before"),
    ({"kind": "adhoc", "start": "2026-05-15"}, "start", "Give the first and the last day"),
])
def test_a_bad_period_is_refused_next_to_the_field_with_the_input_kept(app, roles, data, field, message):
    response = roles["commune_police"].post(f"{base()}/open", data=data)
    page = text(response)
    assert response.status_code == 422
    shown = rf'<div class="field invalid">\s*<label for="{field}">.*?<p class="error">[^<]*{message}'
    assert re.search(shown, page, re.S)
    for value in data.values():
        assert f'value="{value}"' in page
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        assert db.session.scalar(select(func.count()).select_from(Report)) == 0


# --- Frozen figures, lateness ---------------------------------------------------------------------


def test_the_submitted_snapshot_stays_while_a_draft_follows_the_data(app, roles):
    police = roles["commune_police"]
    people(app, 2)
    submitted, draft = open_period(police), open_period(police, "2026-09")
    page = text(police.get(f"{base()}/{submitted}"))
    assert figure(page, "under_management") == "2"
    assert figure(page, "contact_compliance") == "0.0 %" and figure(page, "loans_vnd") == "0 ₫"  # rate, money
    assert police.post(f"{base()}/{submitted}/submit").status_code == 303
    frozen = load(app, submitted).figures

    people(app, 1, group="C", start=10)  # a dossier changes after the submission
    assert figure(text(police.get(f"{base()}/{submitted}")), "under_management") == "2"
    assert figure(text(police.get(f"{base()}/{submitted}")), "group_c") == "0"
    assert load(app, submitted).figures == frozen
    live = text(police.get(f"{base()}/{draft}"))
    assert figure(live, "under_management") == "3" and figure(live, "group_c") == "1"


def test_lateness_is_recorded_against_the_due_date(app, roles):
    police = roles["commune_police"]
    with app.test_request_context(), use_tenant(tenant(CAT_HAI)):
        on_time, late = services.open_report(parse("2026-07"), None), services.open_report(parse("2026-08"), None)
        assert on_time.due_on == services.due_on(parse("2026-07")) >= date(2026, 7, 31)
        noon = datetime.combine(on_time.due_on, datetime.min.time()) + timedelta(hours=3)  # 10:00 in Hải Phòng
        services.submit(on_time, None, now=noon)
        midnight = datetime.combine(late.due_on, datetime.min.time()) + timedelta(hours=18)  # 01:00 the next day
        services.submit(late, None, now=midnight)
        db.session.commit()
        assert (on_time.late, late.late) == (False, True)

        # Through the page: the due date is what counts, whenever the test runs.
        future, past = services.open_report(parse("2026-Q1"), None), services.open_report(parse("2026-Q2"), None)
        future.due_on = facts.today() + timedelta(days=3)
        db.session.commit()
        future_id, past_id = future.id, past.id
    assert police.post(f"{base()}/{future_id}/submit").status_code == 303
    assert police.post(f"{base()}/{past_id}/submit").status_code == 303
    assert (load(app, future_id).late, load(app, past_id).late) == (False, True)
    listing = text(police.get(f"{base()}/"))
    assert listing.count(">Late</strong>") == 2 and listing.count("On time") == 2
    assert "late" in text(police.get(f"{base()}/{past_id}"))


# --- Drill-down -----------------------------------------------------------------------------------


def test_a_figure_lists_exactly_its_people_within_the_unit(app, roles):
    police, front = roles["commune_police"], roles["mttq_member"]
    people(app, 3)
    people(app, 1, group="A", start=5)
    others = people(app, 2, slug=AN_KHANH, start=20)
    rid = open_period(police)
    page = text(police.get(f"{base()}/{rid}"))
    assert figure(page, "under_management") == "4" and figure(page, "group_b") == "3"
    assert f'href="{base()}/{rid}/figures/group_b"' in page
    assert f"{base()}/{rid}/figures/outreach_sessions" not in page  # unit-level figures list nobody

    for key, n in (("under_management", 4), ("group_b", 3), ("group_a", 1), ("group_c", 0)):
        response = front.get(f"{base()}/{rid}/figures/{key}")
        assert response.status_code == 200
        names = listed(text(response))
        assert len(names) == n, key
        assert not any(" xa_ " in name for name in names)
        assert all(f"/returnees/{other}\"" not in text(response) for other in others)
    assert "031" not in text(front.get(f"{base()}/{rid}/figures/under_management"))  # no ID numbers

    assert police.get(f"{base()}/{rid}/figures/no_such_figure").status_code == 404
    assert police.get(f"{base()}/{rid}/figures/outreach_sessions").status_code == 404
    with app.app_context():
        reads = db.session.scalars(select(AuditEvent.reason).where(AuditEvent.action == "report.cases")).all()
    assert "figure:group_b" in reads and len(reads) == 5  # the 404s read nothing

    # Once frozen, the list is today's data, shown next to the frozen number.
    assert police.post(f"{base()}/{rid}/submit").status_code == 303
    people(app, 1, start=9)
    page = text(police.get(f"{base()}/{rid}/figures/group_b"))
    assert "4 people today" in page and "in the submitted report: 3" in page and "today's data" in page
    assert len(listed(page)) == 4


def test_the_list_pages_by_fifty(app, roles):
    police = roles["commune_police"]
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        _bulk(53)
    rid = open_period(police)
    first = text(police.get(f"{base()}/{rid}/figures/under_management"))
    second = text(police.get(f"{base()}/{rid}/figures/under_management?page=2"))
    assert len(listed(first)) == 50 and len(listed(second)) == 3 and "53 people today" in first


def _bulk(n, start=0):
    """Many people at once, written straight to the table (the lifecycle has its own tests)."""
    from blueprints.returnees.models import Returnee

    db.session.add_all(
        Returnee(full_name=f"Lê Văn Nam {i:03d}", search_name=f"le van nam {i:03d}", sex="male",
                 date_of_birth=date(1985, 1, 1), release_kind="completed_sentence", status="under_management",
                 group="B", managed_since=date(2026, 6, 1), reported_on=date(2026, 5, 20), needs={})
        for i in range(start, start + n)
    )
    db.session.commit()


# --- Stale edits, comments ------------------------------------------------------------------------


def test_a_stale_save_is_refused_and_keeps_what_was_typed(app, roles, login):
    police, colleague = roles["commune_police"], login("commune_police", CAT_HAI, locale="en")
    rid = open_period(police)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', text(police.get(f"{base()}/{rid}/edit")))[1]
    assert colleague.post(f"{base()}/{rid}/edit", data={"version": version, "situation": "Bản của đồng chí B"}
                          ).status_code == 303
    stale = police.post(f"{base()}/{rid}/edit", data={"version": version, "situation": "Bản của tôi"})
    assert stale.status_code == 409
    assert "Someone else saved this report" in text(stale) and "Bản của tôi" in text(stale)
    assert load(app, rid).sections["situation"] == "Bản của đồng chí B"
    # The refused form carries the saved version: saving again is a deliberate overwrite.
    current = re.search(r'name="version" type="hidden" value="(\d+)"', text(stale))[1]
    assert police.post(f"{base()}/{rid}/edit", data={"version": current, "situation": "Bản của tôi"}
                       ).status_code == 303
    assert load(app, rid).sections["situation"] == "Bản của tôi"


def test_an_action_on_a_changed_report_is_refused(app, roles):
    police, leader = roles["commune_police"], roles["commune_leader"]
    rid = open_period(police)
    seen = load(app, rid).version
    assert police.post(f"{base()}/{rid}/submit", data={"version": seen}).status_code == 303
    assert police.post(f"{base()}/{rid}/submit", data={"version": seen}).status_code == 409
    assert leader.post(f"{base()}/{rid}/approve", data={"version": seen}).status_code == 409
    assert load(app, rid).status == "submitted"


def test_comments_are_deleted_by_their_author_only_within_fifteen_minutes(app, roles):
    police, front = roles["commune_police"], roles["mttq_member"]
    rid = open_period(police)
    assert front.post(f"{base()}/{rid}/comments", data={"body": ""}).status_code == 422
    assert front.post(f"{base()}/{rid}/comments", data={"body": "Ý kiến của Mặt trận"}).status_code == 303
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        comment = db.session.scalar(select(Comment))
        assert (comment.target_type, comment.target_id) == ("report", rid)
        comment_id = comment.id
    delete = f"{base()}/{rid}/comments/{comment_id}/delete"
    assert police.post(delete).status_code == 403
    assert "Delete my comment" in text(front.get(f"{base()}/{rid}"))
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        db.session.get(Comment, comment_id).created_at -= timedelta(minutes=16)
        db.session.commit()
    assert front.post(delete).status_code == 403
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        db.session.get(Comment, comment_id).created_at += timedelta(minutes=10)
        db.session.commit()
    assert front.post(delete).status_code == 303
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


# --- Isolation ------------------------------------------------------------------------------------


def _urls(slug, rid, comment_id):
    url = f"{base(slug)}/{rid}"
    gets = [f"{base(slug)}/", url, f"{url}/edit", f"{url}/figures/under_management"]
    posts = [f"{base(slug)}/open", f"{url}/edit", f"{url}/submit", f"{url}/approve", f"{url}/return",
             f"{url}/comments", f"{url}/comments/{comment_id}/delete"]
    return gets, posts


def test_another_unit_and_city_roles_get_404_with_real_ids(app, login):
    people(app, 2, slug=AN_KHANH)
    owner = login("commune_police", AN_KHANH, locale="en")
    rid = open_period(owner, slug=AN_KHANH)
    assert owner.post(f"{base(AN_KHANH)}/{rid}/comments", data={"body": "Nội bộ An Khánh"}).status_code == 303
    with app.app_context(), use_tenant(tenant(AN_KHANH)):
        comment_id = db.session.scalar(select(Comment.id))
    before = load(app, rid, AN_KHANH)
    data = {"kind": "quarter", "period": Q3, "reason": "x", "body": "x", "situation": "x",
            "version": before.version}

    outsiders = [login(role, CAT_HAI) for role in ("commune_police", "commune_leader", "mttq_member")]
    outsiders += [login("city_police"), login("system_admin")]
    gets, posts = _urls(AN_KHANH, rid, comment_id)
    for client in outsiders:
        for url in gets:
            assert client.get(url).status_code == 404, url
        for url in posts:
            assert client.post(url, data=data).status_code == 404, url
    # Cát Hải's own URLs with An Khánh's real ids find nothing either (each role where it may act).
    gets, posts = _urls(CAT_HAI, rid, comment_id)
    url = f"{base()}/{rid}"
    allowed = {
        "commune_police": (gets[1:], [f"{url}/edit", f"{url}/submit", f"{url}/comments", posts[-1]]),
        "commune_leader": ([url, gets[-1]], [f"{url}/approve", f"{url}/return", f"{url}/comments", posts[-1]]),
        "mttq_member": ([url, gets[-1]], [f"{url}/comments", posts[-1]]),
    }
    for client, (role, (role_gets, role_posts)) in zip(outsiders, allowed.items(), strict=False):
        for target in role_gets:
            assert client.get(target).status_code == 404, (role, target)
        for target in role_posts:
            assert client.post(target, data=data).status_code == 404, (role, target)
    after = load(app, rid, AN_KHANH)
    assert (after.status, after.version, after.sections) == (before.status, before.version, before.sections)
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        assert db.session.scalar(select(func.count()).select_from(Report)) == 0
        assert db.session.scalar(select(func.count()).select_from(Comment)) == 0
    assert "Nội bộ An Khánh" in text(owner.get(f"{base(AN_KHANH)}/{rid}"))


def test_the_list_shows_only_the_units_reports(app, login):
    owner, police = login("commune_police", AN_KHANH, locale="en"), login("commune_police", CAT_HAI, locale="en")
    open_period(owner, "2026-08", slug=AN_KHANH)
    open_period(police, "2026-07")
    page = text(police.get(f"{base()}/"))
    assert "Month 07/2026" in page and "Month 08/2026" not in page


# --- Statement counts ------------------------------------------------------------------------------


def _statements(client, count_queries, url) -> int:
    with count_queries() as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_statement_counts_do_not_grow(app, roles, count_queries):
    police = roles["commune_police"]
    people(app, 1)
    draft, frozen = open_period(police, "2026-07"), open_period(police)
    assert police.post(f"{base()}/{frozen}/submit").status_code == 303
    police.post(f"{base()}/{draft}/comments", data={"body": "một"})
    urls = {
        "list": f"{base()}/",
        "draft": f"{base()}/{draft}",
        "frozen": f"{base()}/{frozen}",
        "cases": f"{base()}/{frozen}/figures/under_management",
    }
    few = {name: _statements(police, count_queries, url) for name, url in urls.items()}

    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        _bulk(30, start=100)
        for month in range(1, 7):
            services.open_report(parse(f"2026-{month:02d}"), None)
        db.session.commit()
    for body in ("hai", "ba", "bốn"):
        police.post(f"{base()}/{draft}/comments", data={"body": body})
        police.post(f"{base()}/{frozen}/comments", data={"body": body})
    many = {name: _statements(police, count_queries, url) for name, url in urls.items()}
    assert few == many
    assert many["list"] <= 6 and many["frozen"] <= 8 and many["cases"] <= 6
