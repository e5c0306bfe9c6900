"""The city roll-up board: completeness, figures and totals of every unit from what units published,
the live variant computed unit by unit (in-process, and on a real rq worker in the PostgreSQL pass),
a unit's aggregates without any person, the report deadlines, and who may see them."""

import re
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from blueprints.reports import figures, periods, rollup, services
from blueprints.reports.models import LIVE, REPORTED, Report, ReportDeadline, UnitFigures
from portal.audit import AuditEvent
from portal.extensions import db
from tenants.context import use_tenant
from tenants.models import Tenant
from tests import servers
from tests.conftest import tenant
from tests.helpers_returnees import AN_KHANH, CAT_HAI, THIRD, make_returnee, under_management
from workers.tasks import CityTask

Q2 = "2026-Q2"
TODAY = date(2026, 8, 15)  # Q2 ended, its reports (due 10/07 with a 10-day deadline) are past due
PEOPLE = {
    CAT_HAI: [("Trần Thị Bích Ngọc", "031090009876", "B"), ("Vũ Đình Khoa", "031085004321", "C")],
    AN_KHANH: [("Lê Minh Tuấn", "031092001111", "A")],
    THIRD: [("Hoàng Văn Sơn", "031088002222", "D")],
}
MY_ROUTES = ("index", "board", "recompute", "unit", "dashboard", "deadlines")


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("blueprints.returnees.facts.today", lambda: TODAY)


def set_deadlines(app, **days) -> None:
    with app.app_context():
        for kind, value in days.items():
            db.session.merge(ReportDeadline(period_kind=kind, days_after_end=value))
        db.session.commit()


def report(app, slug: str, period: str = Q2, submitted: datetime | None = None, then: str | None = None) -> None:
    """Open the unit's report the way the app does, submit it at `submitted`, then approve or return it."""
    with app.test_request_context(), use_tenant(tenant(slug)):
        r = services.open_report(periods.parse(period), None)
        services.submit(r, None, now=submitted)
        if then == "approve":
            services.approve(r, None, now=submitted)
        elif then == "return":
            services.send_back(r, None, "Thiếu số liệu nhóm D", now=submitted)
        db.session.commit()


def seed(app) -> None:
    """Cát Hải approved on time, An Khánh submitted late, Lê Chân returned; 111 units without a report."""
    set_deadlines(app, quarter=10, month=5, half=15, year=20, adhoc=7)
    for slug, people in PEOPLE.items():
        for name, national_id, group in people:
            under_management(app, slug, make_returnee(app, slug, full_name=name, national_id=national_id), group)
    report(app, CAT_HAI, submitted=datetime(2026, 7, 3, 2, 30), then="approve")
    report(app, AN_KHANH, submitted=datetime(2026, 7, 20, 8, 0))
    report(app, THIRD, submitted=datetime(2026, 7, 5, 8, 0), then="return")


def unit_row(html: str, code: str) -> str:
    match = re.search(rf'<tr id="unit-{code}".*?</tr>', html, re.S)
    assert match, f"no row for unit {code}"
    return match[0]


def code_of(app, slug: str) -> str:
    with app.app_context():
        return tenant(slug).code


@pytest.fixture
def city(login):
    return login("city_police", locale="en")


