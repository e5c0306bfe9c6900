"""Change of residence between units: THE REVIEWED CROSS-UNIT PATH.

This is the only code that writes into two units in one transaction. It never lifts scoping: each
unit's rows are read and written inside `with use_tenant(unit):`, so the ORM filter, the flush
guard and PostgreSQL row-level security all apply to each side. Each unit only ever reads its own
Transfer row; what the receiving unit learns of the person is the snapshot written into its row.

start:  sending unit, dossier under management → 'transferring'; an 'out' row here, an 'in' row
        with a snapshot (identity, release, convictions, status history, group, needs; no comments,
        contacts or team) there. Due: the receiving unit takes over within 5 working days of the
        notice (deadlines 'transfer_takeover', an expected date).
accept: receiving unit; a new dossier under management from the snapshot (history copied with a
        note of where it came from), its row 'accepted' and the snapshot dropped; in the sending
        unit the 'out' row 'accepted' and the old dossier closed, ground 'moved_residence'.
cancel: sending unit, before acceptance; the dossier back under management (unless it was moved
        by hand meanwhile), the receiving unit's row 'cancelled', its snapshot dropped but for the name.
Both rows change with `UPDATE … WHERE state = 'sent'` and the 'out' row is always changed first, so
an accept and a cancel racing each other serialise on it and the loser gets TransferError.
Everything flushes and is audited in the unit it happens in; the caller commits once.
"""

import secrets
from datetime import date

from flask_babel import gettext
from sqlalchemy import Date, null, select, update

from blueprints.returnees import lifecycle
from blueprints.returnees.care import Transfer
from blueprints.returnees.models import Conviction, Returnee, StatusEvent
from blueprints.returnees.services import search_key
from portal import audit
from portal.extensions import db
from tenants.context import current_tenant, use_tenant
from tenants.models import Tenant

SNAPSHOT_FIELDS = (
    "full_name", "other_names", "sex", "date_of_birth", "national_id", "ethnicity", "nationality", "phone",
    "family_contacts", "release_kind", "prison", "notice_received_on", "expected_release_date",
    "certificate_number", "certificate_date", "certificate_issuer", "release_date", "reporting_deadline",
    "pardon_decision", "pardon_round", "group", "needs", "residence_checked_on", "reported_on",
    "work_session_minutes", "commitment_signed", "dossier_opened_on", "managed_since",
)
# Carried over to the new dossier (the rest of the snapshot is history, shown but not copied).
CARRIED = tuple(f for f in SNAPSHOT_FIELDS if f not in ("dossier_opened_on", "managed_since", "residence_checked_on"))
CONVICTION_FIELDS = tuple(
    c.key for c in Conviction.__table__.columns if c.key not in ("id", "tenant_id", "returnee_id")
)
DATE_FIELDS = {c.key for c in (*Returnee.__table__.columns, *Conviction.__table__.columns) if isinstance(c.type, Date)}


class TransferError(Exception):
    """Refused; the message says why (shown to the user, 409 in spirit)."""


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


def dated(name, value):
    return date.fromisoformat(value) if name in DATE_FIELDS and isinstance(value, str) else value


def snapshot(returnee: Returnee, sending: Tenant) -> dict:
    return {
        "schema": 1,
        "from_unit": {"code": sending.code, "name": sending.name},
        **{name: _plain(getattr(returnee, name)) for name in SNAPSHOT_FIELDS},
        "convictions": [{n: _plain(getattr(c, n)) for n in CONVICTION_FIELDS} for c in returnee.convictions],
        "status_history": [
            {"on": e.on.isoformat(), "from_status": e.from_status, "to_status": e.to_status, "facts": e.facts,
             "at": e.at.isoformat(timespec="seconds") if e.at else None}
            for e in returnee.events
        ],
    }


def _open_dossier_with(national_id: str | None) -> bool:
    """An open dossier of the current unit holds this personal ID. (A closed one may: a person who
    once lived here and comes back gets a new dossier.)"""
    if not national_id:
        return False
    query = select(Returnee.id).where(Returnee.national_id == national_id, Returnee.status != "closed")
    return db.session.scalar(query.limit(1)) is not None


def _claim(row_id: int, **values) -> None:
    """Move one Transfer row of the current unit from 'sent'; refuse if someone got there first."""
    done = db.session.execute(
        update(Transfer).where(Transfer.id == row_id, Transfer.state == "sent").values(**values),
        execution_options={"synchronize_session": False},
    )
    if done.rowcount != 1:
        raise TransferError(gettext("This transfer was already accepted or cancelled."))


def _row(key: str, direction: str) -> Transfer:
    row = db.session.scalar(select(Transfer).where(Transfer.transfer_key == key, Transfer.direction == direction))
    if row is None:
        raise TransferError(gettext("The other unit's side of this transfer cannot be found."))
    return row


def start(returnee: Returnee, receiving: Tenant, notified_on: date, new_address: str, actor_id: int) -> Transfer:
    sending = current_tenant()
    if returnee.status != "under_management":
        raise TransferError(gettext("Only a person under management can be transferred."))
    if receiving is None or not receiving.active or receiving.id == sending.id:
        raise TransferError(gettext("Choose another active unit."))
    key = secrets.token_hex(16)
    event = lifecycle.transition(returnee, "transferring", notified_on, actor_id)
    event.facts = {**event.facts, "transfer_key": key, "to_unit": receiving.code}
    out = Transfer(returnee_id=returnee.id, transfer_key=key, direction="out", other_tenant_id=receiving.id,
                   notified_on=notified_on, new_address=new_address, state="sent")
    db.session.add(out)
    db.session.flush()
    audit.record("transfer.start", out, reason=f"to:{receiving.code}")
    carried = snapshot(returnee, sending)
    with use_tenant(receiving):
        incoming = Transfer(transfer_key=key, direction="in", other_tenant_id=sending.id, notified_on=notified_on,
                            new_address=new_address, snapshot=carried, state="sent")
        db.session.add(incoming)
        db.session.flush()
        audit.record("transfer.incoming", incoming, reason=f"from:{sending.code}")
    return out


