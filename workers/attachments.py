"""Attachments: accepted into quarantine by the web tier, checked and stored by a job.

pending → stored | rejected. Only stored files can be downloaded, through a signed link that
names the user and expires within minutes.
"""

import io
import logging
import re
import unicodedata
import uuid
from datetime import datetime

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from PIL import Image, UnidentifiedImageError
from sqlalchemy import ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from portal import audit
from portal.extensions import db
from tenants.context import current_tenant
from tenants.models import TenantOwned
from workers import storage as files
from workers.runner import JobFailed, job, report_progress

log = logging.getLogger(__name__)

PENDING, STORED, REJECTED = "pending", "stored", "rejected"
STATE_LABELS = {PENDING: _l("being checked"), STORED: _l("stored"), REJECTED: _l("rejected")}
UNSUPPORTED, UNREADABLE = "unsupported content", "unreadable image"
REJECT_LABELS = {
    UNSUPPORTED: _l("only PDF, JPEG and PNG files are accepted."),
    UNREADABLE: _l("the image could not be read."),
}
PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
MAX_PIXELS = 40_000_000


class Attachment(TenantOwned, db.Model):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int | None]
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str | None] = mapped_column(String(80))
    size: Mapped[int | None]
    sha256: Mapped[str | None] = mapped_column(String(64))
    storage_key: Mapped[str | None] = mapped_column(String(300))
    quarantine_key: Mapped[str | None] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(10), default=PENDING)
    reject_reason: Mapped[str | None] = mapped_column(String(200))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


def sniff(data: bytes) -> str | None:
    """The content type by the bytes themselves, not by the name or the browser's claim."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    return None


def reencode_image(data: bytes, content_type: str) -> bytes:
    """Decode and write the image again: drops metadata (GPS, camera) and anything hidden after it."""
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        out = io.BytesIO()
        if content_type == JPEG:
            img.convert("RGB").save(out, format="JPEG", quality=90)
        else:
            img.save(out, format="PNG")
    return out.getvalue()


def clean_filename(name: str | None) -> str:
    """The name to offer on download: the browser's last path part, without control characters.

    Vietnamese letters stay (send_file encodes them for the header); the storage key never uses it.
    """
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip(" .")
    return unicodedata.normalize("NFC", base)[:200] or "file"


EXTENSIONS = {PDF: (".pdf",), JPEG: (".jpg", ".jpeg"), PNG: (".png",)}


def served_name(filename: str, content_type: str | None) -> str:
    """The download name with the extension of what the file really is: a PDF uploaded as
    "x.html" is offered as "x.pdf", so no program opens it as something else."""
    wanted = EXTENSIONS.get(content_type or "")
    if not wanted:
        return filename
    stem, dot, ext = filename.rpartition(".")
    if dot and f".{ext.lower()}" in wanted:
        return filename
    return f"{stem if dot else filename}{wanted[0]}"


def accept_upload(target_type: str, target_id: int | None, filename: str, data: bytes, uploaded_by: int | None):
    """Web tier: keep the raw bytes in quarantine and record a pending attachment (flushes only).

    The bytes are written first: if storage is down this raises StorageError and no row exists.
    """
    tenant = current_tenant()
    key = files.tenant_key(tenant.code, "quarantine", uuid.uuid4().hex)
    files.storage().put(key, data, files.sha256_of(data))
    attachment = Attachment(
        target_type=target_type,
        target_id=target_id,
        filename=clean_filename(filename),
        size=len(data),
        quarantine_key=key,
        uploaded_by=uploaded_by,
    )
    db.session.add(attachment)
    try:
        db.session.flush()
    except Exception:
        discard_quarantine(key)
        raise
    return attachment


def discard_quarantine(key: str) -> None:
    """Best effort, for an upload whose row could not be saved: the blob would be an orphan."""
    try:
        files.storage().delete(key)
    except files.StorageError:
        log.warning("could not discard quarantined blob of a failed upload")


@job("files.store", queue="files")
def store_attachment(task, attachment_id: int) -> dict:
    """Check the content, re-encode images, checksum and store.

    Idempotent, and safe to crash anywhere: the stored key is derived from the content, the row is
    committed before the quarantined bytes are removed, and a re-run only finishes that cleanup.
    """
    attachment = db.session.scalar(db.select(Attachment).where(Attachment.id == attachment_id))
    if attachment is None:
        raise JobFailed(gettext("The file is no longer there."))
    backend = files.storage()
    if attachment.state != PENDING:
        _drop_quarantine(attachment, backend)
        return {"state": attachment.state}
    try:
        raw = backend.get(attachment.quarantine_key)
    except files.MissingObject as exc:
        raise JobFailed(gettext("The uploaded file was lost before it could be checked; upload it again.")) from exc
    report_progress(task, 30)
    content_type = sniff(raw)
    if content_type is None:
        return _reject(attachment, backend, UNSUPPORTED, task)
    if content_type in (JPEG, PNG):
        try:
            raw = reencode_image(raw, content_type)
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
            return _reject(attachment, backend, UNREADABLE, task)
    digest = files.sha256_of(raw)
    key = files.tenant_key(current_tenant().code, "attachments", f"{attachment.id}-{digest[:16]}")
    backend.put(key, raw, digest)
    report_progress(task, 80)
    attachment.state, attachment.storage_key = STORED, key
    attachment.content_type, attachment.size, attachment.sha256 = content_type, len(raw), digest
    audit.record("attachment.store", attachment, user_id=task.actor_id)
    db.session.commit()
    _drop_quarantine(attachment, backend)
    return {"state": STORED, "sha256": digest}


def _reject(attachment, backend, reason: str, task) -> dict:
    attachment.state, attachment.reject_reason = REJECTED, reason
    audit.record("attachment.reject", attachment, user_id=task.actor_id)
    db.session.commit()
    _drop_quarantine(attachment, backend)
    return {"state": REJECTED, "reason": reason}


def _drop_quarantine(attachment, backend) -> None:
    if attachment.quarantine_key:
        backend.delete(attachment.quarantine_key)
        attachment.quarantine_key = None
        db.session.commit()


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="attachment-download")


def download_token(attachment: Attachment, user_id: int) -> str:
    return _signer().dumps({"a": attachment.id, "t": attachment.tenant_id, "u": user_id})


def read_download_token(token: str, user_id: int) -> int | None:
    """The attachment id the token grants to this user, or None if forged, expired or someone else's."""
    try:
        data = _signer().loads(token, max_age=current_app.config["DOWNLOAD_LINK_SECONDS"])
    except (BadSignature, SignatureExpired):
        return None
    if data.get("u") != user_id or data.get("t") != getattr(current_tenant(), "id", None):
        return None
    return data.get("a")