def test_the_board_shows_each_units_state_timeliness_and_the_sum_of_counted_reports(app, city):
    seed(app)
    response = city.get(f"/city/rollups/{Q2}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)

    cat_hai = unit_row(html, code_of(app, CAT_HAI))
    assert "approved" in cat_hai and "on time" in cat_hai and "03/07/2026 09:30" in cat_hai  # local time
    an_khanh = unit_row(html, code_of(app, AN_KHANH))
    assert "submitted, awaiting approval" in an_khanh and ">late<" in an_khanh
    third = unit_row(html, code_of(app, THIRD))
    assert "returned for correction" in third and "overdue" in third
    with app.app_context():
        other = db.session.scalar(select(Tenant).where(Tenant.slug.not_in([CAT_HAI, AN_KHANH, THIRD])))
        other_code = other.code
    assert "not submitted" in unit_row(html, other_code) and "overdue" in unit_row(html, other_code)

    with app.app_context():
        p = periods.parse(Q2)
        result = rollup.rollup(p, REPORTED, today=TODAY, due_on=services.due_on(p))
        assert result.completeness == {"approved": 1, "submitted": 1, "returned": 1, "missing": 111}
        assert result.late == 1 and sum(r.overdue for r in result.rows) == 112
        # Totals: the frozen figures of the approved and the submitted report, never the returned one.
        frozen = []
        for slug in (CAT_HAI, AN_KHANH):
            with use_tenant(tenant(slug)):
                frozen.append(db.session.scalar(select(Report.figures)))
        assert result.totals == figures.total(frozen)
        assert result.totals["under_management"] == 3 and result.totals["group_d"] == 0
        published = db.session.scalars(select(UnitFigures).where(UnitFigures.source == REPORTED)).all()
        assert figures.total([u.figures for u in published if u.figures]) == result.totals
    totals_row = re.search(r'<tr class="totals">\s*<th scope="row" colspan="6">City total.*?</tr>', html, re.S)[0]
    assert "(2 units counted)" in totals_row and '<td class="num" data-label="Under management at the end' \
        ' of the period">3</td>' in totals_row


def test_a_missing_report_is_overdue_only_once_its_due_date_has_passed(app, city, monkeypatch):
    seed(app)  # Q2 reports are due on 10/07/2026
    monkeypatch.setattr("blueprints.returnees.facts.today", lambda: date(2026, 7, 10))
    html = city.get(f"/city/rollups/{Q2}").get_data(as_text=True)
    with app.app_context():
        other = db.session.scalar(select(Tenant.code).where(Tenant.slug.not_in([CAT_HAI, AN_KHANH, THIRD])))
    assert "not yet due" in unit_row(html, other) and "0 of 114 units shown" not in html
    assert "0 of 114 units shown" in city.get(f"/city/rollups/{Q2}?state=overdue").get_data(as_text=True)
    monkeypatch.setattr("blueprints.returnees.facts.today", lambda: date(2026, 7, 11))
    html = city.get(f"/city/rollups/{Q2}").get_data(as_text=True)
    assert "overdue" in unit_row(html, other)
    assert "112 of 114 units shown" in city.get(f"/city/rollups/{Q2}?state=overdue").get_data(as_text=True)


def test_the_board_filters_by_state_kind_and_name_without_diacritics(app, city):
    seed(app)
    html = city.get(f"/city/rollups/{Q2}?state=late").get_data(as_text=True)
    assert "1 of 114 units shown" in html and f'id="unit-{code_of(app, AN_KHANH)}"' in html
    html = city.get(f"/city/rollups/{Q2}?q=cat+hai").get_data(as_text=True)
    assert f'id="unit-{code_of(app, CAT_HAI)}"' in html and f'id="unit-{code_of(app, AN_KHANH)}"' not in html
    assert "Total of the units shown" in html
    html = city.get(f"/city/rollups/{Q2}?kind=dac_khu").get_data(as_text=True)
    assert f'id="unit-{code_of(app, CAT_HAI)}"' in html and f'id="unit-{code_of(app, THIRD)}"' not in html
    html = city.get(f"/city/rollups/{Q2}?state=returned").get_data(as_text=True)
    assert "1 of 114 units shown" in html and f'id="unit-{code_of(app, THIRD)}"' in html


def test_choosing_a_period_and_a_bad_one(app, city):
    index = city.get("/city/rollups/")
    assert index.status_code == 200
    html = index.get_data(as_text=True)
    assert "/city/rollups/2026-Q2" in html and "/city/rollups/2026-H1" in html and "/city/rollups/2025" in html
    assert "/city/rollups/2026-07" in html and "/city/rollups/2025-Q3" in html
    assert city.get("/city/rollups/?period=2026-Q1").headers["Location"].endswith("/city/rollups/2026-Q1")
    assert city.get("/city/rollups/?kind=half").headers["Location"].endswith("/city/rollups/2026-H1")
    refused = city.get("/city/rollups/?period=Q9")
    assert refused.status_code == 422 and "is not a period" in refused.get_data(as_text=True)
    for bad in ("2026-Q5", "nonsense"):
        response = city.get(f"/city/rollups/{bad}")
        assert response.status_code == 404 and "is not a period" in response.get_data(as_text=True)
    assert city.get("/city/rollups/2026-Q2/units/99999").status_code == 404


def live_totals_by_hand(app, period: str) -> dict:
    """What every active unit's figures are now, computed in the test unit by unit."""
    p = periods.parse(period)
    with app.app_context():
        units = db.session.scalars(select(Tenant).where(Tenant.active.is_(True))).all()
        values = []
        for unit in units:
            with use_tenant(unit):
                values.append(figures.compute(p))
        return figures.total(values)


def test_the_live_job_publishes_every_active_unit_and_its_totals_match(app, city):
    seed(app)
    with app.app_context():
        tenant(THIRD).active = False  # an inactive unit is neither computed nor shown
        db.session.commit()
    response = city.post(f"/city/rollups/{Q2}/live")
    assert response.status_code == 303
    with app.app_context():
        task = db.session.scalar(select(CityTask))
        assert (task.kind, task.state, task.result) == ("rollups.live", "finished", {"units": 113})
        rows = db.session.scalars(select(UnitFigures).where(UnitFigures.source == LIVE)).all()
        assert len(rows) == 113 and tenant(THIRD).id not in {r.tenant_id for r in rows}
        result = rollup.rollup(periods.parse(Q2), LIVE, today=TODAY)
        assert result.totals == live_totals_by_hand(app, Q2)
        assert result.totals["under_management"] == 3  # Lê Chân's person is in an inactive unit
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "rollup.live")) == 1
    html = city.get(f"/city/rollups/{Q2}?source=live").get_data(as_text=True)
    assert "computed from current data at" in html and "not submitted reports" in html
    assert "Recompute live figures" in html
    assert "(113 units counted)" in html


