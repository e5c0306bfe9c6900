"""What every dossier view shares: template helpers, and the two refusals of a write — a closed
dossier (read-only) and a stale edit (someone saved the dossier meanwhile) — both 409 with a
message that says what happened and that nothing was saved."""

from flask import g, render_template
from flask_babel import gettext as _
from werkzeug.exceptions import Conflict

from blueprints.returnees import lifecycle
from blueprints.returnees.blueprint import bp
from blueprints.returnees.conviction_forms import ROMAN
from blueprints.returnees.expungement import Period, format_period
from blueprints.returnees.labels import NEED_LABELS, template_helpers
from blueprints.returnees.models import Returnee
from portal.permissions import Permission, can


class ClosedDossier(Conflict):
    pass


@bp.context_processor
def _helpers():
    return {
        **template_helpers(),
        "status_label": lambda s: lifecycle.STATUS_LABELS.get(s, s or ""),
        "overdue_label": lambda s: lifecycle.OVERDUE_LABELS.get(s, s or ""),
        "group_label": lambda s: lifecycle.GROUP_LABELS.get(s, s or ""),
        "closure_label": lambda s: lifecycle.CLOSURE_LABELS.get(s, s or ""),
        "need_labels": NEED_LABELS,
        "roman": lambda n: ROMAN[n - 1] if n and 0 < n <= len(ROMAN) else str(n or ""),
        "term": lambda months: format_period(Period.of_months(months)) if months else "",
    }


@bp.errorhandler(ClosedDossier)
def _closed(exc):
    message = _("This dossier is closed: it is read-only and nothing was changed.")
    return render_template("error.html", status=409, message=message), 409


def can_write() -> bool:
    return can(g.get("role"), Permission.DOSSIER_WRITE)


def refuse_if_closed(returnee: Returnee) -> None:
    """Every write to a dossier goes through here first (GET of its forms included)."""
    if returnee.is_closed:
        raise ClosedDossier()


def stale(form_version, returnee: Returnee) -> bool:
    """The form was filled from an older version of the dossier than the saved one."""
    return str(form_version or "") != str(returnee.version)


def attach(form, exc: lifecycle.TransitionError) -> None:
    """The lifecycle's refusal, next to the fields it names, or above the form when it names none here."""
    placed = False
    for name, message in exc.fields.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
            placed = True
    if not placed:
        form.form_errors.append(str(exc))


def stale_message() -> str:
    return _(
        "Someone else saved this dossier while you were working on it. Nothing of yours was saved; your "
        "entries are kept below. Check the dossier as it is now: saving this form again will apply your entries."
    )
