"""The unit dashboard: the last four quarters as inline SVG charts with their numbers, frozen figures
for a submitted quarter and live ones otherwise (labelled), only the unit's own people, for the unit's
roles only, and a statement count that does not grow with the people.

TODAY is 15/10/2026: the quarters shown are IV/2025, I/2026, II/2026 and III/2026 (due 10/10/2026).
"""

import re
from datetime import date, datetime

import pytest

from blueprints.reports import services
from blueprints.reports.models import ReportDeadline
from blueprints.reports.periods import parse
from blueprints.returnees import facts
from blueprints.returnees.care import Contact
from blueprints.returnees.models import Returnee
from portal.extensions import db
from tenants.context import use_tenant
from tests.conftest import tenant

CAT_HAI, AN_KHANH = "dac_khu_cat_hai", "xa_an_khanh"
TODAY = date(2026, 10, 15)
URL = f"/t/{CAT_HAI}/reports/dashboard"


@pytest.fixture(autouse=True)
def fixed_day(app, monkeypatch):
    monkeypatch.setattr(facts, "today", lambda: TODAY)
    with app.app_context():  # the deadlines the migration seeds (the per-test cleanup empties the table)
        for kind, days in {"month": 5, "quarter": 10, "half": 15, "year": 20, "adhoc": 7}.items():
            db.session.merge(ReportDeadline(period_kind=kind, days_after_end=days))
        db.session.commit()


def managed(app, slug: str, group: str, since: date, name: str = "Nguyễn Văn Quản", contacts: int = 0) -> None:
    with app.app_context(), use_tenant(tenant(slug)):
        person = Returnee(full_name=name, search_name=name.lower(), sex="male", date_of_birth=date(1990, 1, 1),
                          release_kind="completed_sentence", status="under_management", group=group,
                          dossier_opened_on=since, managed_since=since)
        db.session.add(person)
        db.session.flush()
        for week in range(contacts):
            db.session.add(Contact(returnee_id=person.id, on=date(2026, 7, 1 + week), contact_person="Tổ giúp đỡ",
                                   method="visit", content="Gặp tại nhà"))
        db.session.commit()


def submit(app, slug: str, key: str, on: datetime) -> None:
    with app.app_context(), use_tenant(tenant(slug)):
        services.submit(services.open_report(parse(key), None), None, now=on)
        db.session.commit()


def row(html: str, chart: str, label: str) -> list[str]:
    """The cells of one row of a chart's table."""
    section = re.search(rf'<section [^>]*id="{chart}">(.*?)</section>', html, re.S).group(1)
    found = re.search(rf'<tr><th scope="row">{re.escape(label)}</th>(.*?)</tr>', section, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", found, re.S)]


def test_a_submitted_quarter_keeps_its_frozen_figures_and_the_others_are_live(app, login):
    managed(app, CAT_HAI, "A", date(2026, 5, 4), "Trần Văn Một")
    managed(app, CAT_HAI, "A", date(2026, 5, 4), "Trần Văn Hai")
    submit(app, CAT_HAI, "2026-Q2", datetime(2026, 7, 3, 2))
    managed(app, CAT_HAI, "B", date(2026, 5, 10), "Trần Văn Ba")  # entered after the submission
    html = login("commune_leader", CAT_HAI, locale="en").get(URL).get_data(as_text=True)

    assert html.count('<svg class="chart"') == 5 and "<script" not in html
    for title in ("Under management by group", "Contact compliance", "Employment and loans", "Reoffending rate",
                  "Reporting timeliness"):
        assert f"<title>{title}</title>" in html
    assert html.count("frozen in the submitted report") == 1 and html.count("live, not submitted") == 3
    assert row(html, "management", "Group A") == ["0", "0", "2", "2"]
    assert row(html, "management", "Group B") == ["0", "0", "0", "1"]  # Q2 frozen before she was entered
    assert row(html, "timeliness", "Due date") == ["10/01/2026", "10/04/2026", "10/07/2026", "10/10/2026"]
    assert row(html, "timeliness", "Submitted on") == ["—", "—", "03/07/2026", "—"]
    assert row(html, "timeliness", "Timeliness") == [
        "overdue, not submitted", "overdue, not submitted", "on time", "overdue, not submitted",
    ]
    assert row(html, "timeliness", "Days taken to submit") == ["—", "—", "3", "—"]


def test_the_rates_and_support_come_with_their_numbers(app, login):
    managed(app, CAT_HAI, "C", date(2026, 6, 1), contacts=3)
    html = login("commune_police", CAT_HAI, locale="en").get(URL).get_data(as_text=True)
    # Q3: managed all 13 weeks, met in 3 of them.
    assert row(html, "contacts", "Contacts expected (weekly)")[-1] == "14"
    assert row(html, "contacts", "Contacts held against the weekly schedule")[-1] == "3"
    assert row(html, "contacts", "Contact compliance (%)")[-1] == "21,4 %"
    assert row(html, "support", "Loans disbursed (VND)") == ["0 ₫"] * 4
    assert row(html, "reoffending", "Reoffending rate (%)")[-1] == "0,0 %"


def test_only_the_units_own_people_are_counted(app, login):
    managed(app, AN_KHANH, "D", date(2026, 1, 5))
    managed(app, CAT_HAI, "A", date(2026, 1, 5))
    html = login("mttq_member", CAT_HAI, locale="en").get(URL).get_data(as_text=True)
    assert row(html, "management", "Group D") == ["0", "0", "0", "0"]
    assert row(html, "management", "Group A") == ["0", "1", "1", "1"]


def test_other_units_and_city_roles_get_404(app, login):
    assert login("commune_police", AN_KHANH).get(URL).status_code == 404
    for role in ("city_police", "system_admin"):
        assert login(role).get(URL).status_code == 404
    for role in ("commune_police", "commune_leader", "mttq_member"):
        client = login(role, CAT_HAI)
        assert client.get(URL).status_code == 200
        assert f'href="{URL}"' in client.get(f"/t/{CAT_HAI}/").get_data(as_text=True)  # linked from the home


def test_statement_count_does_not_grow_with_the_people(app, login, count_queries):
    client = login("commune_police", CAT_HAI)
    submit(app, CAT_HAI, "2026-Q1", datetime(2026, 4, 2))  # one frozen quarter, three live ones

    def statements():
        with count_queries() as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    managed(app, CAT_HAI, "A", date(2026, 2, 1), contacts=1)
    few = statements()
    for i in range(12):
        managed(app, CAT_HAI, "ABCD"[i % 4], date(2025, 11, 1 + i), f"Người {i}", contacts=3)
    assert statements() == few
