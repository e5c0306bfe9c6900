"""The unit home: what is due, each item linking to the person, at the right dates, only for the unit.

Dates are fixed: TODAY is Wednesday 15/07/2026 (no public holiday in July), in quarter 3, so the
quarterly reports on quarter 2 were due on 05/07/2026; the weekly-contact rule is in force.
"""

from datetime import date

import pytest
from sqlalchemy import func, select

from blueprints.returnees import facts, home_queries
from blueprints.returnees.care import Assignment, Contact, QuarterlyReview
from blueprints.returnees.models import Conviction, Returnee
from portal.audit import AuditEvent
from portal.extensions import db
from tenants.context import use_tenant
from tests.conftest import tenant

CAT_HAI, AN_KHANH = "dac_khu_cat_hai", "xa_an_khanh"
TODAY = date(2026, 7, 15)


def add_person(name: str, status: str, *, children=(), **fields) -> int:
    """A returnee of the current unit in `status`, with child rows (Contact, Conviction…)."""
    person = Returnee(
        full_name=name, search_name=name.lower(), sex=fields.pop("sex", "male"),
        date_of_birth=fields.pop("date_of_birth", date(1990, 1, 1)),
        release_kind=fields.pop("release_kind", "completed_sentence"), status=status, **fields,
    )
    db.session.add(person)
    db.session.flush()
    for child in children:
        child.returnee_id = person.id
        db.session.add(child)
    db.session.commit()
    return person.id


def served(on: date, months: int = 24) -> Conviction:
    return Conviction(judgment_date=date(2022, 1, 10), penalty_kind="imprisonment", sentence_months=months,
                      severity="serious", intentional=True, main_penalty_served_on=on)


def contact(on: date) -> Contact:
    return Contact(on=on, contact_person="Tổ giúp đỡ", method="visit", content="Gặp tại nhà")


def seed(slug: str = CAT_HAI) -> dict[str, int]:
    """One person for each kind of item, and one who is on time for it (never listed)."""
    managed = {"status": "under_management", "group": "A", "dossier_opened_on": date(2026, 5, 4),
               "managed_since": date(2026, 5, 4)}
    with use_tenant(tenant(slug)):
        ids = {
            "late_presenting": add_person("Trần Văn Trễ", "released_not_reported", release_date=date(2026, 6, 1),
                                          reporting_deadline=date(2026, 7, 10)),
            "overdue": add_person("Lê Thị Quá", "overdue", release_date=date(2026, 5, 1),
                                  reporting_deadline=date(2026, 5, 20), overdue_state="verifying"),
            "on_time_presenting": add_person("Phạm Văn Kịp", "released_not_reported",
                                             release_date=date(2026, 7, 1), reporting_deadline=date(2026, 7, 20)),
            "check_due": add_person("Ngô Văn Kiểm", "expected", notice_received_on=date(2026, 7, 10)),
            "check_late": add_person("Đỗ Văn Muộn", "expected", notice_received_on=date(2026, 7, 6)),
            "checked": add_person("Vũ Văn Xong", "expected", notice_received_on=date(2026, 7, 6),
                                  residence_checked_on=date(2026, 7, 7)),
            "received": add_person("Bùi Văn Nhận", "received", reported_on=date(2026, 7, 13),
                                   work_session_minutes="x", commitment_signed=True),
            "assigned": add_person("Hoàng Văn Giao", "received", reported_on=date(2026, 7, 13),
                                   work_session_minutes="x", commitment_signed=True,
                                   children=[Assignment(organisation="Công an", person_name="Cán bộ A")]),
            "no_contact": add_person("Đinh Văn Vắng", children=[contact(date(2026, 7, 1))], **managed),
            "met": add_person("Lý Văn Gặp", children=[
                contact(date(2026, 7, 10)), QuarterlyReview(year=2026, quarter=2, group="A", reason="Tốt"),
            ], **managed),
            "clears_soon": add_person("Mai Văn Sạch", children=[
                served(date(2024, 8, 1)), contact(date(2026, 7, 14)),
            ], **managed),
            "clears_later": add_person("Tạ Văn Lâu", children=[
                served(date(2025, 1, 1)), contact(date(2026, 7, 14)),
            ], **managed),
            "minor": add_person("Chu Văn Thiếu", date_of_birth=date(2010, 1, 1), **managed),
            "child": add_person("Chu Thị Nhỏ", sex="female", date_of_birth=date(2011, 1, 1), **managed),
            "closed": add_person("Phan Văn Đóng", "closed", reporting_deadline=date(2026, 1, 1),
                                 closure_ground="dead", closed_on=date(2026, 2, 1)),
        }
    db.session.remove()
    return ids


def due_ids(items) -> list[int]:
    return [item.returnee_id for item in items]


