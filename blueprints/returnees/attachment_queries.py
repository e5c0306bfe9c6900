"""A dossier's photo and scanned documents: attachments whose target is the returnee."""

from sqlalchemy import select

from portal.extensions import db
from workers.attachments import Attachment

TARGET = "returnee"


def attachments_context(returnee) -> dict:
    """Template variables for returnees/_attachments.html (one statement)."""
    rows = db.session.scalars(
        select(Attachment)
        .where(Attachment.target_type == TARGET, Attachment.target_id == returnee.id)
        .order_by(Attachment.created_at.desc(), Attachment.id.desc())
    ).all()
    return {"attachments": rows}
