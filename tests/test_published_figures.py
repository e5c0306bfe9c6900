"""What a unit publishes for the city: readable city-wide, writable only for the unit itself; and
the city's own jobs, which name no unit."""

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from blueprints.reports import periods, services
from blueprints.reports.models import LIVE, UnitFigures
from portal.extensions import db
from tenants.context import use_tenant
from tests.conftest import tenant
from workers import runner
from workers.runner import JobFailed, find_city_task, find_task, job, request_city_job
from workers.tasks import CityTask

CAT_HAI, AN_KHANH = "dac_khu_cat_hai", "xa_an_khanh"
Q3 = periods.parse("2026-Q3")


def _publish(slug):
    with use_tenant(tenant(slug)):
        services.publish_live(Q3)
        db.session.commit()


def test_each_unit_publishes_its_own_row_once_per_period_and_source(ctx):
    _publish(CAT_HAI)
    _publish(CAT_HAI)
    _publish(AN_KHANH)
    rows = db.session.execute(select(UnitFigures.tenant_id, UnitFigures.source, UnitFigures.period)).all()
    assert sorted(rows) == sorted([
        (tenant(CAT_HAI).id, LIVE, "2026-Q3"), (tenant(AN_KHANH).id, LIVE, "2026-Q3"),
    ])


def test_publishing_needs_a_unit(ctx):
    with pytest.raises(services.ReportError):
        services.publish_live(Q3)


@pytest.mark.postgres
def test_a_unit_cannot_write_another_units_published_figures_but_the_city_reads_all(ctx):
    _publish(CAT_HAI)
    _publish(AN_KHANH)
    cat_hai, an_khanh = tenant(CAT_HAI), tenant(AN_KHANH)
    with use_tenant(cat_hai):
        changed = db.session.execute(
            text("UPDATE unit_figures SET figures = '{}' WHERE tenant_id = :t"), {"t": an_khanh.id}
        ).rowcount
        assert changed == 0
        deleted = db.session.execute(text("DELETE FROM unit_figures WHERE tenant_id = :t"), {"t": an_khanh.id})
        assert deleted.rowcount == 0
        with pytest.raises(DBAPIError, match="row-level security"):
            db.session.execute(
                text("INSERT INTO unit_figures (tenant_id, period, source, computed_at) "
                     "VALUES (:t, '2026-Q2', 'live', now())"),
                {"t": an_khanh.id},
            )
        db.session.rollback()
    # No unit set (a city request): every row is readable, none writable.
    assert db.session.scalar(text("SELECT count(*) FROM unit_figures")) == 2
    assert db.session.execute(text("UPDATE unit_figures SET figures = '{}'")).rowcount == 0
    db.session.rollback()


@job("test.city", queue="reports")
def _city_job(task, marker):
    if marker == "refuse":
        raise JobFailed("refused")
    return {"marker": marker, "unit": None}


def test_a_city_job_runs_with_no_unit_and_only_the_city_finds_it(ctx):
    task = request_city_job("test.city", actor_id=None, marker="x")
    assert task.state == "finished" and task.result == {"marker": "x", "unit": None}
    assert find_city_task(task.id) is not None
    with use_tenant(tenant(CAT_HAI)):
        assert find_task(task.id) is None
    failed = request_city_job("test.city", actor_id=None, marker="refuse")
    assert failed.state == "failed" and failed.message == "refused"
    assert db.session.scalar(select(CityTask.id).where(CityTask.id == failed.id)) == failed.id
    assert runner.JOBS["test.city"].queue == "reports"
