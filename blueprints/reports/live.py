"""The city's live variant of a roll-up: every active unit publishes its figures as they are now.

The job runs with no unit set and reaches the units' data only unit by unit, through
`services.publish_live` inside `use_tenant` (ORM scoping and row-level security hold as for a
page of that unit). Each unit computes and publishes in a transaction of its own (one statement
for its figures, one for its row); nothing of a unit is kept after its commit, so the worker's
memory does not grow with the units' data. Re-running the job (a retry after a crash) simply
publishes again: each unit has one live row per period.

On PostgreSQL a few units are computed at once, each on a connection of its own that acts for
one unit at a time, in that unit's transaction: while the database computes some units, Python
prepares or publishes another (bench/README.md has the measurements).
"""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select

from blueprints.reports import periods, services
from blueprints.reports.periods import Period
from portal.extensions import db
from tenants.context import use_tenant
from tenants.models import Tenant
from workers.runner import JobFailed, job, report_progress

PROGRESS_EVERY = 5  # units between two progress updates (each commits the task row)
# Units computed at once on PostgreSQL: one more than the benchmark machine's two CPUs, so the
# database stays busy while Python (one thread at a time) works. SQLite has one writer: one.
CONNECTIONS = 3


@job("rollups.live", queue="reports")
def live(task, period: str) -> dict:
    try:
        p = periods.parse(period)
    except periods.BadPeriod as exc:
        raise JobFailed(str(exc)) from exc
    # The registry is the one cross-unit read here (units, none of their data). Detached, the
    # units stay loaded through each unit's commit, so acting for the next one costs no query.
    units = db.session.scalars(select(Tenant).where(Tenant.active.is_(True)).order_by(Tenant.id)).all()
    for unit in units:
        db.session.expunge(unit)
    total = len(units)
    for done, _ in enumerate(_published(p, units), start=1):
        if done % PROGRESS_EVERY == 0 or done == total:
            report_progress(task, 100 * done // total, gettext("%(done)s of %(total)s units computed.",
                                                              done=done, total=total))
    return {"units": total}


def _publish(p: Period, unit: Tenant) -> None:
    with use_tenant(unit):
        services.publish_live(p)
        db.session.commit()


def _published(p: Period, units: list[Tenant]) -> Iterator[Tenant]:
    """Publish each unit, yielding it once committed (in order)."""
    if db.session.get_bind().dialect.name == "sqlite" or CONNECTIONS < 2:
        for unit in units:
            _publish(p, unit)
            yield unit
        return
    app = current_app._get_current_object()

    def publish_apart(unit: Tenant) -> Tenant:
        # An app context per unit: its own session and connection, and its own current unit.
        with app.app_context():
            try:
                _publish(p, unit)
            finally:
                db.session.remove()
        return unit

    pool = ThreadPoolExecutor(CONNECTIONS, thread_name_prefix="rollups-live")
    try:
        yield from pool.map(publish_apart, units)
    finally:
        # A failed unit fails the job: the units not yet started are not started.
        pool.shutdown(wait=True, cancel_futures=True)
