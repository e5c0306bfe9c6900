"""The city's live variant of a roll-up: every active unit publishes its figures as they are now.

The job runs with no unit set and reaches the units' data only unit by unit, through
`services.publish_live` inside `use_tenant` (ORM scoping and row-level security hold as for a
page of that unit). Each unit commits on its own, and its row is let go before the next unit, so
the worker's memory does not grow with the number of units or their data. Re-running the job (a
retry after a crash) simply publishes again: each unit has one live row per period.
"""

from flask_babel import gettext
from sqlalchemy import select

from blueprints.reports import periods, services
from portal.extensions import db
from tenants.context import use_tenant
from tenants.models import Tenant
from workers.runner import JobFailed, job, report_progress

PROGRESS_EVERY = 5  # units between two progress updates (each commits the task row)


@job("rollups.live", queue="reports")
def live(task, period: str) -> dict:
    try:
        p = periods.parse(period)
    except periods.BadPeriod as exc:
        raise JobFailed(str(exc)) from exc
    # The registry is the one cross-unit read here: ids only, each unit is loaded in its turn.
    unit_ids = db.session.scalars(select(Tenant.id).where(Tenant.active.is_(True)).order_by(Tenant.id)).all()
    total = len(unit_ids)
    for done, unit_id in enumerate(unit_ids, start=1):
        unit = db.session.get(Tenant, unit_id)
        with use_tenant(unit):
            row = services.publish_live(p)
            db.session.commit()
            db.session.expunge(row)
        if done % PROGRESS_EVERY == 0 or done == total:
            report_progress(task, 100 * done // total, gettext("%(done)s of %(total)s units computed.",
                                                              done=done, total=total))
    return {"units": total}