def accept(incoming: Transfer, actor_id: int, on: date) -> Returnee:
    """The receiving unit takes the person over; returns the new dossier."""
    receiving = current_tenant()
    if incoming.direction != "in" or incoming.state != "sent":
        raise TransferError(gettext("This transfer was already accepted or cancelled."))
    carried, key = incoming.snapshot or {}, incoming.transfer_key
    if _open_dossier_with(carried.get("national_id")):
        raise TransferError(gettext("An open dossier in this unit already has this personal ID number."))
    sending = db.session.get(Tenant, incoming.other_tenant_id)
    reference = f"TRANSFER-{key}"
    with use_tenant(sending):
        out = _row(key, "out")
        _claim(out.id, state="accepted", accepted_on=on)
        old = db.session.scalar(select(Returnee).where(Returnee.id == out.returnee_id))
        if old is None or old.status != "transferring":
            # Changed by hand in the sending unit meanwhile (closed, or back under management).
            raise TransferError(gettext("The sending unit's dossier is no longer waiting for this transfer."))
        lifecycle.transition(old, "closed", on, actor_id, closure_ground="moved_residence",
                             closure_decision_number=reference, closure_decision_date=on)
        audit.record("transfer.accepted", out, reason=f"by:{receiving.code}")
    returnee = _new_dossier(carried, incoming, actor_id, on)
    _claim(incoming.id, state="accepted", accepted_on=on, returnee_id=returnee.id, snapshot=null())
    audit.record("transfer.accept", incoming, reason=f"from:{sending.code}")
    return returnee


def _new_dossier(carried: dict, incoming: Transfer, actor_id: int, on: date) -> Returnee:
    values = {name: dated(name, carried.get(name)) for name in CARRIED if carried.get(name) is not None}
    returnee = Returnee(
        **values, address=incoming.new_address, search_name=search_key(values.get("full_name"),
                                                                       values.get("other_names")),
        status="under_management", dossier_opened_on=on, managed_since=on, created_by=actor_id,
    )
    db.session.add(returnee)
    for c in carried.get("convictions", []):
        returnee.convictions.append(Conviction(**{n: dated(n, c.get(n)) for n in CONVICTION_FIELDS if n in c}))
    origin = {"copied_from_unit": carried["from_unit"]["code"], "copied_from_unit_name": carried["from_unit"]["name"],
              "transfer_key": incoming.transfer_key}
    for e in carried.get("status_history", []):
        db.session.add(StatusEvent(returnee=returnee, on=date.fromisoformat(e["on"]), from_status=e["from_status"],
                                   to_status=e["to_status"], facts={**(e["facts"] or {}), **origin,
                                                                    "recorded_at": e.get("at")}))
    # Arrival by transfer is not a transition the lifecycle table offers a new dossier; it is
    # recorded here, as the end of the copied history, with the facts that justify it.
    db.session.add(StatusEvent(returnee=returnee, on=on, actor_id=actor_id, from_status="transferring",
                               to_status="under_management", facts={
                                   "transfer_key": incoming.transfer_key, "from_unit": origin["copied_from_unit"],
                                   "group": returnee.group, "dossier_opened_on": on.isoformat()}))
    db.session.flush()
    audit.record("returnee.create", returnee, reason=f"transfer:{incoming.transfer_key}")
    audit.record("returnee.transition", returnee, reason="transferring->under_management")
    return returnee


def cancel(out: Transfer, actor_id: int, on: date) -> Returnee:
    """The sending unit calls the transfer off before it was accepted."""
    if out.direction != "out" or out.state != "sent":
        raise TransferError(gettext("This transfer was already accepted or cancelled."))
    _claim(out.id, state="cancelled")
    returnee = db.session.scalar(select(Returnee).where(Returnee.id == out.returnee_id))
    # A dossier moved by hand meanwhile (closed on another ground, say) keeps its status: only the
    # transfer is called off, so neither unit is left with a row waiting for ever.
    if returnee is not None and returnee.status == "transferring":
        event = lifecycle.transition(returnee, "under_management", on, actor_id, group=returnee.group,
                                     dossier_opened_on=returnee.dossier_opened_on)
        event.facts = {**event.facts, "transfer_cancelled": out.transfer_key}
        db.session.flush()
    audit.record("transfer.cancel", out)
    receiving, key = db.session.get(Tenant, out.other_tenant_id), out.transfer_key
    sending_code = current_tenant().code
    with use_tenant(receiving):
        incoming = _row(key, "in")
        carried = incoming.snapshot or {}
        # The person never came: the receiving unit keeps who was announced, nothing more.
        kept = {"full_name": carried.get("full_name"), "from_unit": carried.get("from_unit")}
        _claim(incoming.id, state="cancelled", snapshot=kept)
        audit.record("transfer.cancelled", incoming, reason=f"by:{sending_code}")
    return returnee
