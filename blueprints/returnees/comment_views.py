"""Comments on a dossier (HTML): police, leaders and Front members of the unit write them; an
author may delete their own within 15 minutes (see comment_service). The dossier page shows them
through the `_comments.html` partial; /comments is also a page of its own, where a refused form is
shown again with what was typed."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from blueprints.returnees import comment_service, queries
from blueprints.returnees.blueprint import bp
from blueprints.returnees.comment_queries import CommentForm, comments_context
from blueprints.returnees.models import Returnee
from portal import audit
from portal.comments import Comment
from portal.extensions import db
from portal.permissions import Permission, requires

MAX_ID = 2**31 - 1
load_returnee = queries.returnee_or_404


def dossier_url(returnee_id: int, anchor: str | None = None) -> str:
    return url_for("returnees.dossier", returnee_id=returnee_id, _anchor=anchor)


def _page(returnee: Returnee, form: CommentForm | None = None, status: int = 200):
    context = comments_context(returnee, form)
    page = render_template("returnees/comments.html", returnee=returnee, back_url=dossier_url(returnee.id), **context)
    return page, status


@bp.route("/returnees/<int:returnee_id>/comments")
@requires(Permission.DOSSIER_READ)
def comments(returnee_id):
    returnee = load_returnee(returnee_id)
    audit.record("comment.list", returnee)
    return _page(returnee)


@bp.route("/returnees/<int:returnee_id>/comments", methods=["POST"])
@requires(Permission.COMMENT)
def add_comment(returnee_id):
    returnee = load_returnee(returnee_id)
    form = CommentForm()
    if returnee.is_closed:
        flash(gettext("A closed dossier is read-only."), "error")
        return redirect(dossier_url(returnee.id, "comments"), code=303)
    if not form.validate():
        return _page(returnee, form, 422)
    comment_service.add_comment(returnee, form.body.data, current_user.id)
    db.session.commit()
    flash(gettext("Comment added."), "info")
    return redirect(dossier_url(returnee_id, "comments"), code=303)


@bp.route("/returnees/<int:returnee_id>/comments/<int:comment_id>/delete", methods=["POST"])
@requires(Permission.COMMENT)
def delete_comment(returnee_id, comment_id):
    returnee = load_returnee(returnee_id)
    if not 0 < comment_id <= MAX_ID:
        abort(404)
    comment = db.session.scalar(
        select(Comment).where(
            Comment.id == comment_id, Comment.target_type == comment_service.TARGET, Comment.target_id == returnee.id
        )
    )
    if comment is None:
        abort(404)
    try:
        comment_service.delete_comment(returnee, comment, current_user.id)
    except comment_service.CommentRefused as exc:
        db.session.rollback()
        if exc.status == 403:
            abort(403)
        flash(str(exc), "error")
        return redirect(dossier_url(returnee_id, "comments"), code=303)
    db.session.commit()
    flash(gettext("Comment deleted."), "info")
    return redirect(dossier_url(returnee_id, "comments"), code=303)
