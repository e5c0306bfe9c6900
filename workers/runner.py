"""Requesting, running and following jobs.

A job is requested by writing a Task row (tenant-owned) and then putting `execute(task_id,
tenant_id)` on a queue. Jobs take ids, never objects, and run inside an app, unit and locale
context. In the embedded default (no Redis) they run in-process right away. When Redis is down the
row stays `pending` and `enqueue_pending` (worker start-up, the scheduler) puts it on the queue later.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

import redis
from flask import current_app, has_app_context
from flask_babel import force_locale
from rq import Retry, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import select

from portal.extensions import db
from tenants.context import current_tenant_id, use_tenant
from tenants.models import Tenant
from workers import tasks as states
from workers.queues import QUEUES, get_queue, redis_client
from workers.tasks import Task

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    func: Callable
    queue: str


JOBS: dict[str, JobSpec] = {}


def job(kind: str, queue: str):
    """Register `func(task, **params)` as the job `kind`, run on the queue named by purpose."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue}")

    def register(func):
        JOBS[kind] = JobSpec(func=func, queue=queue)
        return func

    return register


def request_job(kind: str, *, actor_id: int | None, locale: str = "vi", **params) -> Task:
    """Record a job for the current unit and dispatch it. Commits: the worker must see the row."""
    if kind not in JOBS:
        raise KeyError(kind)
    task = Task(kind=kind, params=params, actor_id=actor_id, locale=locale, state=states.PENDING)
    db.session.add(task)
    db.session.commit()
    dispatch(task)
    return task


def dispatch(task: Task) -> None:
    if current_app.config["JOBS_INLINE"]:
        execute(task.id, task.tenant_id)
        db.session.refresh(task)
        return
    spec = QUEUES[JOBS[task.kind].queue]
    try:
        get_queue(JOBS[task.kind].queue).enqueue_call(
            "workers.runner.execute",
            args=(task.id, task.tenant_id),
            job_id=task.id,
            timeout=spec.timeout,
            ttl=spec.ttl,
            result_ttl=spec.result_ttl,
            failure_ttl=spec.failure_ttl,
            retry=Retry(max=2, interval=[10, 60]),
            meta={"tenant_id": task.tenant_id, "actor_id": task.actor_id, "kind": task.kind},
        )
    except redis.RedisError:
        log.warning("queue unreachable; task %s kept pending", task.id)
        return
    if task.state == states.PENDING:
        task.state = states.QUEUED
        db.session.commit()


def enqueue_pending() -> int:
    """Queue every task recorded while Redis was down, unit by unit (row-level security holds)."""
    count = 0
    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)).all():
        with use_tenant(tenant):
            for task in db.session.scalars(select(Task).where(Task.state == states.PENDING)).all():
                dispatch(task)
                count += task.state != states.PENDING
    return count


def execute(task_id: str, tenant_id: int) -> dict | None:
    """The queue's entry point. Idempotent: a finished task is not run again."""
    if has_app_context():
        return _execute(task_id, tenant_id)
    from portal.app import create_app

    with create_app().app_context():
        return _execute(task_id, tenant_id)


def _execute(task_id: str, tenant_id: int):
    tenant = db.session.get(Tenant, tenant_id)
    with use_tenant(tenant):
        task = db.session.scalar(select(Task).where(Task.id == task_id))
        if task is None:
            raise LookupError(f"task {task_id} not found in unit {tenant_id}")
        if task.state == states.FINISHED:
            return task.result
        task.state, task.attempts, task.message = states.STARTED, task.attempts + 1, None
        db.session.commit()
        try:
            with force_locale(task.locale):
                result = JOBS[task.kind].func(task, **task.params)
        except Exception as exc:
            db.session.rollback()
            task = db.session.scalar(select(Task).where(Task.id == task_id))
            task.state = states.FAILED
            task.message = f"{type(exc).__name__}: {exc}"[:300]
            db.session.commit()
            if current_app.config["JOBS_INLINE"]:
                log.exception("job %s failed", task_id)
                return None
            raise
        task.state, task.progress, task.result = states.FINISHED, 100, result
        db.session.commit()
        return result


def report_progress(task: Task, percent: int, message: str | None = None) -> None:
    """Visible progress: on the task row (what the status endpoint reads) and in the RQ job's meta."""
    task.progress = max(0, min(99, percent))
    task.message = message
    db.session.commit()
    rq_job = get_current_job()
    if rq_job is not None:
        rq_job.meta["progress"] = task.progress
        rq_job.save_meta()


def refresh_state(task: Task) -> Task:
    """Tell an expired job apart: the row says queued or started but the queue no longer knows it."""
    if task.state not in (states.QUEUED, states.STARTED) or current_app.config["JOBS_INLINE"]:
        return task
    try:
        Job.fetch(task.id, connection=redis_client())
    except NoSuchJobError:
        task.state = states.EXPIRED
        db.session.commit()
    except redis.RedisError:
        pass  # unknown for now; the row's state stands
    return task


def find_task(task_id: str) -> Task | None:
    """A task of the current unit, or None (another unit's task is simply not there)."""
    if current_tenant_id() is None:
        return None
    return db.session.scalar(select(Task).where(Task.id == task_id))