def test_each_item_appears_on_its_date(ctx):
    ids = seed()
    with use_tenant(tenant(CAT_HAI)):
        due = home_queries.due_in_unit(TODAY)

    # Presentations: the printed deadline (not an expectation), only once passed.
    assert due_ids(due.presentations) == [ids["overdue"], ids["late_presenting"]]
    assert due.presentations[1].due == date(2026, 7, 10) and not due.presentations[1].expected
    # Residence checks: 3 working days after the notice; Friday 10/07 → Wednesday 15/07, still on time.
    checks = {item.returnee_id: item for item in due.residence_checks}
    assert set(checks) == {ids["check_due"], ids["check_late"]}
    assert checks[ids["check_due"]].due == date(2026, 7, 15) and not checks[ids["check_due"]].late
    assert checks[ids["check_late"]].due == date(2026, 7, 9) and checks[ids["check_late"]].late
    assert all(item.expected for item in due.residence_checks)
    # After the work session on Monday 13/07: propose the assignment by Thursday, open the dossier by Monday.
    assert [(i.returnee_id, i.due) for i in due.assignments] == [(ids["received"], date(2026, 7, 16))]
    assert [(i.returnee_id, i.due) for i in due.dossiers] == [
        (ids["received"], date(2026, 7, 20)), (ids["assigned"], date(2026, 7, 20)),
    ]
    # A week without contact: last met 01/07, next contact due by 08/07; never met since 04/05: by 11/05.
    assert [(i.returnee_id, i.due, i.since, i.late) for i in due.contacts] == [
        (ids["child"], date(2026, 5, 11), None, True), (ids["minor"], date(2026, 5, 11), None, True),
        (ids["no_contact"], date(2026, 7, 8), date(2026, 7, 1), True),
    ]
    # Quarterly reviews on Q2 (due 05/07): everyone managed without one, late now.
    assert due.reviewed_quarter == (2026, 2) and due.review_due == date(2026, 7, 5)
    assert sorted(due_ids(due.reviews)) == sorted(
        ids[k] for k in ("no_contact", "clears_soon", "clears_later", "minor", "child")
    )
    assert all(item.late for item in due.reviews)
    # Expungement: 2 years from 01/08/2024 → expected 02/08/2026, within 60 days; 2027 is not.
    assert [(i.returnee_id, i.due, i.detail) for i in due.expungements] == [
        (ids["clears_soon"], date(2026, 8, 2), "eligible_on")
    ]
    # Minors and children under management, children first.
    assert [(i.returnee_id, i.detail) for i in due.minors] == [(ids["child"], "child"), (ids["minor"], "minor")]
    assert due.minors[0].due == date(2029, 1, 1)  # turns 18
    # Nobody closed or on time anywhere.
    everywhere = {rid for items in (due.presentations, due.residence_checks, due.assignments, due.dossiers,
                                    due.contacts, due.expungements) for rid in due_ids(items)}
    assert not everywhere & {ids["closed"], ids["on_time_presenting"], ids["checked"], ids["clears_later"]}


def test_dates_move_the_items(ctx):
    ids = seed()
    with use_tenant(tenant(CAT_HAI)):
        earlier = home_queries.due_in_unit(date(2026, 7, 8))
        later = home_queries.due_in_unit(date(2026, 7, 21))
    # On 08/07 the 10/07 deadline has not passed; on 21/07 the 20/07 one has.
    assert ids["late_presenting"] not in due_ids(earlier.presentations)
    assert ids["on_time_presenting"] in due_ids(later.presentations)
    # The dossier due on 20/07 is late on 21/07.
    assert all(item.late for item in later.dossiers)
    # The expungement of 02/08/2026 is not yet within 60 days on 02/06/2026.
    with use_tenant(tenant(CAT_HAI)):
        june = home_queries.due_in_unit(date(2026, 6, 2))
        august = home_queries.due_in_unit(date(2026, 8, 3))
    assert ids["clears_soon"] not in due_ids(june.expungements)
    assert [(i.returnee_id, i.detail, i.late) for i in august.expungements] == [
        (ids["clears_soon"], "expunged", True)
    ]


@pytest.fixture
def on_fixed_day(monkeypatch):
    monkeypatch.setattr(facts, "today", lambda: TODAY)


@pytest.mark.parametrize("role", ["commune_police", "commune_leader", "mttq_member"])
def test_the_page_links_every_item_to_the_person(app, login, role, on_fixed_day):
    with app.app_context():
        ids = seed()
    client = login(role, CAT_HAI, locale="en")
    html = client.get("/t/dac_khu_cat_hai/").get_data(as_text=True)
    for key in ("late_presenting", "overdue", "check_due", "received", "no_contact", "clears_soon", "child"):
        assert f'href="/t/dac_khu_cat_hai/returnees/{ids[key]}"' in html, key
    assert "Trần Văn Trễ" in html and "15/07/2026" in html  # dd/mm/yyyy
    assert "(expected)" in html
    assert "Phan Văn Đóng" not in html  # closed
    assert ("/returnees/import" in html) == (role == "commune_police")
    with app.app_context():
        reads = db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "returnee.due_list")
        )
    assert reads == 1


def test_another_units_people_never_reach_this_home(app, login, on_fixed_day):
    with app.app_context():
        seed(CAT_HAI)
    client = login("commune_police", AN_KHANH, locale="en")
    html = client.get("/t/xa_an_khanh/").get_data(as_text=True)
    assert "Nothing is due" in html
    for name in ("Trần Văn Trễ", "Ngô Văn Kiểm", "Đinh Văn Vắng", "Mai Văn Sạch", "Chu Thị Nhỏ"):
        assert name not in html
    with app.app_context(), use_tenant(tenant(AN_KHANH)):
        assert home_queries.due_in_unit(TODAY).count == 0


def test_city_roles_have_no_unit_home(login):
    for role in ("city_police", "system_admin"):
        assert login(role).get("/t/dac_khu_cat_hai/").status_code == 404


def test_statement_count_does_not_grow_with_the_people(app, login, count_queries, on_fixed_day):
    client = login("commune_police", CAT_HAI)

    def statements():
        with count_queries() as queries:
            assert client.get("/t/dac_khu_cat_hai/").status_code == 200
        return len(queries)

    with app.app_context():
        seed()
    few = statements()
    with app.app_context():
        for _ in range(3):
            seed()
    assert statements() == few <= 10
