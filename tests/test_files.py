"""Uploads, the files page and signed downloads; jobs run in-process here (both passes).

The queue path with real rq workers is in test_jobs.py; the backends themselves in test_storage.py.
"""

import hashlib
import io
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask_babel import force_locale
from itsdangerous import TimestampSigner
from PIL import Image
from sqlalchemy import func, select

from portal.audit import AuditEvent
from portal.extensions import db
from tenants.context import use_tenant
from tests import servers
from tests.conftest import tenant
from tests.servers import PDF, client_for, upload
from workers import storage as files
from workers.attachments import REJECTED, STATE_LABELS, STORED, Attachment, download_token
from workers.tasks import Task

CAT_HAI, AN_KHANH = "dac_khu_cat_hai", "xa_an_khanh"
VIETNAMESE_NAME = "Biên bản bàn giao – Nguyễn Văn Ánh.pdf"




@pytest.fixture
def police(login):
    return login("commune_police", CAT_HAI, locale="en")


# Each reads in its own app context: a context held open across requests would be shared with
# them (Flask reuses it), and so would the session and `g`.


def attachments_of(app, slug: str) -> list[Attachment]:
    with app.app_context(), use_tenant(tenant(slug)):
        rows = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
        db.session.expunge_all()
        return rows


def count_rows(app, slug: str, model) -> int:
    with app.app_context(), use_tenant(tenant(slug)):
        return db.session.scalar(select(func.count()).select_from(model))


def stored_bytes(app, key: str) -> bytes:
    with app.app_context():
        return files.storage().get(key)


def quarantined(app) -> set[Path]:
    """Cát Hải's quarantine folder in a local-storage app."""
    root = Path(app.config["STORAGE_URL"].removeprefix("file://"))
    return set((root / "11914" / "quarantine").glob("*"))


def download(client, slug: str, attachment_id: int):
    """The page's download button: POST …/open, then follow the signed link."""
    response = client.post(f"/t/{slug}/files/{attachment_id}/open")
    assert response.status_code == 303, response.status_code
    return client.get(response.headers["Location"])


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (20.0, 51.0, 0.0)}  # GPSInfo: where the photo was taken
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


# ---- upload → check → store → download ----


def test_upload_is_checked_stored_and_downloadable_with_its_vietnamese_name(app, police):
    response = upload(police, CAT_HAI, PDF, VIETNAMESE_NAME)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/t/{CAT_HAI}/files")

    (attachment,) = attachments_of(app, CAT_HAI)
    assert attachment.state == STORED
    assert attachment.filename == VIETNAMESE_NAME
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    assert attachment.content_type == "application/pdf" and attachment.size == len(PDF)
    # Keys live under the unit's code; the quarantined copy is gone.
    assert attachment.storage_key.startswith("11914/attachments/")
    assert attachment.quarantine_key is None
    assert stored_bytes(app, attachment.storage_key) == PDF
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        task = db.session.scalar(select(Task))
        assert (task.kind, task.state, task.progress) == ("files.store", "finished", 100)
        assert task.params == {"attachment_id": attachment.id}
        assert task.actor_id == police.user_id

    page = police.get(f"/t/{CAT_HAI}/files")
    assert "was checked and stored" in page.get_data(as_text=True)
    assert VIETNAMESE_NAME in page.get_data(as_text=True)

    response = download(police, CAT_HAI, attachment.id)
    assert response.status_code == 200
    assert response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-SHA256"] == attachment.sha256
    assert "no-store" in response.headers["Cache-Control"]
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    # RFC 6266/5987: an ASCII fallback and the exact UTF-8 name, percent-encoded.
    assert "filename*=UTF-8''Bi%C3%AAn%20b%E1%BA%A3n" in disposition
    disposition.encode("latin-1")  # a header must be encodable as is

    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.object_id == str(attachment.id)).order_by(AuditEvent.id)
        ).all()
        assert [e.action for e in events] == ["attachment.upload", "attachment.store", "attachment.download"]
        assert {e.user_id for e in events} == {police.user_id}
        assert {e.tenant_id for e in events} == {tenant(CAT_HAI).id}


def test_the_json_link_also_works(app, police):
    upload(police, CAT_HAI, PDF)
    (attachment,) = attachments_of(app, CAT_HAI)
    response = police.post(f"/t/{CAT_HAI}/files/{attachment.id}/link")
    assert response.status_code == 200
    assert police.get(response.json["url"]).data == PDF


