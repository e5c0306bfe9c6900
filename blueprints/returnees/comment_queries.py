"""The comments of a dossier, read in one query (authors joined), for the dossier page's partial
`_comments.html`, for the report and plan pages, and for the API.

The dossier page calls `comments_context(returnee)` and passes the dict to its template:
    {% with ctx = comments %}…  or  render_template(..., **comments_context(returnee))
The partial reads `comments`, `comment_form`, `can_comment` and `comment_returnee_id`.
"""

from flask import g
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import aliased
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from blueprints.returnees.combined import Part
from blueprints.returnees.comment_service import MAX_BODY, TARGET, can_delete, utc_now
from portal.accounts import User
from portal.comments import Comment
from portal.permissions import Permission, can


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Comment"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Write a comment.")),
            Length(max=MAX_BODY, message=_l("At most %(max)d characters.")),
        ],
    )


def comment_part(target_id: int, target_type: str = TARGET) -> Part:
    """The comments of one dossier, report or plan with their authors' names, oldest first. Scoping
    keeps it inside the unit."""
    author = aliased(User)  # another part read in the same statement may name users too
    return Part(
        Comment, (Comment.target_type == target_type, Comment.target_id == target_id), (Comment.created_at, Comment.id),
        columns=(author.full_name, author.username), joins=((author, author.id == Comment.author_id),),
    )


def authored(rows: list[tuple]) -> list[tuple[Comment, str]]:
    return [(comment, full_name or username or "") for comment, full_name, username in rows]


def list_comments(returnee_id: int, target_type: str = TARGET) -> list[tuple[Comment, str]]:
    """(comment, author's name) of one dossier, report or plan, oldest first; one query."""
    return authored(comment_part(returnee_id, target_type).rows())


def comment_items(
    target_type: str, target_id: int, deletable: bool = True, rows: list[tuple] | None = None
) -> list[dict]:
    """What the `_comments.html` macro shows of one thread; `deletable=False` where the target is
    closed (authors may otherwise delete their own within 15 minutes). `rows`: the thread's
    `comment_part` rows when the page read them along with its other lists."""
    user_id = current_user.id if current_user.is_authenticated else None
    now = utc_now()
    found = authored(rows) if rows is not None else list_comments(target_id, target_type)
    return [
        {
            "comment": comment,
            "author": author,
            "deletable": deletable and can_delete(comment, user_id, now),
        }
        for comment, author in found
    ]


def comments_context(returnee, form: CommentForm | None = None, rows: list[tuple] | None = None) -> dict:
    """What `_comments.html` needs for this dossier: one query (none when the page passes the rows
    of `comment_part` it read with its other lists)."""
    return {
        "comments": comment_items(TARGET, returnee.id, deletable=not returnee.is_closed, rows=rows),
        "comment_form": form or CommentForm(),
        "can_comment": can(g.get("role"), Permission.COMMENT) and not returnee.is_closed,
        "comment_returnee_id": returnee.id,
    }
