"""The task row behind every background job: what was asked, by whom, for which unit or for the
city, and how it went. A unit's task is scoped like its other rows; a city task (a roll-up) names
no unit and is read by the city's roles only."""

import uuid
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from tenants.models import TenantOwned

PENDING = "pending"  # recorded, not yet on a queue (Redis was unreachable)
QUEUED = "queued"
STARTED = "started"
FINISHED = "finished"
FAILED = "failed"
EXPIRED = "expired"  # the queue forgot it before it finished
OPEN_STATES = (PENDING, QUEUED, STARTED)


class TaskFields:
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: uuid.uuid4().hex)
    kind: Mapped[str] = mapped_column(String(60))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    locale: Mapped[str] = mapped_column(String(5), default="vi")
    state: Mapped[str] = mapped_column(String(12), default=PENDING, index=True)
    progress: Mapped[int] = mapped_column(default=0)
    message: Mapped[str | None] = mapped_column(String(300))
    result: Mapped[dict | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "progress": self.progress,
            "message": self.message,
            "result": self.result,
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }


class Task(TaskFields, TenantOwned, db.Model):
    __tablename__ = "tasks"


class CityTask(TaskFields, db.Model):
    __tablename__ = "city_tasks"


STATE_LABELS = {
    PENDING: _l("waiting for the queue"),
    QUEUED: _l("queued"),
    STARTED: _l("running"),
    FINISHED: _l("finished"),
    FAILED: _l("failed"),
    EXPIRED: _l("expired before it finished"),
}
