"""Report files: a unit report's XLSX and PDF and the city roll-up's, built by jobs (in-process
here), stored with their checksums, and downloaded through short-lived links for one user.

The real-worker, S3 and kill tests are in test_report_builds_workers.py.
"""

import io
import re
import unicodedata
from datetime import date

import pytest
from flask_babel import force_locale, gettext
from itsdangerous import TimestampSigner
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from blueprints.reports import figures, services
from blueprints.reports.models import Report, ReportFile, RollupFile
from blueprints.reports.periods import parse
from blueprints.reports.xlsx import COUNT, MONEY, RATE, report_workbook
from portal.audit import AuditEvent
from portal.extensions import db
from tenants.context import use_tenant
from tests.conftest import tenant
from tests.helpers_returnees import make_returnee, under_management
from workers import report_builds
from workers import storage as files
from workers.tasks import CityTask, Task

CAT_HAI, AN_KHANH = "dac_khu_cat_hai", "xa_an_khanh"
PERIOD = "2026-Q2"


# ---- helpers: each reads in its own app context ----


def people(app, n: int, slug: str = CAT_HAI, group: str = "B", start: int = 0) -> None:
    for i in range(start, start + n):
        rid = make_returnee(app, slug, national_id=f"03109000{i:04d}", full_name=f"Trần Văn {i}")
        under_management(app, slug, rid, group=group)


def new_report(app, slug: str = CAT_HAI, period: str = PERIOD) -> int:
    with app.test_request_context(), use_tenant(tenant(slug)):
        report = services.open_report(parse(period), None)
        db.session.commit()
        return report.id


def submit(app, report_id: int, slug: str = CAT_HAI) -> None:
    with app.test_request_context(), use_tenant(tenant(slug)):
        report = db.session.scalar(select(Report).where(Report.id == report_id))
        services.submit(report, None)
        db.session.commit()


def file_rows(app, slug: str = CAT_HAI) -> list[ReportFile]:
    with app.app_context(), use_tenant(tenant(slug)):
        rows = db.session.scalars(select(ReportFile).order_by(ReportFile.id)).all()
        db.session.expunge_all()
        return rows


def the_report(app, report_id: int, slug: str = CAT_HAI) -> Report:
    with app.app_context(), use_tenant(tenant(slug)):
        report = db.session.scalar(select(Report).where(Report.id == report_id))
        db.session.expunge_all()
        return report


def stored(app, key: str) -> bytes:
    with app.app_context():
        return files.storage().get(key)


def objects_under(app, prefix: str) -> list[str]:
    with app.app_context():
        base = files.storage().root
    return sorted(str(p.relative_to(base)) for p in (base / prefix).rglob("*") if p.is_file())


