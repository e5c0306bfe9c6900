"""Reports and roll-ups through the API, with bearer tokens: each endpoint as each role, isolation
between units with real ids, city roles kept off unit reports and unit roles off the roll-up, the
roll-up free of personal data with totals that are the sum of its units, idempotent builds, and the
job endpoint finding city tasks only for the city."""

from datetime import datetime
from itertools import count

import pytest
from sqlalchemy import func, select

from blueprints.reports import services
from blueprints.reports.models import Report, ReportDeadline, ReportFile
from blueprints.reports.periods import parse
from portal.extensions import db
from tenants.context import use_tenant
from tests.conftest import tenant
from tests.helpers_returnees import AN_KHANH, CAT_HAI, THIRD, bearer, create, issue_token, under_management
from workers.tasks import CityTask

UNIT_ROLES = ("commune_police", "commune_leader", "mttq_member")
CITY_ROLES = ("city_police", "system_admin")
Q2 = "2026-Q2"
SUBMITTED_AT = datetime(2026, 7, 3, 2, 0)  # 03/07/2026 in Hải Phòng: on time (due 10/07)
SERIAL = count()


@pytest.fixture(autouse=True)
def deadlines(app):
    """The deadlines the migration seeds (the per-test cleanup empties the table)."""
    with app.app_context():
        for kind, days in {"month": 5, "quarter": 10, "half": 15, "year": 20, "adhoc": 7}.items():
            db.session.merge(ReportDeadline(period_kind=kind, days_after_end=days))
        db.session.commit()


@pytest.fixture
def headers_for(app, make_user):
    return lambda role, unit=CAT_HAI: bearer(issue_token(app, make_user(role, unit)))


@pytest.fixture
def client(app):
    return app.test_client()


def people(client, headers, slug: str, names: list[str], app) -> None:
    """People under management since May 2026 (counted at the end of Q2)."""
    for name in names:
        body = create(client, headers, slug, full_name=name, national_id=f"0310900{next(SERIAL):05d}",
                      phone="0912345678", hamlet="Thôn Bí Mật")
        under_management(app, slug, body["id"])


def submitted(app, slug: str, key: str = Q2) -> int:
    with app.app_context(), use_tenant(tenant(slug)):
        report = services.open_report(parse(key), None)
        services.submit(report, None, now=SUBMITTED_AT)
        db.session.commit()
        return report.id


def draft(app, slug: str, key: str = Q2) -> int:
    with app.app_context(), use_tenant(tenant(slug)):
        report = services.open_report(parse(key), None)
        services.save_sections(report, {"situation": "Tình hình ổn định"}, None)
        db.session.commit()
        return report.id


# --- A unit's reports --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", UNIT_ROLES)
def test_every_unit_role_lists_and_reads_reports(app, client, headers_for, role):
    police = headers_for("commune_police")
    people(client, police, CAT_HAI, ["Nguyễn Văn Một", "Trần Văn Hai"], app)
    frozen_id = submitted(app, CAT_HAI)
    draft_id = draft(app, CAT_HAI, "2026-07")
    headers = headers_for(role)

    listing = client.get(f"/api/v1/t/{CAT_HAI}/reports", headers=headers)
    assert listing.status_code == 200
    body = listing.get_json()
    assert body["total"] == 2 and [r["id"] for r in body["items"]] == [draft_id, frozen_id]
    first = body["items"][1]
    assert first["period"] == Q2 and first["kind"] == "quarter" and first["status"] == "submitted"
    assert first["due_on"] == "2026-07-10" and first["late"] is False
    assert first["submitted_at"] == "2026-07-03T02:00:00"

    frozen = client.get(f"/api/v1/t/{CAT_HAI}/reports/{frozen_id}", headers=headers).get_json()
    assert frozen["frozen"] is True and frozen["figures"]["under_management"] == 2
    assert frozen["snapshot_sha"] and "reoffending_rate" in frozen["rates"]
    live = client.get(f"/api/v1/t/{CAT_HAI}/reports/{draft_id}", headers=headers).get_json()
    assert live["frozen"] is False and live["snapshot_sha"] is None
    assert live["sections"]["situation"] == "Tình hình ổn định"
    assert set(live["figures"]) == set(frozen["figures"])


def test_a_frozen_report_keeps_its_figures_and_a_draft_follows_the_rows(app, client, headers_for):
    police = headers_for("commune_police")
    people(client, police, CAT_HAI, ["Nguyễn Văn Một"], app)
    frozen_id, draft_id = submitted(app, CAT_HAI), draft(app, CAT_HAI, "2026-H1")
    people(client, police, CAT_HAI, ["Trần Văn Hai"], app)  # after the submission
    read = lambda i: client.get(f"/api/v1/t/{CAT_HAI}/reports/{i}", headers=police).get_json()  # noqa: E731
    assert read(frozen_id)["figures"]["under_management"] == 1
    assert read(draft_id)["figures"]["under_management"] == 2