def test_images_are_re_encoded_without_their_metadata(app, police):
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get(0x8825)
    upload(police, CAT_HAI, original, "anh-chan-dung.jpg")
    (attachment,) = attachments_of(app, CAT_HAI)
    assert attachment.state == STORED and attachment.content_type == "image/jpeg"
    stored = stored_bytes(app, attachment.storage_key)
    assert stored != original
    assert attachment.sha256 == hashlib.sha256(stored).hexdigest()
    assert not Image.open(io.BytesIO(stored)).getexif()


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"MZ\x90\x00 not a document", "only PDF, JPEG and PNG"), (b"\x89PNG\r\n\x1a\nbroken", "could not be read")],
)
def test_unacceptable_content_is_rejected_and_not_kept(app, police, data, reason):
    before = quarantined(app)
    response = upload(police, CAT_HAI, data, "ho-so.pdf")
    assert response.status_code == 303
    (attachment,) = attachments_of(app, CAT_HAI)
    assert attachment.state == REJECTED
    assert attachment.storage_key is None and attachment.quarantine_key is None
    assert quarantined(app) == before
    page = police.get(f"/t/{CAT_HAI}/files").get_data(as_text=True)
    assert "was refused" in page and reason in page
    assert f"/files/{attachment.id}/open" not in page  # no download button
    assert police.post(f"/t/{CAT_HAI}/files/{attachment.id}/open").status_code == 404


def test_files_page_shows_translated_states_a_csrf_form_and_no_inline_code(app, login):
    client = login("commune_police", CAT_HAI)  # no personal choice: the Vietnamese default
    upload(client, CAT_HAI, PDF)
    response = client.get(f"/t/{CAT_HAI}/files")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    with app.test_request_context(), force_locale("vi"):
        assert str(STATE_LABELS[STORED]) in html
    assert 'enctype="multipart/form-data"' in html and 'name="csrf_token"' in html
    assert "<script" not in html and "style=" not in html and "<style" not in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_pending_files_say_so(_migrated, tmp_path, make_user):
    # As when no worker has got to it yet (here: the queue is unreachable, so the task waits).
    closed = f"redis://127.0.0.1:{servers.closed_port()}/0"
    with servers.custom_app(_migrated, tmp_path, JOBS_INLINE=False, REDIS_URL=closed) as app:
        client = client_for(app, make_user("commune_police", CAT_HAI, locale="en"))
        response = upload(client, CAT_HAI, PDF)
        assert response.status_code == 303
        (attachment,) = attachments_of(app, CAT_HAI)
        assert attachment.state == "pending"
        page = client.get(f"/t/{CAT_HAI}/files").get_data(as_text=True)
        assert "was received; it is being checked" in page and "being checked" in page
        assert f"/files/{attachment.id}/open" not in page
        assert client.post(f"/t/{CAT_HAI}/files/{attachment.id}/link").status_code == 404


# ---- refusals with a clear message, and nothing half-made ----


def test_an_oversized_upload_is_refused_with_the_limit(_migrated, tmp_path, make_user):
    with servers.custom_app(_migrated, tmp_path, MAX_CONTENT_LENGTH=4096) as app:
        client = client_for(app, make_user("commune_police", CAT_HAI, locale="en"))
        response = upload(client, CAT_HAI, PDF + b"0" * 8192)
        assert response.status_code == 413
        text = response.get_data(as_text=True)
        assert "too large: the limit is 0.00390625 MB" in text and "Nothing was saved" in text
        assert upload(client, CAT_HAI, PDF).status_code == 303  # a file within the limit still goes through
    assert len(attachments_of(app, CAT_HAI)) == 1


