"""The city dashboard: the last four quarters of published figures as inline SVG charts, each with
its figures as a table, and drill-down to the board of a period."""

import re
from datetime import date, datetime

import pytest
from sqlalchemy import select

from blueprints.reports import periods, rollup
from blueprints.reports.models import REPORTED
from blueprints.returnees.care import Incident, SupportAction
from blueprints.returnees.models import Returnee
from portal.extensions import db
from tenants.context import use_tenant
from tests.conftest import tenant
from tests.helpers_returnees import AN_KHANH, CAT_HAI, make_returnee, under_management
from tests.test_rollups import report, set_deadlines

TODAY = date(2026, 8, 15)  # the last quarter ended is 2026-Q2: the dashboard shows 2025-Q3 … 2026-Q2


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("blueprints.returnees.facts.today", lambda: TODAY)


def seed(app) -> None:
    """Cát Hải: two people (B, C), one helped into work, one loan of 30 million, one new crime;
    reports for Q1 and Q2 on time. An Khánh: one person (A), its Q2 report late."""
    set_deadlines(app, quarter=10)
    ids = [make_returnee(app, CAT_HAI, full_name=f"Người thử {i}", national_id=f"03109000100{i}") for i in (1, 2)]
    for returnee_id, group in zip(ids, "BC", strict=True):
        under_management(app, CAT_HAI, returnee_id, group)
    other = make_returnee(app, AN_KHANH, full_name="Người thử 3", national_id="031090001003")
    under_management(app, AN_KHANH, other, "A")
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        first = db.session.scalar(select(Returnee.id).where(Returnee.id == ids[0]))
        db.session.add_all([
            SupportAction(returnee_id=first, kind="job_placement", status="done", completed_on=date(2026, 6, 5)),
            SupportAction(returnee_id=ids[1], kind="loan", status="done", loan_status="disbursed",
                          started_on=date(2026, 6, 1), completed_on=date(2026, 6, 8), amount_vnd=30_000_000),
            Incident(returnee_id=ids[1], kind="new_crime", on=date(2026, 6, 20), description="Trộm cắp tài sản"),
        ])
        db.session.commit()
    report(app, CAT_HAI, period="2026-Q1", submitted=datetime(2026, 4, 5, 3, 0), then="approve")
    report(app, CAT_HAI, submitted=datetime(2026, 7, 3, 3, 0), then="approve")
    report(app, AN_KHANH, submitted=datetime(2026, 7, 25, 3, 0))


def panel(html: str, title: str) -> str:
    """The dashboard section whose chart carries `title`."""
    for section in re.findall(r'<section class="panel">.*?</section>', html, re.S):
        if f"<title>{title}</title>" in section:
            return section
    raise AssertionError(f"no chart titled {title}")


def cells(section: str, row_label: str) -> list[str]:
    row = re.search(rf"<tr><th scope=\"row\">{re.escape(row_label)}</th>(.*?)</tr>", section, re.S)
    assert row, f"no row {row_label}"
    return re.findall(r'<td class="num">(.*?)</td>', row[1])


def test_the_dashboard_draws_the_published_figures_of_the_last_four_quarters(app, login):
    seed(app)
    city = login("city_police", locale="en")
    response = city.get("/city/dashboard")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # Inline SVG, no script and no inline style (strict CSP), one chart per panel, each followed by a table.
    assert html.count('<svg class="chart"') == 6 and "<script" not in html and "style=" not in html
    for label in ("Quarter III/2025", "Quarter IV/2025", "Quarter I/2026", "Quarter II/2026"):
        assert label in html

    groups = panel(html, "People under management by group")
    assert cells(groups, "Under management") == ["0", "0", "0", "3"]
    assert cells(groups, "Group A") == ["0", "0", "0", "1"] and cells(groups, "Group C")[-1] == "1"
    money = panel(html, "Employment and loans")
    assert cells(money, "Helped into work")[-1] == "1" and cells(money, "Loans disbursed")[-1] == "1"
    assert cells(money, "Loans disbursed (VND)")[-1] == "30.000.000 ₫"
    reoffending = panel(html, "Reoffending rate (%)")
    assert cells(reoffending, "Reoffending rate (%)") == ["—", "—", "—", "33,3 %"]  # 1 of 3 managed
    timeliness = panel(html, "Reporting timeliness (units)")
    assert [cells(timeliness, label)[-1] for label in ("on time", "late", "not submitted")] == ["1", "1", "112"]
    assert [cells(timeliness, label)[-2] for label in ("on time", "late", "not submitted")] == ["1", "0", "113"]
    assert "Contact compliance (%)" in html

    with app.app_context():
        trends = rollup.trends(periods.parse("2026-Q2").history(4), REPORTED)
        assert trends[-1]["totals"]["under_management"] == 3 and trends[-1]["totals"]["loans_vnd"] == 30_000_000

    # Drill-down: each period's heading opens the board of that period.
    assert 'href="/city/rollups/2026-Q2"' in html
    board = city.get("/city/rollups/2026-Q2").get_data(as_text=True)
    assert "Roll-up of Quarter II/2026" in board


def test_the_live_dashboard_is_marked_as_such(app, login):
    seed(app)
    city = login("city_police", locale="en")
    city.post("/city/rollups/2026-Q2/live")
    html = city.get("/city/dashboard?source=live").get_data(as_text=True)
    assert "Live figures computed from current data (not submitted reports)" in html
    assert 'href="/city/rollups/2026-Q2?source=live"' in html
    groups = panel(html, "People under management by group")
    assert cells(groups, "Under management")[-1] == "3"


def test_the_city_home_links_to_the_report_pages_for_city_police_only(app, login):
    html = login("city_police", locale="en").get("/city/").get_data(as_text=True)
    for url in ("/city/rollups/", "/city/dashboard", "/city/report-deadlines"):
        assert f'href="{url}"' in html
    admin = login("system_admin", locale="en").get("/city/").get_data(as_text=True)
    assert 'href="/city/dashboard"' not in admin
    assert login("system_admin").get("/city/dashboard").status_code == 403
