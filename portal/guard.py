"""The request guard: who is asking, in which scope, and may they.

Every request runs the same steps before its view: resolve the unit from the URL
(tenants.resolve), identify the user (session cookie, or bearer token under /api/), find their role
in the unit or at city level, and check the endpoint's declared permission. A unit the user does
not belong to answers 404 (no existence oracle); a role without the permission answers 403; an
endpoint that declares nothing is refused, so forgetting a check cannot open a route.
"""

import re
import uuid

from flask import abort, current_app, g, jsonify, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.accounts import ApiToken, User, hash_token
from portal.auth import sessions, totp
from portal.extensions import db
from portal.permissions import PUBLIC, PUBLIC_ENDPOINTS, SIGNED_IN, can, declared_permission
from tenants.context import set_tenant

# What a user who must enrol a second factor may still reach.
ENROLMENT_ENDPOINTS = frozenset({"auth.second_factor_setup", "auth.logout", "auth.set_locale"})
REQUEST_ID = re.compile(r"[A-Za-z0-9-]{8,36}")  # audit_events.request_id holds 36
# What a user holding a password an administrator issued may still reach.
PASSWORD_CHANGE_ENDPOINTS = frozenset({"auth.change_password", "auth.logout", "auth.set_locale"})


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def api_user():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    query = (
        select(ApiToken)
        .options(joinedload(ApiToken.user).joinedload(User.memberships))
        .where(ApiToken.token_hash == hash_token(token.strip()), ApiToken.revoked_at.is_(None))
    )
    api_token = db.session.scalars(query).unique().first()
    if api_token is None or not api_token.user.active:
        return None
    return api_token.user


def acting_user():
    """The user of this request: the bearer token's under /api/, else the session's."""
    if is_api_request():
        return g.get("api_user")
    return current_user if current_user.is_authenticated else None


def _unauthenticated():
    if is_api_request():
        message = gettext("Sign-in required: send a valid bearer token.")
        return jsonify(error="unauthorized", message=message, fields={}), 401
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=target))


def check_request():
    # The proxy's id when it sends a well-formed one; anything else a client typed is replaced.
    offered = request.headers.get("X-Request-Id", "")
    g.request_id = offered if REQUEST_ID.fullmatch(offered) else str(uuid.uuid4())
    endpoint = request.endpoint
    if endpoint is None:
        return None  # 404/405 follow
    if endpoint in PUBLIC_ENDPOINTS:
        return None
    required = declared_permission(current_app.view_functions[endpoint])
    if required is None:
        current_app.logger.error("endpoint %s declares no permission; refused", endpoint)
        abort(403)
    if required == PUBLIC:
        return None

    if is_api_request():
        g.api_user = api_user()
    elif current_user.is_authenticated:
        sessions.touch()
    user = acting_user()
    if user is None:
        return _unauthenticated()
    if not is_api_request():
        if user.must_change_password and endpoint not in PASSWORD_CHANGE_ENDPOINTS:
            return redirect(url_for("auth.change_password"))
        if endpoint not in ENROLMENT_ENDPOINTS and totp.enrolment_overdue(user):
            return redirect(url_for("auth.second_factor_setup"))

    tenant_id = g.get("tenant_id")
    role = user.role_in(tenant_id)
    if tenant_id is not None and role is None:
        _denied(user, 404)
        set_tenant(None)  # the error page must not show the unit either
        abort(404)
    g.role = role
    if required == SIGNED_IN:
        return None
    if not can(role, required):
        _denied(user, 403)
        abort(403)
    return None


def _denied(user, status: int) -> None:
    log_refusal("access denied", status, user)


def log_refusal(what: str, status: int, user=None) -> None:
    """A refused request goes to the application log: identifiers only, never personal data or
    what was typed (refused authorisation, refused input, an expired or forged form token)."""
    user = user if user is not None else acting_user()
    current_app.logger.warning(
        "%s status=%s user=%s endpoint=%s unit=%s method=%s request=%s",
        what, status, user.id if user is not None else None, request.endpoint, g.get("tenant_id"),
        request.method, g.get("request_id"),
    )


def log_refused_input(response):
    if response.status_code == 422:
        log_refusal("input refused", 422)
    return response


def commit_audit(response):
    """Persist audit events and the session's last-seen time of a read-only request (changes commit
    their own transaction)."""
    if (g.get("audit_pending") or g.get("session_touched")) and response.status_code < 400:
        db.session.commit()
    return response


def init_app(app) -> None:
    app.before_request(check_request)
    app.after_request(commit_audit)
    app.after_request(log_refused_input)