def test_an_oversized_upload_is_refused_before_the_csrf_check_too(_migrated, tmp_path, make_user):
    with servers.custom_app(_migrated, tmp_path, MAX_CONTENT_LENGTH=4096, WTF_CSRF_ENABLED=True) as app:
        client = client_for(app, make_user("commune_police", CAT_HAI, locale="en"))
        response = upload(client, CAT_HAI, PDF + b"0" * 8192)
        assert response.status_code == 413
        assert "too large" in response.get_data(as_text=True)
    assert attachments_of(app, CAT_HAI) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose a file to upload."),
        ({"file": (io.BytesIO(b""), "")}, "Choose a file to upload."),
        ({"file": (io.BytesIO(b""), "rong.pdf")}, "is empty"),
        ({"file": (io.BytesIO(PDF), "a.pdf"), "target_id": "x"}, "not attached to a valid record"),
        ({"file": (io.BytesIO(PDF), "a.pdf"), "target_type": "../etc"}, "not attached to a valid record"),
        ({"file": (io.BytesIO(PDF), "a.pdf"), "target_id": "99999999999"}, "not attached to a valid record"),
    ],
)
def test_missing_or_empty_files_are_refused_with_a_message(app, police, data, message):
    response = police.post(f"/t/{CAT_HAI}/files", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count_rows(app, CAT_HAI, Attachment) == 0 and count_rows(app, CAT_HAI, Task) == 0


def test_storage_unreachable_refuses_the_upload_and_leaves_nothing(_migrated, tmp_path, make_user, aws):
    down = f"http://127.0.0.1:{servers.closed_port()}"
    with servers.custom_app(_migrated, tmp_path, STORAGE_URL="s3://portal-files/x", S3_ENDPOINT_URL=down) as app:
        client = client_for(app, make_user("commune_police", CAT_HAI, locale="en"))
        response = upload(client, CAT_HAI, PDF)
        assert response.status_code == 503
        assert "File storage cannot be reached" in response.get_data(as_text=True)
        assert count_rows(app, CAT_HAI, Attachment) == 0 and count_rows(app, CAT_HAI, Task) == 0
        assert count_rows(app, CAT_HAI, AuditEvent) == 0


def test_an_upload_that_cannot_be_recorded_leaves_no_quarantined_bytes(app, police, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("blueprints.units.routes.request_job", broken)
    before = quarantined(app)
    with pytest.raises(RuntimeError):
        upload(police, CAT_HAI, PDF)
    assert count_rows(app, CAT_HAI, Attachment) == 0
    assert quarantined(app) == before


def test_uploads_need_the_csrf_token_when_it_is_on(_migrated, tmp_path, make_user):
    with servers.custom_app(_migrated, tmp_path, WTF_CSRF_ENABLED=True) as app:
        client = client_for(app, make_user("commune_police", CAT_HAI, locale="en"))
        assert upload(client, CAT_HAI, PDF).status_code == 400
        page = client.get(f"/t/{CAT_HAI}/files").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert upload(client, CAT_HAI, PDF, csrf_token=token).status_code == 303
        (attachment,) = attachments_of(app, CAT_HAI)
        assert client.post(f"/t/{CAT_HAI}/files/{attachment.id}/open").status_code == 400
        response = client.post(f"/t/{CAT_HAI}/files/{attachment.id}/open", data={"csrf_token": token})
        assert client.get(response.headers["Location"]).data == PDF


# ---- who may see what ----


@pytest.fixture
def cat_hai_file(app, police):
    upload(police, CAT_HAI, PDF, "cat-hai.pdf")
    (attachment,) = attachments_of(app, CAT_HAI)
    return attachment


def test_another_units_user_cannot_list_link_or_download(app, login, police, cat_hai_file):
    outsider = login("commune_police", AN_KHANH, locale="en")
    upload(outsider, AN_KHANH, PDF, "an-khanh.pdf")
    link = police.post(f"/t/{CAT_HAI}/files/{cat_hai_file.id}/link").json["url"]
    token = parse_qs(urlsplit(link).query)["token"][0]

    # Through Cát Hải's URLs: not a member, so the unit itself is not there.
    for method, url in [
        ("get", f"/t/{CAT_HAI}/files"),
        ("post", f"/t/{CAT_HAI}/files/{cat_hai_file.id}/link"),
        ("post", f"/t/{CAT_HAI}/files/{cat_hai_file.id}/open"),
        ("get", link),
    ]:
        assert getattr(outsider, method)(url).status_code == 404, url
    # Through An Khánh's URLs: the attachment does not exist there, whatever the token says.
    with app.test_request_context(), use_tenant(tenant(CAT_HAI)):
        own_token = download_token(cat_hai_file, outsider.user_id)  # even a token naming the outsider
    for method, url in [
        ("post", f"/t/{AN_KHANH}/files/{cat_hai_file.id}/link"),
        ("post", f"/t/{AN_KHANH}/files/{cat_hai_file.id}/open"),
        ("get", f"/t/{AN_KHANH}/files/{cat_hai_file.id}/download?token={token}"),
        ("get", f"/t/{AN_KHANH}/files/{cat_hai_file.id}/download?token={own_token}"),
    ]:
        assert getattr(outsider, method)(url).status_code == 404, url
    page = outsider.get(f"/t/{AN_KHANH}/files").get_data(as_text=True)
    assert "an-khanh.pdf" in page and "cat-hai.pdf" not in page
    page = police.get(f"/t/{CAT_HAI}/files").get_data(as_text=True)
    assert "cat-hai.pdf" in page and "an-khanh.pdf" not in page


def test_a_download_while_storage_is_down_says_so(app, police, cat_hai_file, _migrated, tmp_path, aws):
    down = f"http://127.0.0.1:{servers.closed_port()}"
    config = {"STORAGE_URL": "s3://portal-files/x", "S3_ENDPOINT_URL": down}
    with servers.custom_app(_migrated, tmp_path, **config) as storage_down:
        client = client_for(storage_down, police.user_id)
        response = download(client, CAT_HAI, cat_hai_file.id)
        assert response.status_code == 503
        assert "try the download again" in response.get_data(as_text=True)


def test_a_link_works_only_for_the_user_it_was_made_for(login, police, cat_hai_file):
    colleague = login("commune_leader", CAT_HAI)
    link = police.post(f"/t/{CAT_HAI}/files/{cat_hai_file.id}/link").json["url"]
    assert colleague.get(link).status_code == 404
    assert police.get(link).status_code == 200
    assert police.get(link.replace(f"/files/{cat_hai_file.id}/", "/files/999/")).status_code == 404
    assert police.get(link[:-3] + "abc").status_code == 404  # tampered signature
    assert police.get(f"/t/{CAT_HAI}/files/{cat_hai_file.id}/download").status_code == 404  # no token


def test_an_expired_link_is_refused(app, police, cat_hai_file, monkeypatch):
    def link(age: int) -> str:
        real = TimestampSigner.get_timestamp
        with app.test_request_context(), use_tenant(tenant(CAT_HAI)), monkeypatch.context() as patch:
            patch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - age)
            token = download_token(cat_hai_file, police.user_id)
        return f"/t/{CAT_HAI}/files/{cat_hai_file.id}/download?token={token}"

    lifetime = app.config["DOWNLOAD_LINK_SECONDS"]
    assert police.get(link(lifetime - 30)).status_code == 200
    assert police.get(link(lifetime + 5)).status_code == 404


def test_signed_out_users_are_sent_to_sign_in(app, police, cat_hai_file):
    link = police.post(f"/t/{CAT_HAI}/files/{cat_hai_file.id}/link").json["url"]
    anonymous = app.test_client()
    response = anonymous.get(link)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert upload(anonymous, CAT_HAI, PDF).status_code == 302


def test_front_members_read_and_download_but_cannot_upload(app, login, cat_hai_file):
    member = login("mttq_member", CAT_HAI, locale="en")
    page = member.get(f"/t/{CAT_HAI}/files").get_data(as_text=True)
    assert "cat-hai.pdf" in page and 'enctype="multipart/form-data"' not in page
    assert download(member, CAT_HAI, cat_hai_file.id).data == PDF
    assert upload(member, CAT_HAI, PDF, "khac.pdf").status_code == 403
    assert len(attachments_of(app, CAT_HAI)) == 1


@pytest.mark.parametrize("role", ["commune_leader", "mttq_member"])
def test_only_roles_that_write_dossiers_upload(app, login, role):
    assert upload(login(role, CAT_HAI), CAT_HAI, PDF).status_code == 403
    assert count_rows(app, CAT_HAI, Attachment) == 0


# ---- the S3 backend, end to end ----


def test_upload_store_and_download_through_s3(_migrated, tmp_path, make_user, moto, aws):
    bucket = servers.new_bucket(moto)
    with servers.custom_app(_migrated, tmp_path, STORAGE_URL=f"s3://{bucket}/portal", S3_ENDPOINT_URL=moto) as app:
        client = client_for(app, make_user("commune_police", CAT_HAI, locale="en"))
        assert upload(client, CAT_HAI, PDF, VIETNAMESE_NAME).status_code == 303
        (attachment,) = attachments_of(app, CAT_HAI)
        assert attachment.state == STORED
        assert servers.list_keys(moto, bucket) == [f"portal/{attachment.storage_key}"]
        response = download(client, CAT_HAI, attachment.id)
        assert response.status_code == 200 and response.data == PDF
        assert "filename*=UTF-8''Bi%C3%AAn" in response.headers["Content-Disposition"]


def test_a_file_is_offered_under_the_extension_of_what_it_really_is(app, login):
    """A PDF uploaded as "x.html" downloads as "x.pdf": no browser or program opens it as a page."""
    police = login("commune_police", CAT_HAI)
    assert upload(police, CAT_HAI, PDF, name="Biên bản Nguyễn Văn Ánh.html").status_code == 303
    (attachment,) = attachments_of(app, CAT_HAI)
    response = download(police, CAT_HAI, attachment.id)
    disposition = response.headers["Content-Disposition"]
    assert response.headers["Content-Type"] == "application/pdf"
    assert "Nguy%E1%BB%85n%20V%C4%83n%20%C3%81nh.pdf" in disposition and ".html" not in disposition


def test_the_name_of_an_uploaded_file_never_travels_in_the_cookie(app, login):
    """Flashed messages live in the signed (readable) session cookie; a scan's name is often a person's."""
    police = login("commune_police", CAT_HAI)
    upload(police, CAT_HAI, PDF, name=VIETNAMESE_NAME)
    cookie = police.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    session = app.session_interface.get_signing_serializer(app).loads(cookie)
    flashed = " ".join(message for _, message in session.get("_flashes", []))
    assert flashed and "Nguyễn" not in flashed and "Nguyễn" not in str(session)