def test_another_units_reports_are_not_found_with_real_ids(app, client, headers_for):
    theirs = submitted(app, AN_KHANH)
    ours = submitted(app, CAT_HAI, "2026-Q1")
    for role in UNIT_ROLES:
        headers = headers_for(role, CAT_HAI)
        assert client.get(f"/api/v1/t/{CAT_HAI}/reports/{theirs}", headers=headers).status_code == 404
        assert client.get(f"/api/v1/t/{AN_KHANH}/reports/{theirs}", headers=headers).status_code == 404
        assert client.get(f"/api/v1/t/{AN_KHANH}/reports", headers=headers).status_code == 404
        response = client.post(f"/api/v1/t/{AN_KHANH}/reports", json={"period": Q2}, headers=headers)
        assert response.status_code == 404
        listed = client.get(f"/api/v1/t/{CAT_HAI}/reports", headers=headers).get_json()
        assert [r["id"] for r in listed["items"]] == [ours]


@pytest.mark.parametrize("role", CITY_ROLES)
def test_city_roles_have_no_unit_reports(app, client, headers_for, role):
    report_id = submitted(app, CAT_HAI)
    headers = headers_for(role, None)
    assert client.get(f"/api/v1/t/{CAT_HAI}/reports", headers=headers).status_code == 404
    assert client.get(f"/api/v1/t/{CAT_HAI}/reports/{report_id}", headers=headers).status_code == 404
    assert client.post(f"/api/v1/t/{CAT_HAI}/reports", json={"period": Q2}, headers=headers).status_code == 404


# --- Building a report's files ---------------------------------------------------------------------


def _files(app, slug=CAT_HAI) -> int:
    with app.app_context(), use_tenant(tenant(slug)):
        return db.session.scalar(select(func.count()).select_from(ReportFile))


def test_police_open_the_report_and_a_second_request_finds_the_files(app, client, headers_for):
    police = headers_for("commune_police")
    people(client, police, CAT_HAI, ["Nguyễn Văn Một"], app)
    first = client.post(f"/api/v1/t/{CAT_HAI}/reports", json={"period": Q2}, headers=police)
    assert first.status_code == 202, first.get_json()
    body = first.get_json()
    assert first.headers["Location"] == body["job"]["url"] == f"/api/v1/jobs/{body['job']['id']}"
    assert body["job"]["kind"] == "reports.build" and body["report"]["status"] == "draft"
    assert body["report"]["period"] == Q2 and body["report"]["due_on"] == "2026-07-10"
    job = client.get(body["job"]["url"], headers=police).get_json()
    assert job["state"] == "finished" and job["tenant"] == CAT_HAI
    built = _files(app)
    assert built >= 1

    again = client.post(f"/api/v1/t/{CAT_HAI}/reports", json={"period": Q2}, headers=police)
    assert again.status_code == 202
    second = again.get_json()
    assert second["report"]["id"] == body["report"]["id"] and second["job"]["id"] != body["job"]["id"]
    assert client.get(second["job"]["url"], headers=police).get_json()["state"] == "finished"
    assert _files(app) == built  # the same figures: the files were found, not built again
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        assert db.session.scalar(select(func.count()).select_from(Report)) == 1


@pytest.mark.parametrize("role", ["commune_leader", "mttq_member"])
def test_other_unit_roles_build_existing_reports_but_cannot_open_one(app, client, headers_for, role):
    headers = headers_for(role)
    refused = client.post(f"/api/v1/t/{CAT_HAI}/reports", json={"period": Q2}, headers=headers)
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        assert db.session.scalar(select(func.count()).select_from(Report)) == 0
    report_id = submitted(app, CAT_HAI)
    accepted = client.post(f"/api/v1/t/{CAT_HAI}/reports", json={"period": Q2}, headers=headers)
    assert accepted.status_code == 202 and accepted.get_json()["report"]["id"] == report_id


@pytest.mark.parametrize("payload, field", [
    ({"period": "2026-Q5"}, "period"),
    ({"period": "Quý 3"}, "period"),
    ({"period": 2026}, "period"),
    ({}, "period"),
    ({"period": "2026-03-01_2026-05-15"}, "period"),  # ad hoc: opened on the page
    ({"period": "0000-Q1"}, "period"),  # no year 0 in the calendar (was a 500)
    ({"period": "9999-Q4"}, "period"),  # its due date would fall after 9999-12-31 (was a 500)
    ({"period": Q2, "format": "pdf"}, "format"),
])
def test_a_bad_period_is_a_field_error(app, client, headers_for, payload, field):
    response = client.post(f"/api/v1/t/{CAT_HAI}/reports", json=payload, headers=headers_for("commune_police"))
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid" and set(body["fields"]) == {field}


def test_a_body_that_is_not_json_is_a_400(client, headers_for):
    response = client.post(f"/api/v1/t/{CAT_HAI}/reports", data="period=2026-Q2",
                           headers=headers_for("commune_police"))
    assert response.status_code == 400 and response.get_json()["error"] == "bad_request"


# --- The city's roll-up ------------------------------------------------------------------------------


