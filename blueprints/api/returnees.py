"""A unit's returnees through the API: list and search, create, read, edit (DESIGN.md §11).

The unit comes from the URL (slug or 5-digit code) and scoping keeps every query inside it; each
read of personal data and each change is audited; a change commits once, at the end.
"""

from flask import abort, g, jsonify, request, url_for
from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from blueprints.api import bp
from blueprints.api import returnee_service as service
from blueprints.api.serializers import returnee_detail_json, returnee_json
from blueprints.api.validation import Invalid, collect, json_body, paging, parse, parse_checked
from blueprints.returnees import facts
from blueprints.returnees.lifecycle import STATUSES
from blueprints.returnees.models import GROUPS, RELEASE_KINDS, Returnee
from portal import audit
from portal.extensions import db
from portal.permissions import Permission, can, requires
from portal.search import fold

MAX_ID = 2**31 - 1  # the integer column; a larger id is simply not found
MAX_QUERY = 100
CHOICE_FILTERS = {"status": STATUSES, "group": GROUPS, "release_kind": RELEASE_KINDS}


def load_returnee(returnee_id: int, *options) -> Returnee:
    """The unit's returnee or 404 (another unit's id is not found: scoping filters the query)."""
    if not 0 < returnee_id <= MAX_ID:
        abort(404)
    returnee = db.session.scalar(select(Returnee).where(Returnee.id == returnee_id).options(*options))
    return returnee if returnee is not None else abort(404)


def shows_national_id() -> bool:
    return can(g.role, Permission.DOSSIER_READ_NATIONAL_ID)


def detail(returnee: Returnee) -> dict:
    return returnee_detail_json(returnee, today=facts.today(), show_national_id=shows_national_id(),
                                due_dates=facts.due_dates(returnee))


def _filters() -> list:
    errors, criteria = {}, []
    q = request.args.get("q", "")
    if len(q) > MAX_QUERY:
        errors["q"] = gettext("At most %(n)d characters.", n=MAX_QUERY)
    for word in fold(q).split():
        criteria.append(Returnee.search_name.contains(word, autoescape=True))
    for name, choices in CHOICE_FILTERS.items():
        value = request.args.get(name, "")
        if value and value not in choices:
            errors[name] = gettext("Not a valid choice.")
        elif value:
            criteria.append(getattr(Returnee, name) == value)
    hamlet = request.args.get("hamlet", "").strip()
    if len(hamlet) > 120:
        errors["hamlet"] = gettext("At most %(n)d characters.", n=120)
    elif hamlet:
        criteria.append(Returnee.hamlet == hamlet)
    if errors:
        raise Invalid(errors)
    return criteria


@bp.route("/t/<tenant_slug>/returnees")
@requires(Permission.DOSSIER_READ)
def list_returnees():
    """One page of the unit's returnees, by name; two queries whatever the size of the unit."""
    criteria, (page, per_page) = collect(_filters, paging)
    total = db.session.scalar(select(func.count()).select_from(Returnee).where(*criteria))
    rows = db.session.scalars(
        select(Returnee)
        .where(*criteria)
        .order_by(Returnee.search_name, Returnee.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    audit.record("returnee.list", object_type="returnees")
    today, show_id = facts.today(), shows_national_id()
    items = [returnee_json(r, today=today, show_national_id=show_id) for r in rows]
    return jsonify(items=items, total=total, page=page, per_page=per_page)


@bp.route("/t/<tenant_slug>/returnees", methods=["POST"])
@requires(Permission.DOSSIER_WRITE)
def create_returnee():
    today = facts.today()
    values = parse_checked(json_body(), service.CREATE, lambda v: service.check_values(v, today), partial=False,
                           read_only=service.READ_ONLY)
    returnee = service.create(values, g.api_user.id, today)
    db.session.commit()
    location = url_for("api.read_returnee", returnee_id=returnee.id)
    return jsonify(detail(returnee)), 201, {"Location": location}


@bp.route("/t/<tenant_slug>/returnees/<int:returnee_id>")
@requires(Permission.DOSSIER_READ)
def read_returnee(returnee_id):
    returnee = load_returnee(returnee_id, selectinload(Returnee.convictions), selectinload(Returnee.events))
    audit.record("returnee.read", returnee)
    return jsonify(detail(returnee))


@bp.route("/t/<tenant_slug>/returnees/<int:returnee_id>", methods=["PATCH"])
@requires(Permission.DOSSIER_WRITE)
def update_returnee(returnee_id):
    """Edit identity and release facts; send "version" (from a read) to refuse lost updates."""
    returnee = load_returnee(returnee_id)
    service.ensure_open(returnee)
    values = parse(json_body(), service.PATCH, partial=True, read_only=service.READ_ONLY)
    service.update(returnee, values, facts.today())
    db.session.commit()
    return jsonify(detail(returnee))
