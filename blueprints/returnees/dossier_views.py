"""The dossier page and the lifecycle's transitions.

The page gathers its own parts (identity, release, convictions, expected expungement, due dates,
history) and the parts other features render in their partials, through their context functions:
care_queries.care_context, comment_queries.comments_context and attachments_context (merged into the
page's variables), transfer_queries.transfer_context (passed as `transfer`). Every list of the page is
read in one statement (combined.together), which those functions are given instead of reading their
own: the page costs the same five statements (unit, user, dossier, audit, lists) whatever its rows.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from blueprints.returnees import facts, lifecycle, queries, services
from blueprints.returnees.attachment_queries import attachments_context, attachments_part
from blueprints.returnees.blueprint import bp
from blueprints.returnees.care_queries import care_context, care_parts
from blueprints.returnees.combined import together
from blueprints.returnees.comment_queries import comment_part, comments_context
from blueprints.returnees.common import attach, can_write, refuse_if_closed, stale, stale_message
from blueprints.returnees.transfer_queries import transfer_context, transfers_part
from blueprints.returnees.transition_forms import transition_form
from portal import audit
from portal.extensions import db
from portal.permissions import Permission, requires

# Entering and leaving "transferring" go with a Transfer record and the other unit (start, accept,
# cancel): the transfer feature's own forms do it (returnees/_transfer.html), never this generic one.
ELSEWHERE = frozenset({"transferring"})


def offered_transitions(returnee) -> list[str]:
    """The statuses this page offers a button for, in the lifecycle's order."""
    if returnee.status in ELSEWHERE:
        return []
    allowed = lifecycle.allowed(returnee.status)
    return [s for s in lifecycle.STATUSES if s in allowed and s not in ELSEWHERE]


@bp.route("/returnees/<int:returnee_id>")
@requires(Permission.DOSSIER_READ)
def dossier(returnee_id):
    returnee = queries.dossier_or_404(returnee_id)
    audit.record("returnee.read", returnee)
    on = facts.today()
    rows = together({
        **care_parts(returnee.id, on),
        "history": queries.history_part(returnee.id),
        "transfers": transfers_part(returnee.id),
        "comments": comment_part(returnee.id),
        "attachments": attachments_part(returnee.id),
    })
    writable = can_write() and not returnee.is_closed
    own = {
        "returnee": returnee,
        "history": rows["history"],
        "expungement": facts.expected_expungement(returnee, on),
        "due_dates": facts.due_dates(returnee),
        "today": on,
        "can_write": writable,
        "read_only": returnee.is_closed,
        "transitions": offered_transitions(returnee) if writable else [],
        # _transfer.html reads `transfer` when the page passes it (else it fetches it itself).
        "transfer": transfer_context(returnee, rows["transfers"]),
    }
    # The partials' variables first: a name this page defines is never overridden by one of theirs.
    context = {
        **care_context(returnee, on, rows),
        **comments_context(returnee, rows=rows["comments"]),
        **attachments_context(returnee, rows["attachments"]),
        **own,
    }
    return render_template("returnees/dossier.html", **context)


@bp.route("/returnees/<int:returnee_id>/transition/<to>", methods=["GET", "POST"])
@requires(Permission.DOSSIER_WRITE)
def transition(returnee_id, to):
    if to not in lifecycle.STATUSES or to in ELSEWHERE:
        abort(404)
    returnee = queries.returnee_or_404(returnee_id)
    refuse_if_closed(returnee)
    if returnee.status in ELSEWHERE:
        message = _(
            "This dossier is moving to another unit: its status follows the transfer (accepted by that unit, "
            "or cancelled here)."
        )
        return render_template("error.html", status=409, message=message), 409
    if to not in lifecycle.allowed(returnee.status):
        message = _("This change of status is not allowed from the current status.")
        return render_template("error.html", status=409, message=message), 409
    if request.method != "POST":
        # Facts the dossier already holds are offered again (back from custody, the dossier's opening
        # date and group; the follow-up of a missed deadline), to be confirmed or corrected.
        form = transition_form(to, obj=returnee)
        form.version.data = returnee.version
        return _page(form, returnee)
    form = transition_form(to)
    if form.validate_on_submit():
        if stale(form.version.data, returnee):
            return _conflict(form, returnee)
        try:
            services.change_status(returnee, to, form.event_day(), form.facts(), current_user.id)
            db.session.commit()
        except lifecycle.TransitionError as exc:
            # Refused before anything was changed (lifecycle.check runs first).
            attach(form, exc)
            return _page(form, returnee, status=422)
        except StaleDataError:
            db.session.rollback()
            return _conflict(form, queries.returnee_or_404(returnee_id))
        flash(_("The status is now: %(status)s.", status=lifecycle.STATUS_LABELS[to]), "info")
        return redirect(url_for("returnees.dossier", returnee_id=returnee.id), code=303)
    return _page(form, returnee, status=422)


def _page(form, returnee, *, conflict=None, status=200):
    page = render_template("returnees/transition.html", form=form, returnee=returnee, conflict=conflict)
    return page, status


def _conflict(form, returnee):
    refuse_if_closed(returnee)  # closed meanwhile: say so rather than offer to save again
    form.version.data = returnee.version
    return _page(form, returnee, conflict=stale_message(), status=409)