def test_the_live_job_reads_each_unit_in_one_statement_and_writes_it_in_one(app, city, count_queries):
    """A unit's figures cost one round trip and its live row one more, whatever its data (the
    benchmark's roll-up ratio rests on this; bench/README.md)."""
    seed(app)
    tables = {f.model.__tablename__ for f in figures.FIGURES if f.model is not None}
    reads_data = re.compile(r"\b({})\b".format("|".join(sorted(tables))))
    with app.app_context():
        active = db.session.scalar(select(func.count()).select_from(Tenant).where(Tenant.active.is_(True)))
    with count_queries() as q:
        assert city.post(f"/city/rollups/{Q2}/live").status_code == 303
    writes = [s for s in q.statements if s.startswith("INSERT INTO unit_figures")]
    reads = [s for s in q.statements if reads_data.search(s) and s not in writes]
    assert (len(reads), len(writes)) == (active, active)


@pytest.mark.redis
def test_the_live_job_runs_on_a_real_worker(_migrated, tmp_path, make_user):
    with servers.custom_app(_migrated, tmp_path, JOBS_INLINE=False) as queued:
        seed(queued)
        client = servers.client_for(queued, make_user("city_police", locale="en"))
        first = client.post(f"/city/rollups/{Q2}/live")
        again = client.post(f"/city/rollups/{Q2}/live")  # a second click follows the queued job
        with queued.app_context():
            (task,) = db.session.scalars(select(CityTask)).all()
            assert task.state == "queued"
        assert first.status_code == again.status_code == 303
        assert first.headers["Location"] == again.headers["Location"] == f"/city/jobs/{task.id}"
        servers.run_worker(queued, "reports")
        with queued.app_context():
            task = db.session.scalar(select(CityTask))
            assert (task.state, task.progress, task.result) == ("finished", 100, {"units": 114})
            assert db.session.scalar(
                select(func.count()).select_from(UnitFigures).where(UnitFigures.source == LIVE)) == 114
            result = rollup.rollup(periods.parse(Q2), LIVE, today=TODAY)
        assert result.totals == live_totals_by_hand(queued, Q2)
        assert result.totals["under_management"] == 4


