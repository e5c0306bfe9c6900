"""The dossier's legal lifecycle (Circular 10/2024/TT-BCA; DESIGN.md §3, §6).

expected → released_not_reported → overdue → received → under_management ⇄ in_custody
→ transferring → closed. Every transition is explicit: it names the facts the law asks for, is
refused with field-level messages when they are missing, is kept as a StatusEvent and audited.
A closed dossier is read-only.
"""

from datetime import date

from flask_babel import lazy_gettext as _l

from blueprints.returnees.models import GROUPS, Returnee, StatusEvent
from portal import audit
from portal.extensions import db

STATUSES = (
    "expected", "released_not_reported", "overdue", "received", "under_management", "in_custody",
    "transferring", "closed",
)
OPEN_STATUSES = tuple(s for s in STATUSES if s != "closed")
OVERDUE_STATES = ("verifying", "not_returned", "reported_up")
CLOSURE_GROUNDS = ("expunged", "moved_residence", "settled_abroad", "declared_missing", "dead", "imprisoned_again")

# Where a dossier may go from each status (None: a new dossier).
TRANSITIONS: dict[str | None, frozenset[str]] = {
    None: frozenset({"expected", "released_not_reported", "received"}),
    "expected": frozenset({"released_not_reported", "received", "closed"}),
    "released_not_reported": frozenset({"overdue", "received", "closed"}),
    "overdue": frozenset({"overdue", "received", "closed"}),
    "received": frozenset({"under_management", "closed"}),
    "under_management": frozenset({"in_custody", "transferring", "closed"}),
    "in_custody": frozenset({"under_management", "closed"}),
    "transferring": frozenset({"under_management", "closed"}),
    "closed": frozenset(),
}

# The facts each status needs (they are written onto the dossier and kept in the event).
REQUIRED_FACTS: dict[str, tuple[str, ...]] = {
    "expected": ("notice_received_on",),
    "released_not_reported": ("release_date", "reporting_deadline"),
    "overdue": ("overdue_state",),
    "received": ("reported_on", "work_session_minutes", "commitment_signed"),
    "under_management": ("group", "dossier_opened_on"),
    "in_custody": (),
    "transferring": (),
    "closed": ("closure_ground", "closure_decision_number", "closure_decision_date"),
}
CHOICES = {"overdue_state": OVERDUE_STATES, "group": GROUPS, "closure_ground": CLOSURE_GROUNDS}

STATUS_LABELS = {
    "expected": _l("Expected (notice received)"),
    "released_not_reported": _l("Released, not yet presented"),
    "overdue": _l("Past the presentation deadline"),
    "received": _l("Presented, dossier being opened"),
    "under_management": _l("Under management"),
    "in_custody": _l("In custody (group D)"),
    "transferring": _l("Moving to another unit"),
    "closed": _l("Closed"),
}
OVERDUE_LABELS = {
    "verifying": _l("verifying"),
    "not_returned": _l("not returned"),
    "reported_up": _l("reported to the city police"),
}
CLOSURE_LABELS = {
    "expunged": _l("Record expunged"),
    "moved_residence": _l("Moved residence (dossier transferred)"),
    "settled_abroad": _l("Settled abroad"),
    "declared_missing": _l("Declared missing"),
    "dead": _l("Dead"),
    "imprisoned_again": _l("Convicted again and imprisoned"),
}
GROUP_LABELS = {
    "A": _l("A: law-abiding, favourable conditions"),
    "B": _l("B: law-abiding, in difficulty"),
    "C": _l("C: not yet law-abiding or at risk"),
    "D": _l("D: detained, in education, reformatory or rehabilitation"),
}


class TransitionError(ValueError):
    """Refused; `fields` maps a form field to the message shown next to it."""

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.fields = fields or {}


def allowed(current: str | None) -> frozenset[str]:
    return TRANSITIONS.get(current, frozenset())


def check(current: str | None, to: str, facts: dict) -> None:
    if to not in allowed(current):
        raise TransitionError(str(_l("This change of status is not allowed from the current status.")))
    errors = {}
    for name in REQUIRED_FACTS[to]:
        value = facts.get(name)
        if value in (None, "", False):
            errors[name] = str(_l("Required for this status."))
        elif name in CHOICES and value not in CHOICES[name]:
            errors[name] = str(_l("Not a valid choice."))
    if errors:
        raise TransitionError(str(_l("Some facts are missing for this status.")), errors)


def transition(returnee: Returnee, to: str, on: date, actor_id: int | None, **facts) -> StatusEvent:
    """Move the dossier to `to` on the legal date `on`; flushes, audits, never commits."""
    if returnee.is_closed:
        raise TransitionError(str(_l("A closed dossier is read-only.")))
    current = returnee.status if returnee.id is not None else None
    check(current, to, facts)
    for name, value in facts.items():
        setattr(returnee, name, value)
    if to == "in_custody":
        returnee.group = "D"
    if to == "under_management" and returnee.managed_since is None:
        returnee.managed_since = on
    if to == "closed":
        returnee.closed_on = on
    if to != "overdue":
        returnee.overdue_state = None
    returnee.status = to
    event = StatusEvent(
        returnee=returnee,
        on=on,
        actor_id=actor_id,
        from_status=current,
        to_status=to,
        facts={k: (v.isoformat() if isinstance(v, date) else v) for k, v in facts.items()},
    )
    db.session.add(event)
    db.session.flush()
    audit.record("returnee.transition", returnee, reason=f"{current}->{to}")
    return event