NAMES = ["Phạm Văn Bí", "Lê Thị Kín", "Hoàng Văn Ẩn", "Đỗ Văn Giấu"]


def test_the_rollup_is_counts_only_and_totals_its_units(app, client, headers_for):
    people(client, headers_for("commune_police", CAT_HAI), CAT_HAI, NAMES[:2], app)
    people(client, headers_for("commune_police", AN_KHANH), AN_KHANH, NAMES[2:3], app)
    people(client, headers_for("commune_police", THIRD), THIRD, NAMES[3:], app)
    submitted(app, CAT_HAI)
    submitted(app, AN_KHANH)
    for slug in (CAT_HAI, AN_KHANH, THIRD):
        with app.app_context(), use_tenant(tenant(slug)):
            services.publish_live(parse(Q2))
            db.session.commit()
    city = headers_for("city_police", None)

    response = client.get(f"/api/v1/city/rollups/{Q2}", headers=city)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    ids = [f"0310900{n:05d}" for n in range(next(SERIAL))]
    for secret in [*NAMES, "Thôn Bí Mật", "0912345678", *ids]:
        assert secret not in text and secret.encode("unicode_escape").decode() not in text
    body = response.get_json()
    assert body["period"] == Q2 and body["source"] == "report" and len(body["units"]) == 114
    rows = {u["tenant"]: u for u in body["units"]}
    assert rows[CAT_HAI]["state"] == rows[AN_KHANH]["state"] == "submitted"
    assert rows[THIRD]["state"] == "missing" and rows[THIRD]["figures"] is None
    assert body["completeness"] == {"approved": 0, "submitted": 2, "returned": 0, "missing": 112}
    counted = [u["figures"] for u in body["units"] if u["figures"]]
    assert body["totals"] == {k: sum(f[k] for f in counted) for k in body["totals"]}
    assert body["totals"]["under_management"] == 3

    live = client.get(f"/api/v1/city/rollups/{Q2}?source=live", headers=city).get_json()
    assert live["source"] == "live" and live["totals"]["under_management"] == 4
    counted = [u["figures"] for u in live["units"] if u["figures"]]
    assert live["totals"] == {k: sum(f[k] for f in counted) for k in live["totals"]}


@pytest.mark.parametrize("period", ["2026-Q3", "2026-H1", "2026", "2026-09"])
def test_the_rollup_takes_every_regular_period(client, headers_for, period):
    response = client.get(f"/api/v1/city/rollups/{period}", headers=headers_for("city_police", None))
    assert response.status_code == 200 and response.get_json()["period"] == period


@pytest.mark.parametrize("url, field", [
    ("/api/v1/city/rollups/2026-Q9", "period"),
    ("/api/v1/city/rollups/2026-01-01_2026-02-01", "period"),
    ("/api/v1/city/rollups/0000-01", "period"),  # found by the fuzz (tests/test_api_fuzz.py): were 500s
    ("/api/v1/city/rollups/9999-H2", "period"),
    ("/api/v1/city/rollups/2026-Q3?source=everything", "source"),
])
def test_a_bad_rollup_request_is_a_field_error(client, headers_for, url, field):
    response = client.get(url, headers=headers_for("city_police", None))
    assert response.status_code == 422 and set(response.get_json()["fields"]) == {field}


@pytest.mark.parametrize("role, unit", [(r, CAT_HAI) for r in UNIT_ROLES] + [("system_admin", None)])
def test_roles_without_the_rollup_permission_are_refused(client, headers_for, role, unit):
    response = client.get(f"/api/v1/city/rollups/{Q2}", headers=headers_for(role, unit))
    assert response.status_code == 403 and response.get_json()["error"] == "forbidden"


# --- Following jobs ------------------------------------------------------------------------------------


def _city_task(app) -> str:
    with app.app_context():
        task = CityTask(kind="rollups.build", params={"period": Q2}, state="finished", progress=100)
        db.session.add(task)
        db.session.commit()
        return task.id


def test_a_city_task_is_followed_by_the_city_police_only(app, client, headers_for):
    task_id = _city_task(app)
    body = client.get(f"/api/v1/jobs/{task_id}", headers=headers_for("city_police", None)).get_json()
    assert body["id"] == task_id and body["kind"] == "rollups.build" and "tenant" not in body
    for role, unit in [(r, CAT_HAI) for r in UNIT_ROLES] + [("system_admin", None)]:
        assert client.get(f"/api/v1/jobs/{task_id}", headers=headers_for(role, unit)).status_code == 404


def test_a_unit_task_is_not_found_by_the_city(app, client, headers_for):
    police = headers_for("commune_police")
    url = client.post(f"/api/v1/t/{CAT_HAI}/reports", json={"period": Q2}, headers=police).headers["Location"]
    assert client.get(url, headers=police).status_code == 200
    assert client.get(url, headers=headers_for("city_police", None)).status_code == 404
    assert client.get(url, headers=headers_for("commune_police", AN_KHANH)).status_code == 404