def audits(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def pdf_text(data: bytes) -> str:
    """The text of every page, lines joined: table cells and long headings wrap."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(unicodedata.normalize("NFC", text).split())


def in_locale(app, locale: str, text: str, **values) -> str:
    with app.test_request_context(), force_locale(locale):
        return gettext(text, **values)


def build(client, report_id: int, slug: str = CAT_HAI):
    return client.post(f"/t/{slug}/reports/{report_id}/build")


def download(client, file_id: int, slug: str = CAT_HAI):
    link = client.post(f"/t/{slug}/reports/files/{file_id}/link")
    if link.status_code != 303:
        return link
    return client.get(link.headers["Location"])


@pytest.fixture
def police(login):
    return login("commune_police", CAT_HAI, locale="vi")


@pytest.fixture
def built(app, police):
    """Three people under management in Cát Hải, a draft report for Q2, its files built."""
    people(app, 3)
    report_id = new_report(app)
    assert build(police, report_id).status_code == 303
    return report_id


# ---- building ----


def test_a_build_lands_a_workbook_and_a_pdf_with_their_checksums(app, police, built):
    rows = file_rows(app)
    assert sorted(r.format for r in rows) == ["pdf", "xlsx"]
    with app.test_request_context(), use_tenant(tenant(CAT_HAI)):
        values = services.snapshot(parse(PERIOD))
    assert values["under_management"] == 3 and values["group_b"] == 3
    for row in rows:
        data = stored(app, row.storage_key)
        assert files.sha256_of(data) == row.sha256 and len(data) == row.size
        assert row.snapshot_sha == services.snapshot_sha(values)
        assert row.storage_key == f"11914/reports/{built}/{row.snapshot_sha}-{row.sha256[:16]}.{row.format}"

    xlsx = load_workbook(io.BytesIO(stored(app, next(r for r in rows if r.format == "xlsx").storage_key)))
    with app.test_request_context(), force_locale("vi"):
        titles = [str(figures.SECTION_LABELS[s])[:31] for s in figures.SECTIONS]
    assert xlsx.sheetnames[1:] == titles and len(xlsx.sheetnames) == 1 + len(figures.SECTIONS)
    seen = {}
    for ws in xlsx.worksheets:
        last_column = ws.cell(1, ws.max_column).column_letter
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:{last_column}{ws.max_row}"
    for ws in xlsx.worksheets[1:]:
        for _number, _label, value, key in ws.iter_rows(min_row=2, values_only=True):
            seen[key] = value
        for row in ws.iter_rows(min_row=2):
            key, cell = row[3].value, row[2]
            expected = RATE if key in {r.key for r in figures.RATES} else MONEY if key == "loans_vnd" else COUNT
            assert cell.number_format == expected, key
    assert {k: seen[k] for k in figures.KEYS} == values
    assert {r.key: seen[r.key] for r in figures.RATES} == figures.rates(values)

    text = pdf_text(stored(app, next(r for r in rows if r.format == "pdf").storage_key))
    unit_line = in_locale(app, "vi", "Police of %(unit)s", unit="Đặc khu Cát Hải").upper()
    assert unit_line in text
    assert in_locale(app, "vi", "SOCIALIST REPUBLIC OF VIETNAM") in text
    with app.test_request_context(), force_locale("vi"):
        assert parse(PERIOD).label in text
        under = str(figures.BY_KEY["under_management"].label)
    assert re.search(rf"{re.escape(under)}\s*3\b", text)


def test_the_build_returns_to_the_report_page_which_lists_the_files(app, police, built):
    response = build(police, built)
    assert response.status_code == 303 and response.headers["Location"] == f"/t/{CAT_HAI}/reports/{built}"
    page = police.get(response.headers["Location"]).get_data(as_text=True)
    for row in file_rows(app):
        assert f"/t/{CAT_HAI}/reports/files/{row.id}/link" in page
    assert f"/t/{CAT_HAI}/reports/{built}/build" in page


def test_building_twice_keeps_one_file_per_format(app, police, built):
    first = file_rows(app)
    before = objects_under(app, f"11914/reports/{built}")
    assert build(police, built).status_code == 303
    assert [(r.id, r.storage_key) for r in file_rows(app)] == [(r.id, r.storage_key) for r in first]
    assert objects_under(app, f"11914/reports/{built}") == before
    assert {r.storage_key for r in first} <= set(before)  # the storage outlives a test: others may be there
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        results = [t.result for t in db.session.scalars(select(Task).order_by(Task.created_at, Task.id))]
    assert results[0] == results[1] == {"files": [r.id for r in first]}
    assert audits(app, "report.file") == 2


def test_the_same_snapshot_gives_the_same_workbook_bytes(app, built):
    report = the_report(app, built)
    with app.test_request_context(), use_tenant(tenant(CAT_HAI)):
        values, unit = services.snapshot(parse(PERIOD)), tenant(CAT_HAI)
        one = report_workbook(unit=unit, report=report, period=parse(PERIOD), values=values)
        two = report_workbook(unit=unit, report=report, period=parse(PERIOD), values=values)
    assert one == two


def test_a_draft_is_rebuilt_from_todays_figures_a_submitted_report_from_its_snapshot(app, police, built):
    draft_sha = {r.snapshot_sha for r in file_rows(app)}
    people(app, 1, start=10)  # the dossiers changed: a draft's figures are not frozen
    build(police, built)
    rows = file_rows(app)
    assert len(rows) == 4 and len({r.snapshot_sha for r in rows} - draft_sha) == 1

    submit(app, built)
    frozen = the_report(app, built).snapshot_sha
    build(police, built)
    submitted_files = [r for r in file_rows(app) if r.snapshot_sha == frozen]
    assert len(submitted_files) == 2
    people(app, 1, start=20)  # after submission the report keeps the figures it froze
    build(police, built)
    assert [r.id for r in file_rows(app) if r.snapshot_sha == frozen] == [r.id for r in submitted_files]
    assert len(file_rows(app)) == len({(r.snapshot_sha, r.format) for r in file_rows(app)})
    xlsx = load_workbook(io.BytesIO(stored(app, next(r for r in submitted_files if r.format == "xlsx").storage_key)))
    management = xlsx.worksheets[1 + figures.SECTIONS.index("management")]
    values = {row[3]: row[2] for row in management.iter_rows(min_row=2, values_only=True)}
    assert values["under_management"] == 4  # as submitted, not the 5 managed now


def test_a_missing_report_fails_the_job_with_a_message(app, police):
    assert build(police, 999_999).status_code == 404  # the view refuses first
    with app.test_request_context(), use_tenant(tenant(CAT_HAI)):
        from workers.runner import request_job

        task = request_job("reports.build", actor_id=None, locale="en", report_id=999_999)
        assert task.state == "failed" and "no longer there" in task.message


# ---- downloading ----


def test_a_download_link_serves_the_file_to_its_user_and_is_audited(app, police, built):
    pdf = next(r for r in file_rows(app) if r.format == "pdf")
    response = download(police, pdf.id)
    assert response.status_code == 200 and response.data == stored(app, pdf.storage_key)
    assert response.headers["Content-Disposition"] == f"attachment; filename=bao-cao-{PERIOD}.pdf"
    assert response.headers["X-Content-SHA256"] == pdf.sha256
    assert response.mimetype == "application/pdf"
    assert audits(app, "report.download") == 1


def test_a_link_works_only_for_its_user_in_its_unit_and_for_five_minutes(app, login, police, built, monkeypatch):
    pdf = next(r for r in file_rows(app) if r.format == "pdf")
    link = police.post(f"/t/{CAT_HAI}/reports/files/{pdf.id}/link").headers["Location"]
    colleague = login("commune_police", CAT_HAI)
    assert colleague.get(link).status_code == 404  # someone else's link
    assert login("commune_police", AN_KHANH).get(link.replace(CAT_HAI, AN_KHANH)).status_code == 404

    def aged(age: int) -> str:
        real = TimestampSigner.get_timestamp
        with app.test_request_context(), use_tenant(tenant(CAT_HAI)), monkeypatch.context() as patch:
            patch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - age)
            token = report_builds.download_token("report", pdf.id, police.user_id)
        return f"/t/{CAT_HAI}/reports/files/download/{token}"

    lifetime = app.config["DOWNLOAD_LINK_SECONDS"]
    assert lifetime == 300
    assert police.get(aged(lifetime - 30)).status_code == 200
    assert police.get(aged(lifetime + 5)).status_code == 404
    assert police.get(f"/t/{CAT_HAI}/reports/files/download/forged").status_code == 404
    assert audits(app, "report.download") == 1


@pytest.mark.parametrize(("role", "unit"), [
    ("commune_police", AN_KHANH), ("commune_leader", AN_KHANH), ("mttq_member", AN_KHANH),
    ("city_police", None), ("system_admin", None),
])
def test_outsiders_get_404_on_build_link_and_download_with_real_ids(app, login, police, built, role, unit):
    pdf = next(r for r in file_rows(app) if r.format == "pdf")
    link = police.post(f"/t/{CAT_HAI}/reports/files/{pdf.id}/link").headers["Location"]
    outsider = login(role, unit)
    for response in (
        build(outsider, built), outsider.post(f"/t/{CAT_HAI}/reports/files/{pdf.id}/link"), outsider.get(link),
    ):
        assert response.status_code == 404
        assert "Cát Hải".encode() not in response.data
    if unit:  # in their own unit, Cát Hải's ids are simply not there
        assert build(outsider, built, AN_KHANH).status_code == 404
        assert outsider.post(f"/t/{AN_KHANH}/reports/files/{pdf.id}/link").status_code == 404
    assert len(file_rows(app)) == 2 and audits(app, "report.download") == 0


@pytest.mark.parametrize("role", ["commune_leader", "mttq_member"])
def test_leaders_and_front_members_build_and_download(app, login, built, role):
    reader = login(role, CAT_HAI)
    people(app, 1, start=30)
    assert build(reader, built).status_code == 303
    newest = file_rows(app)[-1]
    assert download(reader, newest.id).status_code == 200


def test_the_files_partial_lists_files_with_csrf_forms(app, police, built):
    from flask import render_template

    with app.test_request_context(f"/t/{CAT_HAI}/reports/"), use_tenant(tenant(CAT_HAI)):
        from flask import g

        g.tenant = tenant(CAT_HAI)
        report = db.session.scalar(select(Report))
        rows = db.session.scalars(select(ReportFile)).all()
        html = render_template("reports/_files.html", report=report, files=rows)
    assert html.count('name="csrf_token"') == 3
    assert f"/t/{CAT_HAI}/reports/files/{rows[0].id}/link" in html
    assert f"/t/{CAT_HAI}/reports/{report.id}/build" in html
    assert "<script" not in html and "style=" not in html


# ---- the city roll-up ----


@pytest.fixture
def city(login):
    return login("city_police", None, locale="en")


@pytest.fixture
def submitted(app, built):
    submit(app, built)
    return built


def city_task(app) -> CityTask:
    with app.app_context():
        task = db.session.scalars(select(CityTask).order_by(CityTask.created_at.desc())).first()
        db.session.expunge_all()
        return task


def rollup_rows(app) -> list[RollupFile]:
    with app.app_context():
        rows = db.session.scalars(select(RollupFile).order_by(RollupFile.id)).all()
        db.session.expunge_all()
        return rows


def test_the_city_builds_the_rollup_as_a_city_task(app, city, submitted):
    response = city.post(f"/city/rollups/{PERIOD}/build", data={"source": "report"})
    assert response.status_code == 303 and response.headers["Location"] == f"/city/rollups/{PERIOD}?source=report"
    board = city.get(response.headers["Location"]).get_data(as_text=True)
    task = city_task(app)
    assert (task.kind, task.state, task.params) == ("rollups.build", "finished", {"period": PERIOD, "source": "report"})
    rows = rollup_rows(app)
    assert sorted(r.format for r in rows) == ["pdf", "xlsx"] and task.result == {"files": [r.id for r in rows]}
    for row in rows:
        assert f"/city/rollups/files/{row.id}/link" in board
        data = stored(app, row.storage_key)
        assert files.sha256_of(data) == row.sha256
        assert row.storage_key == f"city/rollups/{PERIOD}/report/{row.snapshot_sha}-{row.sha256[:16]}.{row.format}"

    xlsx = load_workbook(io.BytesIO(stored(app, next(r for r in rows if r.format == "xlsx").storage_key)))
    units, done = xlsx.worksheets
    assert units.freeze_panes == "C2" and units.auto_filter.ref.startswith("A1:")
    assert units.max_row == 1 + 114 + 1  # header, one row per unit, totals
    header = [c.value for c in units[1]]
    column = header.index("Under management at the end of the period") + 1
    cat_hai = next(r for r in units.iter_rows(min_row=2) if r[0].value == "11914")
    assert cat_hai[column - 1].value == 3 and units.cell(units.max_row, column).value == 3
    assert units.cell(units.max_row, 2).value == "Total"
    assert units.cell(2, column).number_format == COUNT
    assert [row[1] for row in done.iter_rows(min_row=2, max_row=5, values_only=True)] == [0, 1, 0, 113]

    text = pdf_text(stored(app, next(r for r in rows if r.format == "pdf").storage_key))
    assert "HAI PHONG CITY POLICE" in text and "Đặc khu Cát Hải" in text, text[:600]
    assert "Quarter II/2026" in text, text[:600]

    page = city.get(f"/city/jobs/{task.id}")
    assert page.status_code == 200 and "Refresh" not in page.headers

    again = city.post(f"/city/rollups/{PERIOD}/build", data={"source": "report"})
    assert again.status_code == 303 and [r.id for r in rollup_rows(app)] == [r.id for r in rows]

    link = city.post(f"/city/rollups/files/{rows[0].id}/link")
    got = city.get(link.headers["Location"])
    assert got.status_code == 200 and got.data == stored(app, rows[0].storage_key)
    assert got.headers["Content-Disposition"] == f"attachment; filename=tong-hop-report-{PERIOD}.{rows[0].format}"
    assert audits(app, "rollup.download") == 1
    assert login_other_city_user_cannot_use(app, link.headers["Location"])


def login_other_city_user_cannot_use(app, link: str) -> bool:
    from tests.conftest import sign_in

    with app.app_context():
        from portal.accounts import Membership, User
        from tests.conftest import _PASSWORD_HASH

        user = User(username="city-two", password_hash=_PASSWORD_HASH, full_name="Thứ hai")
        user.memberships.append(Membership(tenant_id=None, role="city_police"))
        db.session.add(user)
        db.session.commit()
        user_id = user.id
    client = app.test_client()
    sign_in(client, app, user_id)
    return client.get(link).status_code == 404


def test_rollup_requests_are_checked(app, city):
    assert city.post("/city/rollups/2026-Q9/build", data={"source": "report"}).status_code == 404
    assert city.post(f"/city/rollups/{PERIOD}/build", data={"source": "other"}).status_code == 400
    assert city.get("/city/jobs/nope").status_code == 404
    assert city.post("/city/rollups/files/999/link").status_code == 404
    assert city.get("/city/rollups/files/download/forged").status_code == 404
    assert rollup_rows(app) == []


@pytest.mark.parametrize(("role", "unit"), [
    ("commune_police", CAT_HAI), ("commune_leader", CAT_HAI), ("mttq_member", CAT_HAI), ("system_admin", None),
])
def test_unit_roles_cannot_use_the_city_routes(app, login, city, submitted, role, unit):
    city.post(f"/city/rollups/{PERIOD}/build", data={"source": "live"})
    row, task = rollup_rows(app)[0], city_task(app)
    link = city.post(f"/city/rollups/files/{row.id}/link").headers["Location"]
    other = login(role, unit)
    for response in (
        other.post(f"/city/rollups/{PERIOD}/build", data={"source": "report"}),
        other.post(f"/city/rollups/files/{row.id}/link"),
        other.get(link),
        other.get(f"/city/jobs/{task.id}"),
    ):
        assert response.status_code in (403, 404)
        assert b"tong-hop" not in response.data
    assert len(rollup_rows(app)) == 2 and audits(app, "rollup.download") == 0


def test_the_rollup_files_partial_posts_to_the_build_with_the_source(app, city):
    from flask import render_template

    with app.test_request_context("/city/"):
        html = render_template("city/_rollup_files.html", period=parse(PERIOD), source="live", files=[])
    assert f'action="/city/rollups/{PERIOD}/build"' in html and 'value="live"' in html
    assert "<script" not in html and "style=" not in html


def test_a_running_city_job_page_refreshes_itself(app, city):
    with app.app_context():
        task = CityTask(kind="rollups.build", params={"period": PERIOD, "source": "live"}, state="queued")
        db.session.add(task)
        db.session.commit()
        task_id = task.id
    page = city.get(f"/city/jobs/{task_id}")
    assert page.status_code == 200 and page.headers["Refresh"] == "2"
    assert '<meta http-equiv="refresh" content="2">' in page.get_data(as_text=True)


def test_report_dates_follow_the_period(app):
    assert parse(PERIOD).end == date(2026, 6, 30)


def test_storage_down_fails_the_build_and_records_no_file_and_a_retry_succeeds(
    _migrated, tmp_path, make_user, aws, moto
):
    from tests import servers

    bucket = servers.new_bucket(moto)
    down = f"http://127.0.0.1:{servers.closed_port()}"
    user_id = make_user("commune_police", CAT_HAI, locale="en")
    with servers.custom_app(_migrated, tmp_path / "down", STORAGE_URL=f"s3://{bucket}/x", S3_ENDPOINT_URL=down) as app:
        police = servers.client_for(app, user_id)
        report_id = new_report(app)
        assert build(police, report_id).status_code == 303
        with app.app_context(), use_tenant(tenant(CAT_HAI)):
            task = db.session.scalar(select(Task))
            assert task.state == "failed" and "StorageError" in task.message
        assert file_rows(app) == []
        page = police.get(f"/t/{CAT_HAI}/jobs/{task.id}").get_data(as_text=True)
        assert "failed" in page  # the user is told
    with servers.custom_app(_migrated, tmp_path / "back", STORAGE_URL=f"s3://{bucket}/x", S3_ENDPOINT_URL=moto) as app:
        police = servers.client_for(app, user_id)
        assert build(police, report_id).status_code == 303
        rows = file_rows(app)
        assert sorted(r.format for r in rows) == ["pdf", "xlsx"]
        assert servers.list_keys(moto, bucket) == sorted(f"x/{r.storage_key}" for r in rows)
