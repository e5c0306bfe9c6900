from flask import abort, g, jsonify
from sqlalchemy import select

from blueprints.api import bp
from blueprints.api.openapi import document
from portal.extensions import db
from portal.permissions import ROLE_PERMISSIONS, Permission, public, signed_in
from tenants.context import use_tenant
from tenants.models import Tenant
from workers.runner import find_city_task, find_task, refresh_state


def _user_json(user) -> dict:
    return {
        "id": user.id,
        "username": user.username,
        "full_name": user.full_name,
        "locale": user.locale,
        "city_role": user.city_role,
        "memberships": [
            {
                "tenant": m.tenant.slug,
                "tenant_code": m.tenant.code,
                "role": m.role,
                "permissions": sorted(ROLE_PERMISSIONS[m.role]),
            }
            for m in user.unit_memberships
        ],
    }


def _tenant_json(tenant: Tenant) -> dict:
    return {"code": tenant.code, "slug": tenant.slug, "name": tenant.name, "kind": tenant.kind, "active": tenant.active}


@bp.route("/me")
@signed_in
def me():
    return jsonify(_user_json(g.api_user))


@bp.route("/tenants")
@signed_in
def tenants():
    """The unit registry (public facts: codes and names, no unit data)."""
    rows = db.session.scalars(select(Tenant).where(Tenant.active.is_(True)).order_by(Tenant.code)).all()
    return jsonify(items=[_tenant_json(t) for t in rows], total=len(rows))


@bp.route("/jobs/<job_id>")
@signed_in
def job(job_id):
    """A job's state, found through its task row in one of the caller's units, or a city task for the
    city's roll-up roles."""
    user = g.api_user
    for membership in user.unit_memberships:
        if Permission.JOB_READ not in ROLE_PERMISSIONS[membership.role] or not membership.tenant.active:
            continue
        with use_tenant(membership.tenant):
            task = find_task(job_id)
            if task is not None:
                body = refresh_state(task).as_json()
                body["tenant"] = membership.tenant.slug
                return jsonify(body)
    # A city task (a roll-up) has no unit: only a city role that works with roll-ups may follow it.
    # It is looked up with no unit set, so a unit's task id never matches here.
    if Permission.CITY_ROLLUP in ROLE_PERMISSIONS.get(user.city_role, frozenset()):
        task = find_city_task(job_id)
        if task is not None:
            return jsonify(refresh_state(task).as_json())
    return abort(404)


@bp.route("/openapi.json")
@public
def openapi():
    return jsonify(document())
