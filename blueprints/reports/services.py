"""A unit report's life: opened for a period, its figures frozen on submission, approved or
returned by the leader, and what the city sees of it published as counts.

draft → submitted → approved | returned → (edited) → submitted … Every change is audited and
commits with its audit row. Only this module writes `UnitFigures`.
"""

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from flask_babel import gettext
from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from blueprints.reports import figures
from blueprints.reports.models import (
    APPROVED,
    DRAFT,
    LIVE,
    REPORTED,
    RETURNED,
    SECTIONS,
    SUBMITTED,
    Report,
    ReportDeadline,
    UnitFigures,
)
from blueprints.reports.periods import Period
from portal import audit
from portal.extensions import db
from portal.i18n import local_moment
from tenants.context import current_tenant_id

MAX_SECTION = 20_000
# Days after a period ends by which its report is due, for a kind the city has not set.
DEFAULT_DEADLINES = {"month": 5, "quarter": 10, "half": 15, "year": 20, "adhoc": 7}


class ReportError(ValueError):
    """A change the report's state does not allow; the message is translated."""


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def local_date(moment: datetime) -> date:
    """The date in Hải Phòng of a naive UTC timestamp (deadlines are local calendar days)."""
    return local_moment(moment).date()


def deadlines() -> dict[str, int]:
    rows = db.session.execute(select(ReportDeadline.period_kind, ReportDeadline.days_after_end)).all()
    return {**DEFAULT_DEADLINES, **dict(rows)}


def due_on(period: Period, days: dict[str, int] | None = None) -> date:
    days = deadlines() if days is None else days
    return period.end + timedelta(days=days.get(period.kind, 0))


def snapshot(period: Period, campaign_id: int | None = None) -> dict:
    """The figures of the current unit for `period` (of one campaign's people), as they are now."""
    return figures.compute(period, campaign_id)


def period_of(report: Report) -> Period:
    """The report's period as stored (ad hoc and campaign periods cannot be parsed back from a key)."""
    return Period(report.period_kind, report.period, report.starts_on, report.ends_on)


def snapshot_sha(values: dict) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


def find(period: Period) -> Report | None:
    """The unit's regular report for a period (ad hoc reports are found by id)."""
    return db.session.scalar(select(Report).where(Report.period == period.key, Report.period_kind == period.kind))


def open_report(
    period: Period, actor_id: int | None, title: str | None = None,
    campaign_id: int | None = None, due: date | None = None,
) -> Report:
    """The report of the period, opened as a draft if the unit has none yet. Does not commit.
    A campaign's report is due when the campaign says (`due`), not by the city's deadlines."""
    report = find(period) if period.kind != "adhoc" else None
    if report is not None:
        return report
    report = Report(
        period=period.key, period_kind=period.kind, starts_on=period.start, ends_on=period.end,
        title=title, campaign_id=campaign_id, status=DRAFT, due_on=due or due_on(period), sections={},
        created_by=actor_id,
    )
    db.session.add(report)
    db.session.flush()
    audit.record("report.open", report, user_id=actor_id)
    return report


def save_sections(report: Report, sections: dict[str, str], actor_id: int | None) -> None:
    if report.is_frozen:
        raise ReportError(gettext("A submitted report cannot be changed."))
    cleaned = {}
    for key in SECTIONS:
        text = (sections.get(key) or "").strip()
        if len(text) > MAX_SECTION:
            raise ReportError(gettext("Each section may hold at most %(n)s characters.", n=MAX_SECTION))
        cleaned[key] = text
    report.sections = cleaned
    audit.record("report.edit", report, user_id=actor_id)


