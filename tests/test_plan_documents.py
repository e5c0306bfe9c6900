"""A unit's campaign plan printed as an official document (Decree 30/2020/NĐ-CP): DOCX and PDF built by
a job (in-process here; on a real rq worker with S3 in the PostgreSQL pass), stored with their
checksums, one per content and format, and downloaded through short-lived links for one user.
"""

import io
import unicodedata
from datetime import date

import docx
import pytest
from flask import render_template
from flask_babel import force_locale, gettext
from itsdangerous import TimestampSigner
from markupsafe import escape
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from blueprints.campaigns import services
from blueprints.campaigns.models import AGENCY_LABELS, Campaign, PlanDocument, UnitPlan
from portal.audit import AuditEvent
from portal.extensions import db
from tenants.context import use_tenant
from tests import servers
from tests.conftest import tenant
from workers import plan_documents
from workers import storage as files
from workers.tasks import Task

AN_KHANH, CAT_HAI = "xa_an_khanh", "dac_khu_cat_hai"
AN_KHANH_CODE = "11668"
NUMBER = "13/KH-UBND"
TASK_TEXT = "Lập hồ sơ quản lý, giám sát, giáo dục người được đặc xá"


# ---- helpers: each works in its own app context ----


def new_campaign(app, status: str = "open") -> int:
    with app.test_request_context():
        campaign = services.new_campaign(
            None, name="Đặc xá năm 2025", year=2025, round=1, pardon_decision_number="1244/QĐ-CTN",
            pardon_decision_date=date(2025, 7, 3), release_decision_number="1693/QĐ-CTN",
            release_effective_on=date(2025, 9, 1), city_plan_number="1958/UBND-NC", city_plan_date=date(2025, 7, 23),
            report_due_on=date(2025, 9, 5),
        )
        if status == "open":
            services.open_campaign(campaign, None)
        db.session.commit()
        return campaign.id


def make_plan(app, campaign_id: int, slug: str = AN_KHANH, **fields) -> int:
    """The unit's plan from the campaign's template, filled in like the seed plan 13/KH-UBND."""
    values = {"number": NUMBER, "signed_on": date(2025, 7, 28), "signer_name": "Nguyễn Khắc Thuỷ",
              "signer_title": "Phó Chủ tịch", **fields}
    with app.test_request_context(), use_tenant(tenant(slug)):
        plan = services.ensure_plan(db.session.get(Campaign, campaign_id))
        for name, value in values.items():
            setattr(plan, name, value)
        db.session.commit()
        return plan.id


def edit_plan(app, plan_id: int, slug: str = AN_KHANH, **fields) -> None:
    with app.app_context(), use_tenant(tenant(slug)):
        plan = db.session.scalar(select(UnitPlan).where(UnitPlan.id == plan_id))
        for name, value in fields.items():
            setattr(plan, name, value)
        db.session.commit()


def documents(app, slug: str = AN_KHANH) -> list[PlanDocument]:
    with app.app_context(), use_tenant(tenant(slug)):
        rows = db.session.scalars(select(PlanDocument).order_by(PlanDocument.id)).all()
        db.session.expunge_all()
        return rows


def stored(app, key: str) -> bytes:
    with app.app_context():
        return files.storage().get(key)


