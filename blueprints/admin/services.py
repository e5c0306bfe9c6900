"""Changes made by the administrator. Each one flushes and writes its audit event; the view
commits once, so a change and its audit row land together or not at all.

Events about a unit (its activation, a membership in it) carry that unit, so the audit viewer's
unit filter shows who was given or lost access there. Audit rows hold identifiers only: roles,
never names.
"""

import secrets
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.accounts import ApiToken, Membership, User
from portal.auth.passwords import hash_password
from portal.extensions import db
from portal.permissions import CITY_ROLES, UNIT_ROLES, Role
from tenants.context import use_tenant
from tenants.models import Tenant


class AdminError(Exception):
    """A refused change; `field` names the form field the message belongs next to, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def new_password() -> str:
    # 16 URL-safe characters (96 bits), above passwords.MIN_LENGTH and easy to read out.
    return secrets.token_urlsafe(12)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _record_for_unit(action: str, obj, tenant: Tenant | None, **fields):
    with use_tenant(tenant):
        return audit.record(action, obj, **fields)


def set_unit_active(tenant: Tenant, active: bool) -> bool:
    """Returns False when the unit already was in that state (nothing recorded)."""
    if tenant.active == active:
        return False
    tenant.active = active
    db.session.flush()
    _record_for_unit("tenant.activate" if active else "tenant.deactivate", tenant, tenant)
    return True


def username_taken(username: str) -> bool:
    return db.session.scalar(select(User.id).where(User.username == username)) is not None


def create_account(
    username: str, full_name: str, role: Role, tenant: Tenant | None, email: str | None = None
) -> tuple[User, str]:
    """A new account with one membership and a random initial password, returned in clear once."""
    if username_taken(username):
        raise AdminError(_("This username is already taken."), "username")
    password = new_password()
    user = User(
        username=username, full_name=full_name, email=email or None, password_hash=hash_password(password),
        must_change_password=True,
    )
    membership = Membership(tenant=tenant, role=role)
    user.memberships.append(membership)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        # Another admin took the name between the check and the insert.
        db.session.rollback()
        raise AdminError(_("This username is already taken."), "username") from None
    audit.record("user.create", user)
    _record_for_unit("membership.add", membership, tenant, reason=f"role={role}")
    return user, password


def deactivate(user: User, actor: User) -> None:
    """Ends every session and API token of the account at once; reactivating revives neither."""
    if user.id == actor.id:
        raise AdminError(_("You cannot deactivate your own account."))
    user.active = False
    user.end_all_sessions()
    db.session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=_now())
    )
    db.session.flush()
    audit.record("user.deactivate", user)


def reactivate(user: User) -> None:
    user.active = True
    db.session.flush()
    audit.record("user.reactivate", user)


def reset_password(user: User, actor: User) -> str:
    """A new random password, returned in clear once; every session of the account ends."""
    if user.id == actor.id:
        raise AdminError(_("Change your own password from your account page."))
    password = new_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.end_all_sessions()
    db.session.flush()
    audit.record("user.password_reset", user)
    return password


def add_membership(user: User, tenant: Tenant | None, role: Role) -> Membership:
    if tenant is None and any(m.tenant_id is None for m in user.memberships):
        raise AdminError(_("This account already has a city-level role: change that role instead."), "role")
    if tenant is not None and any(m.tenant_id == tenant.id for m in user.memberships):
        raise AdminError(_("This account is already a member of this unit: change its role instead."), "unit")
    membership = Membership(tenant=tenant, role=role)
    user.memberships.append(membership)
    db.session.flush()
    _record_for_unit("membership.add", membership, tenant, reason=f"role={role}")
    return membership


def _protect_own_admin_role(membership: Membership, actor: User) -> None:
    # An administrator who removes their own role locks the area; another admin must do it.
    if membership.user_id == actor.id and membership.role == Role.SYSTEM_ADMIN:
        raise AdminError(_("You cannot remove your own administrator role."))


def change_role(membership: Membership, role: Role, actor: User) -> bool:
    """Returns False when the role is unchanged (nothing recorded)."""
    allowed = UNIT_ROLES if membership.tenant_id is not None else CITY_ROLES
    if role not in allowed:
        raise AdminError(_("This role does not fit this membership."))
    if role == membership.role:
        return False
    _protect_own_admin_role(membership, actor)
    old = membership.role
    membership.role = role
    db.session.flush()
    _record_for_unit("membership.role_change", membership, membership.tenant, reason=f"role={old}->{role}")
    return True


def remove_membership(membership: Membership, actor: User) -> None:
    _protect_own_admin_role(membership, actor)
    membership_id, tenant, role = membership.id, membership.tenant, membership.role
    membership.user.memberships.remove(membership)
    db.session.flush()
    _record_for_unit(
        "membership.remove", None, tenant, object_type="memberships", object_id=membership_id, reason=f"role={role}"
    )
