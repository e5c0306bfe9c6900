"""Changes to dossiers: create, edit, convictions, status changes and the daily overdue sweep.

Each function flushes and writes its audit event; the view (or the command) commits once, so a
change and its audit row land together or not at all. Audit rows carry identifiers and field
names, never the values typed (they are personal data).
"""

from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import event, select

from blueprints.returnees import lifecycle
from blueprints.returnees.models import Conviction, Returnee
from portal import audit
from portal.extensions import db
from portal.search import fold

SEARCH_NAME_LENGTH = 120  # the column's size


class DossierClosedError(Exception):
    """A change to a closed dossier (read-only by law once the chairman closed the case)."""


def search_key(full_name: str | None, other_names: str | None) -> str:
    """The folded name and aliases the list searches ("nguyen van a" finds "Nguyễn Văn A").

    The full name comes first so it is never cut; aliases fill what the column has left."""
    key = " ".join(part for part in (fold(full_name), fold(other_names)) if part)
    return key[:SEARCH_NAME_LENGTH].rstrip()


@event.listens_for(Returnee, "before_insert")
@event.listens_for(Returnee, "before_update")
def _keep_search_name(mapper, connection, returnee: Returnee) -> None:
    # Every writer (this module, the API, a transfer accepted from another unit) keeps the search key
    # in step with the names, without having to remember it.
    returnee.search_name = search_key(returnee.full_name, returnee.other_names)


def _writable(returnee: Returnee) -> None:
    if returnee.is_closed:
        raise DossierClosedError(_("This dossier is closed: it is read-only."))


# --- Duplicates ------------------------------------------------------------------------------------


def same_national_id(national_id: str | None, exclude_id: int | None = None) -> Returnee | None:
    """The unit's dossier holding this personal ID, whatever its status (closed ones included)."""
    if not national_id:
        return None
    query = select(Returnee).where(Returnee.national_id == national_id)
    if exclude_id is not None:
        query = query.where(Returnee.id != exclude_id)
    return db.session.scalars(query.order_by(Returnee.id).limit(1)).first()


def namesakes(full_name: str, date_of_birth: date, exclude_id: int | None = None) -> list[Returnee]:
    """Dossiers of the unit with the same name (case and diacritics ignored) and date of birth."""
    query = select(Returnee).where(Returnee.date_of_birth == date_of_birth)
    if exclude_id is not None:
        query = query.where(Returnee.id != exclude_id)
    wanted = fold(full_name)
    return [r for r in db.session.scalars(query.order_by(Returnee.id)) if fold(r.full_name) == wanted]


# --- Dossiers --------------------------------------------------------------------------------------


def create_returnee(data: dict, status: str, facts: dict, on: date | None, actor_id: int | None) -> Returnee:
    """A new dossier entering the lifecycle at `status` (one allowed from None) on the legal date `on`.

    Raises lifecycle.TransitionError (with field messages) when the status's facts are missing.
    """
    returnee = Returnee(**data, created_by=actor_id, commitment_signed=False)
    returnee.search_name = search_key(returnee.full_name, returnee.other_names)
    # Checked before the dossier joins the session: a refusal leaves nothing behind to flush.
    lifecycle.check(None, status, facts)
    lifecycle.transition(returnee, status, on, actor_id, **facts)
    audit.record("returnee.create", returnee, reason=f"status={status}")
    return returnee


def update_returnee(returnee: Returnee, data: dict) -> list[str]:
    """Apply identity, release and needs; returns the names of the fields that changed."""
    _writable(returnee)
    missing = [n for n in lifecycle.REQUIRED_FACTS.get(returnee.status, ()) if n in data and not data[n]]
    if missing:
        raise lifecycle.TransitionError(
            _("The current status needs this fact."), {n: _("Required for the current status.") for n in missing}
        )
    changed = [name for name, value in data.items() if getattr(returnee, name) != value]
    for name in changed:
        setattr(returnee, name, data[name])
    if changed:
        db.session.flush()  # raises StaleDataError when someone saved this dossier meanwhile
        audit.record("returnee.update", returnee, reason=",".join(changed)[:200])
        _recount_campaign(returnee)
    return changed


def change_status(returnee: Returnee, to: str, on: date, facts: dict, actor_id: int | None):
    """A transition of the lifecycle (which flushes and audits it)."""
    _writable(returnee)
    event = lifecycle.transition(returnee, to, on, actor_id, **facts)
    _recount_campaign(returnee)
    return event


def _recount_campaign(returnee: Returnee) -> None:
    """A special-pardon dossier moved: the city's campaign board counts arrivals from it."""
    if returnee.campaign_id is not None:
        from blueprints.campaigns import services as campaigns

        campaigns.publish(db.session.get(campaigns.Campaign, returnee.campaign_id))


# --- Convictions -----------------------------------------------------------------------------------


def save_conviction(returnee: Returnee, conviction: Conviction | None, data: dict) -> Conviction:
    _writable(returnee)
    created = conviction is None
    if created:
        conviction = Conviction(returnee_id=returnee.id)
        db.session.add(conviction)
    for name, value in data.items():
        setattr(conviction, name, value)
    db.session.flush()
    audit.record(
        "conviction.create" if created else "conviction.update", conviction, reason=f"returnee={returnee.id}"
    )
    return conviction


def delete_conviction(returnee: Returnee, conviction: Conviction) -> None:
    _writable(returnee)
    conviction_id = conviction.id
    db.session.delete(conviction)
    db.session.flush()
    audit.record(
        "conviction.delete", None, object_type="convictions", object_id=conviction_id,
        reason=f"returnee={returnee.id}",
    )


# --- The daily sweep -------------------------------------------------------------------------------


def mark_overdue(today: date) -> int:
    """In the current unit, move every released person whose printed deadline to present has passed
    (deadline < today) to `overdue`, follow-up "verifying"; one StatusEvent each. Returns how many.

    Idempotent: a dossier already overdue is not touched again. The legal date of the event is the day
    after the deadline, whenever the sweep runs."""
    due = db.session.scalars(
        select(Returnee)
        .where(Returnee.status == "released_not_reported", Returnee.reporting_deadline < today)
        .order_by(Returnee.id)
    ).all()
    for returnee in due:
        lifecycle.transition(
            returnee, "overdue", returnee.reporting_deadline + timedelta(days=1), None, overdue_state="verifying"
        )
    return len(due)
