"""Moving a dossier through its lifecycle through the API (DESIGN.md §3, §6, §11): the same
services.change_status as the dossier pages, which checks the facts, flushes and audits; one commit.

The body names the target status (`to`), optionally the legal date (`on`: by default the status's
own date fact, else today) and the facts lifecycle.REQUIRED_FACTS asks for it. Entering or leaving
"transferring" belongs to the transfer flow (a Transfer record and the other unit), never here.
"""

from flask import g, jsonify
from flask_babel import gettext

from blueprints.api import bp
from blueprints.api import returnee_service as service
from blueprints.api.returnees import detail, load_returnee
from blueprints.api.validation import Invalid, Spec, day, json_body, one_of, parse, text
from blueprints.returnees import facts, lifecycle, services
from blueprints.returnees.dossier_views import ELSEWHERE
from blueprints.returnees.models import Returnee
from blueprints.returnees.transition_forms import EVENT_DAY, PAST_DATES
from portal.extensions import db
from portal.permissions import Permission, requires

# How each fact of lifecycle.REQUIRED_FACTS is read from JSON; lifecycle.check says which are required.
FACT_SPECS: dict[str, Spec] = {
    "notice_received_on": day(),
    "release_date": day(),
    "reporting_deadline": day(),
    "overdue_state": one_of(lifecycle.OVERDUE_STATES),
    "reported_on": day(),
    "work_session_minutes": text(5000),
    "commitment_signed": Spec("bool"),
    "group": one_of(lifecycle.CHOICES["group"]),
    "dossier_opened_on": day(),
    "closure_ground": one_of(lifecycle.CLOSURE_GROUNDS),
    "closure_decision_number": text(60),
    "closure_decision_date": day(),
}
COMMON: dict[str, Spec] = {"to": one_of(lifecycle.STATUSES, required=True), "on": day(), "version": Spec("int")}
# Dates of things that have happened (as on the pages); `on` too.
NOT_IN_FUTURE = frozenset(PAST_DATES) | {"on"}


def specs_for(to: str) -> dict[str, Spec]:
    return {**COMMON, **{name: FACT_SPECS[name] for name in lifecycle.REQUIRED_FACTS[to]}}


def _target(body: dict) -> str:
    to = body.get("to")
    if to is None or to == "":
        raise Invalid({"to": gettext("This field is required.")})
    if not isinstance(to, str) or to not in lifecycle.STATUSES:
        raise Invalid({"to": gettext("Not a valid choice.")})
    return to


def _refuse(returnee: Returnee, to: str) -> None:
    """409 for what the dossier's state forbids, before the facts are read."""
    service.ensure_open(returnee)
    if returnee.status in ELSEWHERE:
        raise service.Conflict(gettext(
            "This dossier is moving to another unit: its status follows the transfer (accepted by that unit, "
            "or cancelled here)."
        ), code="transferring")
    if to in ELSEWHERE:
        message = gettext("A move to another unit goes through the transfer of the dossier, not a change of status.")
        raise service.Conflict(message, {"to": message}, code="transferring")
    if to not in lifecycle.allowed(returnee.status):
        message = gettext("This change of status is not allowed from the current status.")
        raise service.Conflict(message, {"to": message}, code="not_allowed")


def read_transition(body: dict, to: str) -> dict:
    """The parsed values of `body` for target `to`; every problem at once (422), missing facts included."""
    try:
        values, errors = parse(body, specs_for(to), partial=False), {}
    except Invalid as exc:
        values, errors = exc.values, dict(exc.fields)
    today = facts.today()
    for name in NOT_IN_FUTURE:
        if values.get(name) is not None and values[name] > today:
            errors[name] = gettext("This date is in the future.")
    for name in lifecycle.REQUIRED_FACTS[to]:
        if name not in errors and values.get(name) in (None, "", False):
            errors[name] = gettext("Required for this status.")
    if errors:
        raise Invalid(errors)
    return values


@bp.route("/t/<tenant_slug>/returnees/<int:returnee_id>/transitions", methods=["POST"])
@requires(Permission.DOSSIER_WRITE)
def transition_returnee(returnee_id):
    """Move the dossier to `to`; 200 with the dossier as a read shows it."""
    returnee = load_returnee(returnee_id)
    body = json_body()
    to = _target(body)
    _refuse(returnee, to)
    values = read_transition(body, to)
    version = values.get("version")
    if version is not None and version != returnee.version:
        message = gettext("Someone else changed this dossier meanwhile. Reload it and apply your changes again.")
        raise service.Conflict(message, {"version": message}, code="stale")
    given = {name: values.get(name) for name in lifecycle.REQUIRED_FACTS[to]}
    source = EVENT_DAY[to]
    on = values.get("on") or (given.get(source) if source else None) or facts.today()
    services.change_status(returnee, to, on, given, g.api_user.id)  # TransitionError: 409/422 (handlers)
    db.session.commit()
    return jsonify(detail(returnee))