def audits(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def vi(app, text: str, **values) -> str:
    with app.test_request_context(), force_locale("vi"):
        return gettext(text, **values)


def agency_headings(app) -> list[str]:
    with app.test_request_context(), force_locale("vi"):
        return [f"{i}. {label}" for i, label in enumerate(map(str, AGENCY_LABELS.values()), start=1)]


def pdf_text(data: bytes) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(unicodedata.normalize("NFC", text).split())


def build(client, campaign_id: int, slug: str = AN_KHANH):
    return client.post(f"/t/{slug}/campaigns/{campaign_id}/plan/build")


def link(client, document_id: int, slug: str = AN_KHANH):
    return client.post(f"/t/{slug}/campaigns/documents/{document_id}/link")


def the(rows, fmt: str) -> PlanDocument:
    return next(r for r in rows if r.format == fmt)


@pytest.fixture
def police(login):
    return login("commune_police", AN_KHANH, locale="vi")


@pytest.fixture
def campaign(app):
    return new_campaign(app)


@pytest.fixture
def plan(app, campaign):
    return make_plan(app, campaign)


@pytest.fixture
def built(app, police, campaign, plan):
    response = build(police, campaign)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/t/{AN_KHANH}/campaigns/{campaign}#plan-documents")
    return documents(app)


# ---- building ----


def test_a_build_stores_a_docx_and_a_pdf_with_their_checksums(app, plan, built):
    assert sorted(r.format for r in built) == ["docx", "pdf"]
    with app.test_request_context(), use_tenant(tenant(AN_KHANH)), force_locale("vi"):
        row = db.session.scalar(select(UnitPlan).options(selectinload(UnitPlan.tasks)))
        sha = plan_documents.content_sha(
            plan_documents.plan_content(row, db.session.get(Campaign, row.campaign_id), tenant(AN_KHANH), "vi"))
    for row in built:
        data = stored(app, row.storage_key)
        assert files.sha256_of(data) == row.sha256 and len(data) == row.size
        assert row.content_sha == sha and row.plan_id == plan
        assert row.storage_key == f"{AN_KHANH_CODE}/plans/{plan}/{sha}-{row.sha256[:16]}.{row.format}"
    assert audits(app, "campaign.plan_document") == 2


def test_the_pdf_reads_like_an_official_plan(app, built):
    data = stored(app, the(built, "pdf").storage_key)
    reader = PdfReader(io.BytesIO(data))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    text = pdf_text(data)
    for expected in (
        vi(app, "SOCIALIST REPUBLIC OF VIETNAM"), vi(app, "Independence - Freedom - Happiness"),
        vi(app, "PEOPLE'S COMMITTEE"), "XÃ AN KHÁNH", vi(app, "No.: %(number)s", number=NUMBER),
        vi(app, "%(place)s, %(day)s/%(month)s/%(year)s", place="An Khánh", day="28", month="7", year=2025),
        vi(app, "PLAN"), vi(app, "Carrying out the special pardon work in %(year)s", year=2025),
        "1958/UBND-NC", "23/07/2025", "1244/QĐ-CTN", "03/07/2025",
        f"I. {vi(app, 'PURPOSE AND REQUIREMENTS')}", f"III. {vi(app, 'ASSIGNMENT OF TASKS')}",
        f"IV. {vi(app, 'ORGANISATION OF IMPLEMENTATION')}", TASK_TEXT,
        vi(app, "Recipients:"), vi(app, "ON BEHALF OF THE PEOPLE'S COMMITTEE"), vi(app, "FOR THE CHAIRMAN"),
        "PHÓ CHỦ TỊCH", "Nguyễn Khắc Thuỷ", vi(app, "DRAFT"),
    ):
        assert expected in text, expected
    for heading in agency_headings(app):
        assert heading in text, heading
    # The agencies follow the template's order and the sections their numbering.
    positions = [text.index(h) for h in agency_headings(app)]
    assert positions == sorted(positions)


def test_the_docx_has_the_same_structure_with_real_styles_and_page_setup(app, built):
    document = docx.Document(io.BytesIO(stored(app, the(built, "docx").storage_key)))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert [round(m.mm) for m in (section.top_margin, section.bottom_margin, section.left_margin,
                                  section.right_margin)] == [20, 20, 30, 15]
    header = document.tables[0]
    issuer, nation = (cell.text.split("\n") for cell in header.rows[0].cells)
    assert issuer[:2] == [vi(app, "PEOPLE'S COMMITTEE"), "XÃ AN KHÁNH"]
    assert vi(app, "No.: %(number)s", number=NUMBER) in issuer
    assert nation[:2] == [vi(app, "SOCIALIST REPUBLIC OF VIETNAM"), vi(app, "Independence - Freedom - Happiness")]
    borders = header._tbl.tblPr.xml
    assert 'w:val="nil"' in borders  # no lines around the header
    by_style = {}
    for paragraph in document.paragraphs:
        by_style.setdefault(paragraph.style.name, []).append(paragraph.text)
    assert by_style["Title"] == [vi(app, "PLAN")]
    assert by_style["Subtitle"] == [vi(app, "Carrying out the special pardon work in %(year)s", year=2025)]
    assert [h.split(". ", 1)[0] for h in by_style["Heading 1"]] == ["I", "II", "III", "IV"]
    assert by_style["Heading 2"] == agency_headings(app)
    assert any(p.startswith(f"- {TASK_TEXT}") for p in by_style["Normal"])
    assert document.styles["Normal"].font.name == "Times New Roman"
    assert document.styles["Normal"].font.size.pt == 14
    closing = document.tables[1].rows[0].cells
    assert closing[0].text.startswith(vi(app, "Recipients:"))
    assert closing[1].text.split("\n")[:3] == [vi(app, "ON BEHALF OF THE PEOPLE'S COMMITTEE"),
                                              vi(app, "FOR THE CHAIRMAN"), "PHÓ CHỦ TỊCH"]
    assert document.core_properties.created.date() == date(2025, 7, 28)


def test_building_twice_keeps_one_file_per_format(app, police, campaign, built):
    assert build(police, campaign).status_code == 303
    assert [(r.id, r.storage_key) for r in documents(app)] == [(r.id, r.storage_key) for r in built]
    with app.app_context(), use_tenant(tenant(AN_KHANH)):
        results = [t.result for t in db.session.scalars(select(Task).order_by(Task.created_at, Task.id))]
    assert results[0] == results[1] and results[0]["documents"] == [the(built, f).id for f in ("docx", "pdf")]
    assert audits(app, "campaign.plan_document") == 2


def test_editing_the_plan_makes_a_new_document_and_keeps_the_old(app, police, campaign, plan, built):
    edit_plan(app, plan, number="14/KH-UBND", status="issued")
    assert build(police, campaign).status_code == 303
    rows = documents(app)
    assert len(rows) == 4 and len({r.content_sha for r in rows}) == 2
    newest = the(rows[2:], "pdf")
    text = pdf_text(stored(app, newest.storage_key))
    assert "14/KH-UBND" in text and vi(app, "DRAFT") not in text  # an issued plan carries no draft mark
    assert NUMBER in pdf_text(stored(app, the(built, "pdf").storage_key))


def test_the_same_content_gives_the_same_bytes(app, plan, built):
    with app.test_request_context(), use_tenant(tenant(AN_KHANH)), force_locale("vi"):
        row = db.session.scalar(select(UnitPlan).options(selectinload(UnitPlan.tasks)))
        doc = plan_documents.compose(row, db.session.get(Campaign, row.campaign_id), tenant(AN_KHANH))
        again = {fmt: plan_documents.render(fmt, doc) for fmt in ("docx", "pdf")}
    for fmt, data in again.items():
        assert files.sha256_of(data) == the(built, fmt).sha256, fmt


def test_a_lost_insert_race_keeps_the_winners_file_and_drops_its_own(app, police, campaign, plan, built,
                                                                    monkeypatch):
    winner = the(built, "pdf")
    # Another build recorded the PDF under another key just before this one inserts.
    edit_plan(app, plan)  # nothing changes: same content
    with app.app_context(), use_tenant(tenant(AN_KHANH)):
        row = db.session.get(PlanDocument, winner.id)
        data = files.storage().get(row.storage_key)
        row.storage_key = f"{AN_KHANH_CODE}/plans/{plan}/winner.pdf"
        files.storage().put(row.storage_key, data, row.sha256)
        db.session.commit()
    monkeypatch.setattr(plan_documents, "existing", lambda lookup: None)
    assert build(police, campaign).status_code == 303
    rows = documents(app)
    assert [r.id for r in rows] == [r.id for r in built]
    with app.app_context():
        assert files.storage().exists(f"{AN_KHANH_CODE}/plans/{plan}/winner.pdf")
        assert not files.storage().exists(winner.storage_key)  # the loser's own object is gone
        assert files.storage().exists(the(built, "docx").storage_key)  # same key as the winner's: kept


def test_a_missing_plan_fails_the_job_with_a_message(app, police, campaign):
    with app.test_request_context(), use_tenant(tenant(AN_KHANH)):
        from workers.runner import request_job

        task = request_job("campaigns.plan_document", actor_id=None, locale="en", plan_id=999_999)
        assert task.state == "failed" and "no longer there" in task.message
    assert build(police, campaign).status_code == 404  # no plan yet in this unit
    assert build(police, 999_999).status_code == 404


def test_a_draft_campaign_has_no_documents_for_units(app, police):
    draft = new_campaign(app, status="draft")
    make_plan(app, draft)
    assert build(police, draft).status_code == 404
    assert documents(app) == []


# ---- downloading ----


def test_a_download_serves_the_file_with_a_clean_name_and_is_audited(app, police, built):
    for row in built:
        response = police.get(link(police, row.id).headers["Location"])
        assert response.status_code == 200 and response.data == stored(app, row.storage_key)
        assert response.headers["Content-Disposition"] == f"attachment; filename=ke-hoach-dac-xa-2025.{row.format}"
        assert response.headers["X-Content-SHA256"] == row.sha256
        assert response.mimetype == plan_documents.CONTENT_TYPES[row.format]
        assert response.headers["Cache-Control"] == "no-store, private"
    assert audits(app, "campaign.plan_document_download") == 2


def test_a_link_works_only_for_its_user_in_its_unit_and_for_five_minutes(app, login, police, built, monkeypatch):
    pdf = the(built, "pdf")
    url = link(police, pdf.id).headers["Location"]
    assert login("commune_police", AN_KHANH).get(url).status_code == 404  # a colleague's link
    assert login("commune_police", CAT_HAI).get(url.replace(AN_KHANH, CAT_HAI)).status_code == 404

    def aged(age: int) -> str:
        real = TimestampSigner.get_timestamp
        with app.test_request_context(), use_tenant(tenant(AN_KHANH)), monkeypatch.context() as patch:
            patch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - age)
            token = plan_documents.download_token(pdf, police.user_id)
        return f"/t/{AN_KHANH}/campaigns/documents/download/{token}"

    assert app.config["DOWNLOAD_LINK_SECONDS"] == 300
    assert police.get(aged(270)).status_code == 200
    assert police.get(aged(305)).status_code == 404
    assert police.get(f"/t/{AN_KHANH}/campaigns/documents/download/forged").status_code == 404
    assert audits(app, "campaign.plan_document_download") == 1


