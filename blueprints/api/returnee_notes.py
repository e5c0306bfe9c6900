"""What is written about one returnee, through the API: the progress notebook's contacts and the
unit's comments (DESIGN.md §11). The returnee is loaded first, inside the unit, so another unit's
id is not found; reads are audited against the returnee, writes against the new row."""

from datetime import date

from flask import g, jsonify
from flask_babel import gettext
from sqlalchemy import func, select

from blueprints.api import bp
from blueprints.api.returnee_service import ensure_open
from blueprints.api.returnees import load_returnee
from blueprints.api.serializers import comment_json, contact_json
from blueprints.api.validation import Invalid, Spec, day, json_body, one_of, paging, parse_checked, text
from blueprints.returnees import care_services, comment_service, facts
from blueprints.returnees.care import CONTACT_METHODS, Contact, TeamMember
from blueprints.returnees.comment_queries import list_comments
from portal import audit
from portal.extensions import db
from portal.permissions import Permission, requires

CONTACT: dict[str, Spec] = {
    "on": day(required=True),
    "member_id": Spec("int"),
    "contact_person": text(120),  # required unless member_id names a team member
    "method": one_of(CONTACT_METHODS, required=True),
    "content": text(5000, required=True),
    "state_of_mind": text(200),
    "risk_signals": text(5000),
    "next_step": text(255),
}
CONTACT_READ_ONLY = frozenset({"id", "recorded_by", "created_at"})


@bp.route("/t/<tenant_slug>/returnees/<int:returnee_id>/contacts")
@requires(Permission.DOSSIER_READ)
def list_contacts(returnee_id):
    """The person's contacts, newest first, one page at a time."""
    returnee = load_returnee(returnee_id)
    page, per_page = paging()
    where = Contact.returnee_id == returnee.id
    total = db.session.scalar(select(func.count()).select_from(Contact).where(where))
    rows = db.session.scalars(
        select(Contact).where(where).order_by(Contact.on.desc(), Contact.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    audit.record("contact.list", returnee)
    return jsonify(items=[contact_json(c) for c in rows], total=total, page=page, per_page=per_page)


def _member(member_id: int | None) -> TeamMember | None:
    if member_id is None:
        return None
    return db.session.scalar(select(TeamMember).where(TeamMember.id == member_id, TeamMember.active))


def _check_contact(values: dict, today: date) -> None:
    errors = {}
    on = values.get("on")
    if on is not None and (on > today or on.year < 2000):
        errors["on"] = gettext("Not in the future.") if on > today else gettext("Not a valid date.")
    if values.get("member_id") is not None and _member(values["member_id"]) is None:
        errors["member_id"] = gettext("Not an active member of a support team of this unit.")
    elif values.get("member_id") is None and "contact_person" in values and not values["contact_person"]:
        errors["contact_person"] = gettext("This field is required.")
    if errors:
        raise Invalid(errors)


@bp.route("/t/<tenant_slug>/returnees/<int:returnee_id>/contacts", methods=["POST"])
@requires(Permission.DOSSIER_WRITE)
def create_contact(returnee_id):
    """Through care_services.add_contact, as on the pages: a team member's contact carries their name."""
    returnee = load_returnee(returnee_id)
    ensure_open(returnee)
    today = facts.today()
    values = parse_checked(json_body(), CONTACT, lambda v: _check_contact(v, today), partial=False,
                           read_only=CONTACT_READ_ONLY)
    member = _member(values.pop("member_id"))
    contact = care_services.add_contact(returnee, values, member, g.api_user.id)
    db.session.commit()
    return jsonify(contact_json(contact)), 201


@bp.route("/t/<tenant_slug>/returnees/<int:returnee_id>/comments")
@requires(Permission.DOSSIER_READ)
def list_returnee_comments(returnee_id):
    returnee = load_returnee(returnee_id)
    rows = list_comments(returnee.id)
    audit.record("comment.list", returnee)
    return jsonify(items=[comment_json(c, name) for c, name in rows], total=len(rows))


@bp.route("/t/<tenant_slug>/returnees/<int:returnee_id>/comments", methods=["POST"])
@requires(Permission.COMMENT)
def create_comment(returnee_id):
    returnee = load_returnee(returnee_id)
    ensure_open(returnee)
    payload = json_body()
    errors = {name: gettext("Unknown field.") for name in payload if name != "body"}
    error = comment_service.body_error(payload.get("body"))
    if error:
        errors["body"] = error
    if errors:
        raise Invalid(errors)
    comment = comment_service.add_comment(returnee, payload["body"], g.api_user.id)
    db.session.commit()
    return jsonify(comment_json(comment, g.api_user.full_name or g.api_user.username)), 201
