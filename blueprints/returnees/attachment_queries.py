"""A dossier's photo and scanned documents: attachments whose target is the returnee."""

from blueprints.returnees.combined import Part, entities
from workers.attachments import Attachment

TARGET = "returnee"


def attachments_part(returnee_id: int) -> Part:
    return Part(
        Attachment, (Attachment.target_type == TARGET, Attachment.target_id == returnee_id),
        (Attachment.created_at.desc(), Attachment.id.desc()),
    )


def attachments_context(returnee, rows: list[tuple] | None = None) -> dict:
    """Template variables for returnees/_attachments.html (one statement; none when the page already
    read `attachments_part` with its other lists and passes its `rows`)."""
    if rows is None:
        rows = attachments_part(returnee.id).rows()
    return {"attachments": entities(rows)}