@pytest.mark.parametrize(("role", "unit"), [
    ("commune_police", CAT_HAI), ("commune_leader", CAT_HAI), ("mttq_member", CAT_HAI),
    ("city_police", None), ("system_admin", None),
])
def test_outsiders_get_404_on_build_link_and_download_with_real_ids(app, login, police, campaign, built, role,
                                                                   unit):
    pdf = the(built, "pdf")
    url = link(police, pdf.id).headers["Location"]
    outsider = login(role, unit)
    for response in (build(outsider, campaign), link(outsider, pdf.id), outsider.get(url)):
        assert response.status_code == 404
        assert "An Khánh".encode() not in response.data
    if unit:  # in their own unit, An Khánh's ids are simply not there
        assert build(outsider, campaign, CAT_HAI).status_code == 404  # Cát Hải has no plan yet
        assert link(outsider, pdf.id, CAT_HAI).status_code == 404
        assert outsider.get(url.replace(AN_KHANH, CAT_HAI)).status_code == 404
    assert len(documents(app)) == 2 and audits(app, "campaign.plan_document_download") == 0


@pytest.mark.parametrize("role", ["commune_leader", "mttq_member"])
def test_leaders_and_front_members_build_and_download(app, login, campaign, plan, role):
    reader = login(role, AN_KHANH)
    assert build(reader, campaign).status_code == 303
    row = documents(app)[0]
    assert reader.get(link(reader, row.id).headers["Location"]).status_code == 200


