"""The API's side of creating and editing a dossier: parse, check, and hand the work to
blueprints.returnees.services (the same functions as the dossier pages), which flush and audit;
never commits.

A new dossier enters the lifecycle through lifecycle.transition (via services.create_returnee),
so its first status is validated and kept as a StatusEvent; the lifecycle facts (status, group,
closure…) are not editable here. services keeps `search_name` equal to fold(full name + other
names). A personal ID number already held by a dossier of the unit is refused, as on the pages.
"""

from datetime import date

from flask_babel import gettext

from blueprints.api.serializers import IDENTITY_FIELDS, LIFECYCLE_FIELDS, RELEASE_FIELDS
from blueprints.api.validation import Invalid, Spec, day, one_of, text
from blueprints.returnees import lifecycle, services
from blueprints.returnees.models import NEED_DOMAINS, NEED_STATES, RELEASE_KINDS, SEXES, Returnee
from blueprints.returnees.transition_forms import EVENT_DAY

WRITABLE: dict[str, Spec] = {
    "full_name": text(120, required=True),
    "other_names": text(200),
    "sex": one_of(SEXES, required=True),
    "date_of_birth": day(required=True),
    "national_id": Spec("national_id"),
    "ethnicity": text(40),
    "nationality": text(60),
    "hamlet": text(120),
    "address": text(255),
    "phone": Spec("phone", max=20),
    "family_contacts": text(2000),
    "release_kind": one_of(RELEASE_KINDS, required=True),
    "prison": text(160),
    "notice_received_on": day(),
    "expected_release_date": day(),
    "certificate_number": text(60),
    "certificate_date": day(),
    "certificate_issuer": text(160),
    "release_date": day(),
    "reporting_deadline": day(),
    "pardon_decision": text(60),
    "pardon_round": text(60),
    "needs": Spec("needs", keys=NEED_DOMAINS, choices=NEED_STATES),
}
# The facts of a first status of "received" (the person presented before the dossier was typed in).
RECEIVED_FACTS = ("reported_on", "work_session_minutes", "commitment_signed")
CREATE: dict[str, Spec] = {
    **WRITABLE,
    "status": one_of(sorted(lifecycle.allowed(None))),
    "reported_on": day(),
    "work_session_minutes": text(5000),
    "commitment_signed": Spec("bool"),
}
PATCH: dict[str, Spec] = {**WRITABLE, "version": Spec("int")}
# Optional when a dossier is opened (the column has a default), but a PATCH cannot empty it.
NOT_EMPTIED_ON_PATCH = ("nationality",)
READ_ONLY = frozenset(
    {"id", "age", "is_minor", "is_child", "version", "created_at", "updated_at", "convictions", "status_history",
     "due_dates"}
    | set(IDENTITY_FIELDS + RELEASE_FIELDS + LIFECYCLE_FIELDS)
)


class Conflict(Exception):
    """Refused by the state of the data (409); `fields` says where, when it is one field."""

    def __init__(self, message: str, fields: dict[str, str] | None = None, code: str = "conflict"):
        super().__init__(message)
        self.fields = fields or {}
        self.code = code


def check_values(values: dict, today: date) -> None:
    """Checks across fields (on whichever of them are present)."""
    errors = {}
    born = values.get("date_of_birth")
    if born is not None and not date(1900, 1, 1) <= born <= today:
        errors["date_of_birth"] = gettext("Not a plausible date of birth.")
    released, deadline = values.get("release_date"), values.get("reporting_deadline")
    if released and deadline and deadline < released:
        errors["reporting_deadline"] = gettext("Cannot be before the release date.")
    if errors:
        raise Invalid(errors)


def _refuse_duplicate(national_id, exclude_id=None) -> None:
    if national_id and services.same_national_id(national_id, exclude_id) is not None:
        message = gettext("A dossier with this personal ID number already exists in this unit.")
        raise Conflict(message, {"national_id": message}, code="duplicate")


def create(values: dict, actor_id: int | None, today: date) -> Returnee:
    """A new dossier in the current unit from parsed CREATE values."""
    values = dict(values)
    status = values.pop("status", None) or "expected"
    given = {name: values.pop(name, None) for name in RECEIVED_FACTS}
    if status != "received":
        misplaced = {n: gettext("Only for a first status of “received”.") for n, v in given.items() if v is not None}
        if misplaced:
            raise Invalid(misplaced)
    check_values(values, today)
    _refuse_duplicate(values.get("national_id"))
    facts = {n: given[n] if n in given else values.pop(n, None) for n in lifecycle.REQUIRED_FACTS[status]}
    data = {name: value for name, value in values.items() if value is not None}  # column defaults apply
    on = facts.get(EVENT_DAY[status]) or today
    return services.create_returnee(data, status, facts, on, actor_id)  # TransitionError: facts missing


def ensure_open(returnee: Returnee) -> None:
    if returnee.is_closed:
        raise Conflict(gettext("A closed dossier is read-only."), code="closed")


def update(returnee: Returnee, values: dict, today: date) -> list[str]:
    """Apply parsed PATCH values; returns the names of the fields that changed."""
    values = dict(values)
    expected_version = values.pop("version", None)
    ensure_open(returnee)
    if expected_version is not None and expected_version != returnee.version:
        message = gettext("Someone else changed this dossier meanwhile. Reload it and apply your changes again.")
        raise Conflict(message, {"version": message}, code="stale")
    emptied = [name for name in NOT_EMPTIED_ON_PATCH if name in values and values[name] is None]
    if emptied:
        raise Invalid(dict.fromkeys(emptied, gettext("This field is required.")))
    if "needs" in values and values["needs"] is None:
        values["needs"] = {}
    check_values({name: getattr(returnee, name) for name in WRITABLE} | values, today)
    if values.get("national_id") and values["national_id"] != returnee.national_id:
        _refuse_duplicate(values["national_id"], exclude_id=returnee.id)
    return services.update_returnee(returnee, values)  # flushes: StaleDataError if changed meanwhile
