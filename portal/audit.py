"""The audit log: every read of personal data and every change, insert-only for the app.

It holds identifiers, never personal data. On PostgreSQL the app role may insert and select but
not update or delete (tenants.rls.APPEND_ONLY). Events join the request's transaction: a change
and its audit row commit together; reads are committed by the request guard's after_request.
"""

from datetime import datetime

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from tenants.context import current_tenant_id


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str | None] = mapped_column(String(60))
    object_id: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(45))
    request_id: Mapped[str | None] = mapped_column(String(36))
    reason: Mapped[str | None] = mapped_column(String(200))


def record(action: str, obj=None, *, object_type=None, object_id=None, user_id=None, reason=None):
    """Add an audit event to the current transaction and return it."""
    if obj is not None:
        obj = obj._get_current_object() if hasattr(obj, "_get_current_object") else obj
        object_type = object_type or type(obj).__tablename__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    if user_id is None:
        actor = g.get("api_user") if has_request_context() else None
        if actor is None and has_request_context() and current_user.is_authenticated:
            actor = current_user
        user_id = actor.id if actor is not None else None
    event = AuditEvent(
        user_id=user_id,
        tenant_id=current_tenant_id(),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        ip=request.remote_addr if has_request_context() else None,
        request_id=g.get("request_id") if has_request_context() else None,
        reason=reason,
    )
    db.session.add(event)
    if has_request_context():
        g.audit_pending = True
    return event
