"""The read side of transfers: the unit's own Transfer rows only (never the other unit's), the
expected takeover date, the start form, and what the dossier page's `_transfer.html` needs.

The dossier page's `_transfer.html` reads `transfer_context(returnee)` (one query, or none: see there).
"""

from datetime import date

from flask import g
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import case, select
from sqlalchemy.orm import aliased
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from blueprints.returnees.care import Transfer
from blueprints.returnees.combined import Part
from blueprints.returnees.deadlines import RuleNotFound, due_date
from blueprints.returnees.labels import mask_national_id
from blueprints.returnees.models import Returnee
from blueprints.returnees.transfers import dated
from portal.extensions import db
from portal.permissions import Permission, can
from portal.search import fold
from tenants.models import Tenant

try:  # WTForms 3.3 deprecates (value, label) tuples for choices
    from wtforms.fields.choices import SelectChoice as choice
except ImportError:  # pragma: no cover - older WTForms

    def choice(value, label):
        return (value, label)


LIST_LIMIT = 200  # per direction; a unit sees a handful of transfers a month
TRANSFER_STATES = {"sent": _l("Waiting for the receiving unit"), "accepted": _l("Taken over"),
                   "cancelled": _l("Cancelled")}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class TransferForm(FlaskForm):
    unit = SelectField(_l("Receiving unit"), choices=[], validators=[DataRequired(message=_l("Choose the unit."))])
    notified_on = DateField(_l("Date of the notice"), validators=[DataRequired(message=_l("Enter a valid date."))])
    new_address = StringField(
        _l("New address"), filters=[_strip], validators=[DataRequired(message=_l("Enter the new address.")),
                                                          Length(max=255)]
    )


def unit_choices(units: list[Tenant], blank) -> list:
    return [choice("", blank)] + [choice(u.slug, u.name) for u in units]


def other_units(current_id: int) -> list[Tenant]:
    """Active units but this one, by name with diacritics ignored (registry data, one query)."""
    units = db.session.scalars(select(Tenant).where(Tenant.active.is_(True), Tenant.id != current_id)).all()
    return sorted(units, key=lambda t: fold(t.name))


def takeover_due(notified_on: date | None) -> date | None:
    """Expected (dự kiến) last day for the receiving unit: 5 working days after the notice."""
    if notified_on is None:
        return None
    try:
        return due_date("transfer_takeover", notified_on)
    except RuleNotFound:
        return None


def _shows_national_id() -> bool:
    return can(g.get("role"), Permission.DOSSIER_READ_NATIONAL_ID)


def snapshot_view(carried: dict) -> dict:
    """The snapshot for the review page: dates as dates, the ID masked when the role needs it."""
    shown = {k: dated(k, v) for k, v in carried.items() if k not in ("convictions", "status_history")}
    if not _shows_national_id():
        shown["national_id"] = mask_national_id(shown.get("national_id"))
    shown["convictions"] = [{k: dated(k, v) for k, v in c.items()} for c in carried.get("convictions", [])]
    shown["status_history"] = [
        {**e, "on": date.fromisoformat(e["on"])} for e in carried.get("status_history", []) if e.get("on")
    ]
    return shown


def incoming_view(row: Transfer, unit: Tenant, today: date, name: str | None = None) -> dict:
    """An incoming row for display: the snapshot's identity (ID masked when the role needs it)."""
    carried = row.snapshot or {}
    due = takeover_due(row.notified_on)
    national_id = carried.get("national_id")
    if not _shows_national_id():
        national_id = mask_national_id(national_id)
    return {
        "row": row, "unit": unit, "full_name": carried.get("full_name") or name, "national_id": national_id,
        "date_of_birth": dated("date_of_birth", carried.get("date_of_birth")), "due": due,
        "overdue": row.state == "sent" and due is not None and today > due,
    }


def transfers_of_unit(direction: str) -> list[tuple]:
    """(row, other unit, name) of this unit's rows in one direction, open ones first; one query."""
    open_first = case((Transfer.state == "sent", 0), else_=1)
    query = (
        select(Transfer, Tenant, Returnee.full_name)
        .join(Tenant, Tenant.id == Transfer.other_tenant_id)
        .outerjoin(Returnee, Returnee.id == Transfer.returnee_id)
        .where(Transfer.direction == direction)
        .order_by(open_first, Transfer.notified_on.desc(), Transfer.id.desc())
        .limit(LIST_LIMIT)
    )
    return db.session.execute(query).all()


def find_transfer(transfer_id: int, direction: str | None = None) -> tuple[Transfer, Tenant, str | None] | None:
    """(row, other unit, name of this unit's returnee if any), or None; one query."""
    if not 0 < transfer_id < 2**31:
        return None
    query = (
        select(Transfer, Tenant, Returnee.full_name)
        .join(Tenant, Tenant.id == Transfer.other_tenant_id)
        .outerjoin(Returnee, Returnee.id == Transfer.returnee_id)
        .where(Transfer.id == transfer_id)
    )
    if direction:
        query = query.where(Transfer.direction == direction)
    found = db.session.execute(query).first()
    return tuple(found) if found else None


def transfers_part(returnee_id: int) -> Part:
    """This unit's open or accepted transfer rows of the dossier, newest first, with the other unit
    (cancelled ones are history the transfers pages show, not the dossier)."""
    unit = aliased(Tenant)
    return Part(
        Transfer, (Transfer.returnee_id == returnee_id, Transfer.state.in_(("sent", "accepted"))),
        (Transfer.id.desc(),), columns=(unit,), joins=((unit, unit.id == Transfer.other_tenant_id),),
    )


def transfer_context(returnee: Returnee, rows: list[tuple] | None = None) -> dict:
    """What `_transfer.html` shows for this dossier: one query (none when the dossier page passes the
    `transfers_part` rows it read with its other lists). The partial calls it itself (through the
    blueprint's context processor) unless the page passes it as `transfer`."""
    if rows is None:
        rows = transfers_part(returnee.id).rows()

    def first(direction, state):
        return next(((t, unit) for t, unit in rows if t.direction == direction and t.state == state), None)

    pending = first("out", "sent")
    writer = can(g.get("role"), Permission.DOSSIER_WRITE)
    return {
        "returnee_id": returnee.id,
        "pending": pending,
        "due": takeover_due(pending[0].notified_on) if pending else None,
        "arrived": first("in", "accepted"),
        "left": first("out", "accepted"),
        "can_start": writer and returnee.status == "under_management",
        "can_cancel": writer and pending is not None,
    }