def submit(report: Report, actor_id: int | None, now: datetime | None = None) -> None:
    """Freeze the figures as they are now and record when, against the due date."""
    if report.status not in (DRAFT, RETURNED):
        raise ReportError(gettext("Only a draft or a returned report can be submitted."))
    now = now or utcnow()
    values = snapshot(period_of(report), report.campaign_id)
    report.figures, report.snapshot_sha = values, snapshot_sha(values)
    report.status, report.submitted_at, report.submitted_by = SUBMITTED, now, actor_id
    report.late = local_date(now) > report.due_on
    report.decided_at = report.decided_by = None
    audit.record("report.submit", report, user_id=actor_id)
    _publish(report)


def approve(report: Report, actor_id: int | None, now: datetime | None = None) -> None:
    if report.status != SUBMITTED:
        raise ReportError(gettext("Only a submitted report can be approved."))
    report.status, report.decided_at, report.decided_by = APPROVED, now or utcnow(), actor_id
    report.return_reason = None
    audit.record("report.approve", report, user_id=actor_id)
    _publish(report)


def send_back(report: Report, actor_id: int | None, reason: str, now: datetime | None = None) -> None:
    """Return a submitted report with a reason; its snapshot is dropped and it can be edited again."""
    reason = (reason or "").strip()
    if report.status != SUBMITTED:
        raise ReportError(gettext("Only a submitted report can be returned."))
    if not reason:
        raise ReportError(gettext("Say why the report is returned."))
    report.status, report.decided_at, report.decided_by = RETURNED, now or utcnow(), actor_id
    report.return_reason = reason[:2000]
    report.figures = report.snapshot_sha = None
    audit.record("report.return", report, user_id=actor_id)
    _publish(report)


def _published_row(period_key: str, source: str) -> UnitFigures:
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise ReportError("no unit is set")
    row = db.session.scalar(
        select(UnitFigures).where(
            UnitFigures.tenant_id == tenant_id, UnitFigures.period == period_key, UnitFigures.source == source
        )
    )
    if row is None:
        row = UnitFigures(tenant_id=tenant_id, period=period_key, source=source)
        db.session.add(row)
    return row


def _publish(report: Report) -> None:
    """What the city sees of a regular report: its state, timeliness and frozen counts. (A
    campaign's report reaches the city through the campaign's progress row instead.)"""
    if report.period_kind == "campaign":
        from blueprints.campaigns import services as campaigns  # the campaign board counts it

        campaigns.publish(db.session.get(campaigns.Campaign, report.campaign_id))
        return
    if report.period_kind == "adhoc":
        return
    row = _published_row(report.period, REPORTED)
    row.status, row.due_on = report.status, report.due_on
    row.submitted_at, row.late = report.submitted_at, report.late
    row.figures, row.snapshot_sha = report.figures, report.snapshot_sha
    row.computed_at = utcnow()


def publish_live(period: Period, now: datetime | None = None) -> dict[str, int]:
    """Publish the current unit's figures for `period` as they are now (the city's live variant):
    one statement writes the unit's one live row for the period, new or not. Returns the figures."""
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise ReportError("no unit is set")
    values = snapshot(period)
    # Core, on the session's connection (the unit's transaction): no ORM object is made or kept.
    db.session.connection().execute(_live_upsert(db.session.get_bind().dialect.name), {
        "tenant_id": tenant_id, "period": period.key, "source": LIVE,
        "figures": values, "snapshot_sha": snapshot_sha(values), "computed_at": now or utcnow(),
    })
    return values


_LIVE_COLUMNS = ("tenant_id", "period", "source", "figures", "snapshot_sha", "computed_at")


@lru_cache(maxsize=2)
def _live_upsert(dialect: str):
    """INSERT … ON CONFLICT DO UPDATE of a live row, built once (both databases spell it alike)."""
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(UnitFigures)
    insert = insert.values({name: bindparam(name, type_=UnitFigures.__table__.c[name].type) for name in _LIVE_COLUMNS})
    return insert.on_conflict_do_update(
        index_elements=[UnitFigures.tenant_id, UnitFigures.period, UnitFigures.source],
        set_={name: insert.excluded[name] for name in ("figures", "snapshot_sha", "computed_at")},
    )