def test_a_units_aggregates_name_no_one(app, city):
    seed(app)
    # A person not yet counted in any report, so only the live figures could ever reflect them.
    make_returnee(app, CAT_HAI, full_name="Đỗ Thị Hồng Nhung", national_id="031095007777")
    city.post(f"/city/rollups/{Q2}/live")
    for source in ("", "?source=live"):
        response = city.get(f"/city/rollups/{Q2}/units/{code_of(app, CAT_HAI)}{source}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "Under management at the end of the period" in html and "Group B" in html
        assert "Quarter II/2026" in html and "approved" in html and "<svg" in html
        for name, national_id, _group in PEOPLE[CAT_HAI] + [("Đỗ Thị Hồng Nhung", "031095007777", "")]:
            assert name not in html and national_id not in html
            assert national_id[-4:] not in html  # not even a masked ID
        assert 'href="/t/' not in html and "/returnees" not in html


UNIT_ROLES = [("commune_police", CAT_HAI), ("commune_leader", CAT_HAI), ("mttq_member", CAT_HAI),
              ("system_admin", None)]


@pytest.mark.parametrize(("role", "unit"), UNIT_ROLES)
def test_only_city_police_reach_the_city_report_pages(app, login, role, unit):
    seed(app)
    client = login(role, unit)
    code = code_of(app, CAT_HAI)
    urls = {
        "index": "/city/rollups/", "board": f"/city/rollups/{Q2}", "recompute": f"/city/rollups/{Q2}/live",
        "unit": f"/city/rollups/{Q2}/units/{code}", "dashboard": "/city/dashboard",
        "deadlines": "/city/report-deadlines",
    }
    rules = {r.endpoint.split(".")[1]: r for r in app.url_map.iter_rules() if r.endpoint.startswith("rollups.")}
    assert set(MY_ROUTES) <= set(rules)
    for name in MY_ROUTES:
        for method in sorted(rules[name].methods - {"HEAD", "OPTIONS"}):
            response = client.open(urls[name], method=method, data={"quarter": "1"})
            # The guard answers 403: a unit role has no role at city level, the admin lacks CITY_ROLLUP.
            assert response.status_code == 403, f"{role}: {method} {urls[name]} → {response.status_code}"
            assert b"031090009876" not in response.data
    with app.app_context():
        assert db.session.scalar(select(CityTask.id)) is None
        assert db.session.get(ReportDeadline, "quarter").days_after_end == 10


def test_deadlines_refuse_bad_input_and_apply_to_reports_opened_afterwards(app, city):
    set_deadlines(app, quarter=10)
    page = city.get("/city/report-deadlines")
    assert page.status_code == 200 and 'name="quarter"' in page.get_data(as_text=True)
    assert "reports already opened keep their due date" in page.get_data(as_text=True)
    with app.test_request_context(), use_tenant(tenant(CAT_HAI)):
        before = services.open_report(periods.parse("2026-Q3"), None)
        db.session.commit()
        assert before.due_on == date(2026, 10, 10)

    form = {"month": "5", "quarter": "abc", "half": "91", "year": "20", "adhoc": "-1"}
    refused = city.post("/city/report-deadlines", data=form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'value="abc"' in html and 'value="91"' in html and 'value="-1"' in html
    assert html.count("Enter a whole number of days from 0 to 90.") == 3
    with app.app_context():
        assert db.session.get(ReportDeadline, "quarter").days_after_end == 10
        assert db.session.get(ReportDeadline, "month") is None

    saved = city.post("/city/report-deadlines", data={**form, "quarter": "25", "half": "90", "adhoc": "0"})
    assert saved.status_code == 303
    with app.app_context():
        assert services.deadlines() == {"month": 5, "quarter": 25, "half": 90, "year": 20, "adhoc": 0}
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "report.deadlines"))
        assert event.user_id == city.user_id
    with app.test_request_context(), use_tenant(tenant(CAT_HAI)):
        assert services.open_report(periods.parse("2026-Q3"), None).due_on == date(2026, 10, 10)  # kept
        new = services.open_report(periods.parse("2026-Q4"), None)
        assert new.due_on == date(2027, 1, 25)
        db.session.rollback()
    assert 'value="25"' in city.get("/city/report-deadlines").get_data(as_text=True)


def publish(app, slugs_or_all, source: str = REPORTED) -> None:
    """Published figures for `Q2` (as a unit writes its own row), for the statement-count tests."""
    with app.app_context():
        units = db.session.scalars(select(Tenant).order_by(Tenant.id)).all()
        chosen = [u for u in units if slugs_or_all == "all" or u.slug in slugs_or_all]
        values = figures.total([])
        for unit in chosen:
            with use_tenant(unit):
                db.session.add(UnitFigures(
                    tenant_id=unit.id, period=Q2, source=source, status="submitted" if source == REPORTED else None,
                    due_on=date(2026, 7, 10), submitted_at=datetime(2026, 7, 1), late=False,
                    figures={**values, "under_management": 2, "contacts_expected": 4, "contacts_on_schedule": 3},
                ))
                db.session.commit()


def test_statement_counts_do_not_grow_with_the_units_published(app, city, count_queries):
    urls = [f"/city/rollups/{Q2}", f"/city/rollups/{Q2}?source=live", "/city/dashboard",
            f"/city/rollups/{Q2}/units/{code_of(app, CAT_HAI)}"]

    def counts():
        out = []
        for url in urls:
            with count_queries() as q:
                assert city.get(url).status_code == 200
            out.append(len(q))
        return out

    publish(app, [CAT_HAI, AN_KHANH, THIRD])
    publish(app, [CAT_HAI, AN_KHANH, THIRD], LIVE)
    few = counts()
    publish(app, [u for u in _all_slugs(app) if u not in (CAT_HAI, AN_KHANH, THIRD)])
    publish(app, [u for u in _all_slugs(app) if u not in (CAT_HAI, AN_KHANH, THIRD)], LIVE)
    html = city.get(f"/city/rollups/{Q2}").get_data(as_text=True)
    assert "(114 units counted)" in html
    assert counts() == few
    assert max(few) <= 7  # the board: user, deadlines, units, published rows, trends (2), files


def _all_slugs(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Tenant.slug)))


def test_periods_outside_the_calendar_are_not_found_not_a_crash(app, login):
    city = login("city_police")
    for period in ("0000-Q1", "9999-Q4", "9999-H2", "1999", "2000-01-01_9999-12-31"):
        response = city.get(f"/city/rollups/{period}")
        assert response.status_code == 404, period
    # The first year has no history before it: the trends show what exists.
    assert city.get("/city/rollups/2000-Q1").status_code == 200
