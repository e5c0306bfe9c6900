"""Imports every model so metadata, migrations and the scoping checks see them all."""

from portal.accounts import ApiToken, Membership, User
from portal.audit import AuditEvent
from tenants.models import Tenant
from workers.attachments import Attachment
from workers.tasks import Task

__all__ = ["ApiToken", "Attachment", "AuditEvent", "Membership", "Task", "Tenant", "User"]