def test_the_documents_partial_lists_files_with_csrf_forms(app, built, campaign):
    with app.test_request_context(f"/t/{AN_KHANH}/campaigns/"), use_tenant(tenant(AN_KHANH)):
        campaign_row = db.session.get(Campaign, campaign)
        plan_row = db.session.scalar(select(UnitPlan))
        rows = db.session.scalars(select(PlanDocument).order_by(PlanDocument.id.desc())).all()
        html = render_template("campaigns/_documents.html", campaign=campaign_row, plan=plan_row, documents=rows)
        empty = render_template("campaigns/_documents.html", campaign=campaign_row, plan=None, documents=[])
    assert html.count('name="csrf_token"') == 3
    assert f"/t/{AN_KHANH}/campaigns/documents/{rows[0].id}/link" in html
    assert f"/t/{AN_KHANH}/campaigns/{campaign}/plan/build" in html
    assert "plan/build" not in empty
    assert "<script" not in html and "style=" not in html


# ---- on a real worker, into S3 ----


@pytest.mark.redis
def test_a_worker_process_builds_the_documents_into_s3(_migrated, tmp_path, make_user, moto, aws):
    bucket = servers.new_bucket(moto)
    with servers.custom_app(_migrated, tmp_path, JOBS_INLINE=False, STORAGE_URL=f"s3://{bucket}/portal",
                            S3_ENDPOINT_URL=moto) as queued:
        campaign = new_campaign(queued)
        plan = make_plan(queued, campaign)
        police = servers.client_for(queued, make_user("commune_police", AN_KHANH, locale="vi"))
        assert build(police, campaign).status_code == 303
        with queued.app_context(), use_tenant(tenant(AN_KHANH)):
            assert db.session.scalar(select(Task.state)) == "queued"

        servers.run_worker(queued)

        with queued.app_context(), use_tenant(tenant(AN_KHANH)):
            task = db.session.scalar(select(Task))
            assert (task.state, task.progress) == ("finished", 100)
        rows = documents(queued)
        assert sorted(r.format for r in rows) == ["docx", "pdf"] and task.result["documents"] == [r.id for r in rows]
        assert servers.list_keys(moto, bucket) == sorted(f"portal/{r.storage_key}" for r in rows)
        for row in rows:
            assert row.storage_key.startswith(f"{AN_KHANH_CODE}/plans/{plan}/")
            assert files.sha256_of(stored(queued, row.storage_key)) == row.sha256
        text = pdf_text(stored(queued, the(rows, "pdf").storage_key))
        assert "XÃ AN KHÁNH" in text and NUMBER in text
        response = police.get(link(police, the(rows, "docx").id).headers["Location"])
        assert response.status_code == 200 and files.sha256_of(response.data) == the(rows, "docx").sha256


def test_the_campaign_page_shows_the_documents_and_the_flash(app, police, campaign, plan):
    response = build(police, campaign)
    page = police.get(response.headers["Location"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="plan-documents"' in html and f"/t/{AN_KHANH}/campaigns/{campaign}/plan/build" in html
    for row in documents(app):
        assert f"/t/{AN_KHANH}/campaigns/documents/{row.id}/link" in html
    assert str(escape(vi(app, "The plan's documents were built."))) in html
