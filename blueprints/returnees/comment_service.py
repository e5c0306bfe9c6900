"""Writing comments on a dossier (the HTML pages and the API share this): flushes and audits,
never commits.

Police, leaders and Front members of the unit comment (Permission.COMMENT); a closed dossier is
read-only, comments included. An author may delete their own comment within 15 minutes of writing
it (a typo, or something that should not have been written, such as an ID number); after that a
comment is part of the record and stays. Nobody deletes another person's comment.
"""

from datetime import UTC, datetime, timedelta

from flask_babel import gettext

from portal import audit
from portal.comments import Comment
from portal.extensions import db

TARGET = "returnee"
MAX_BODY = 2000
DELETE_WINDOW = timedelta(minutes=15)


class CommentRefused(Exception):
    """The comment cannot be written or removed; the message says why."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.status = status


def utc_now() -> datetime:
    # Stored naive, in UTC, like the server defaults of the other timestamps.
    return datetime.now(UTC).replace(tzinfo=None)


def body_error(body) -> str | None:
    """The message for an unacceptable body, else None."""
    if not isinstance(body, str) or not body.strip():
        return gettext("Write a comment.")
    if len(body.strip()) > MAX_BODY:
        return gettext("At most %(n)d characters.", n=MAX_BODY)
    return None


def add_comment(returnee, body: str, author_id: int) -> Comment:
    if returnee.is_closed:
        raise CommentRefused(gettext("A closed dossier is read-only."))
    comment = Comment(
        target_type=TARGET, target_id=returnee.id, author_id=author_id, body=body.strip(), created_at=utc_now()
    )
    db.session.add(comment)
    db.session.flush()
    audit.record("comment.create", comment, reason=f"returnee:{returnee.id}")
    return comment


def can_delete(comment: Comment, user_id: int | None, now: datetime | None = None) -> bool:
    now = now or utc_now()
    return user_id is not None and comment.author_id == user_id and now - comment.created_at <= DELETE_WINDOW


def delete_comment(returnee, comment: Comment, user_id: int) -> None:
    if returnee.is_closed:
        raise CommentRefused(gettext("A closed dossier is read-only."))
    if not can_delete(comment, user_id):
        raise CommentRefused(gettext("Only its author can delete a comment, within 15 minutes."), 403)
    audit.record("comment.delete", comment, reason=f"returnee:{returnee.id}")
    db.session.delete(comment)
    db.session.flush()
