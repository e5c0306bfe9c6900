"""Requesting, running and following jobs.

A job is requested by writing a Task row (tenant-owned) and then putting `execute(task_id,
tenant_id)` on a queue. Jobs take ids, never objects, and run inside an app, unit and locale
context. A city job (a roll-up) has a CityTask row instead, runs with no unit set, and reaches the
units' data only unit by unit. In the embedded default (no Redis) they run in-process right away. When Redis is down the
row stays `pending` and `enqueue_pending` (worker start-up, the scheduler) puts it on the queue later.
"""

import logging
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

import redis
from flask import current_app, has_app_context
from flask_babel import force_locale, gettext
from rq import Retry, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select, update

from portal.extensions import db
from tenants.context import current_tenant_id, use_tenant
from tenants.models import Tenant
from workers import tasks as states
from workers.queues import QUEUES, get_queue, redis_client, rq_job_id
from workers.tasks import CityTask, Task

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


class JobFailed(Exception):
    """A failure that trying again cannot fix: the task is marked failed at once, without retries.

    Its message is shown to the user; raise it with a translated text (jobs run in the task's locale).
    """


def request_job(kind: str, *, actor_id: int | None, locale: str = "vi", **params) -> Task:
    """Record a job for the current unit and dispatch it. Commits: the worker must see the row."""
    return _request(Task, kind, actor_id, locale, params)


def request_city_job(kind: str, *, actor_id: int | None, locale: str = "vi", **params) -> CityTask:
    """Record a job of the city (no unit) and dispatch it."""
    return _request(CityTask, kind, actor_id, locale, params)


def _request(model, kind, actor_id, locale, params):
    if kind not in JOBS:
        raise KeyError(kind)
    task = model(kind=kind, params=params, actor_id=actor_id, locale=locale, state=states.PENDING)
    db.session.add(task)
    db.session.commit()
    dispatch(task)
    return task


def _owner(task) -> int | None:
    return getattr(task, "tenant_id", None)


def dispatch(task: Task | CityTask) -> None:
    if current_app.config["JOBS_INLINE"]:
        execute(task.id, _owner(task))
        db.session.refresh(task)
        return
    spec = QUEUES[JOBS[task.kind].queue]
    try:
        get_queue(JOBS[task.kind].queue).enqueue_call(
            "workers.runner.execute",
            args=(task.id, _owner(task)),
            job_id=rq_job_id(task.id),
            timeout=spec.timeout,
            ttl=spec.ttl,
            result_ttl=spec.result_ttl,
            failure_ttl=spec.failure_ttl,
            retry=Retry(max=2, interval=[10, 60]),
            meta={"tenant_id": _owner(task), "actor_id": task.actor_id, "kind": task.kind},
        )
    except redis.RedisError:
        log.warning("queue unreachable; task %s kept pending", task.id)
        return
    # Conditional: a fast worker may already have started or finished the task; never step it back.
    _move(task, (states.PENDING,), state=states.QUEUED)


def _move(task: Task | CityTask, from_states: tuple[str, ...], **values) -> bool:
    """Change the row only if it is still in one of `from_states`; commits and reloads it."""
    model = type(task)
    moved = db.session.execute(
        update(model)
        .where(model.id == task.id, model.state.in_(from_states))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    db.session.refresh(task)
    return bool(moved)


def enqueue_pending() -> int:
    """Queue every task recorded while Redis was down, unit by unit (row-level security holds)."""
    count = 0
    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)).all():
        with use_tenant(tenant):
            for task in db.session.scalars(select(Task).where(Task.state == states.PENDING)).all():
                dispatch(task)
                count += task.state != states.PENDING
    for task in db.session.scalars(select(CityTask).where(CityTask.state == states.PENDING)).all():
        dispatch(task)
        count += task.state != states.PENDING
    return count


_fallback_app = None


def execute(task_id: str, tenant_id: int | None) -> dict | None:
    """The queue's entry point. Idempotent: a finished task is not run again.

    Work horses forked by `flask jobs worker` inherit the app context of the command. A worker
    started any other way (plain `rq worker`) gets one app per process, built from the environment.
    """
    if has_app_context():
        return _execute(task_id, tenant_id)
    global _fallback_app
    if _fallback_app is None:
        from portal.app import create_app

        _fallback_app = create_app()
    with _fallback_app.app_context():
        try:
            return _execute(task_id, tenant_id)
        finally:
            db.session.remove()


def _execute(task_id: str, tenant_id: int | None):
    model = Task if tenant_id is not None else CityTask
    scope = use_tenant(db.session.get(Tenant, tenant_id)) if tenant_id is not None else nullcontext()
    with scope:
        task = db.session.scalar(select(model).where(model.id == task_id))
        if task is None:
            raise LookupError(f"task {task_id} not found in unit {tenant_id}")
        if task.state == states.FINISHED:
            return task.result
        task.state, task.attempts, task.message = states.STARTED, task.attempts + 1, None
        db.session.commit()
        with force_locale(task.locale):
            try:
                result = JOBS[task.kind].func(task, **task.params)
            except Exception as exc:
                db.session.rollback()
                if _record_failure(model, task_id, exc):
                    raise
                return None
        task.state, task.progress, task.result = states.FINISHED, 100, result
        db.session.commit()
        return result


def _record_failure(model, task_id: str, exc: Exception) -> bool:
    """Mark the task failed, or queued again when RQ will retry it; True if the error must propagate."""
    rq_job = get_current_job()
    if isinstance(exc, JobFailed):
        message = str(exc)
        if rq_job is not None:
            rq_job.retries_left = 0  # read by the worker right after we raise
    else:
        # The type only: exception texts may quote SQL parameters, that is personal data.
        message = gettext("The job failed (%(error)s).", error=type(exc).__name__)
    retrying = rq_job is not None and rq_job.should_retry
    if retrying:
        message = gettext("%(message)s It will be tried again.", message=message)
    task = db.session.scalar(select(model).where(model.id == task_id))
    task.state = states.QUEUED if retrying else states.FAILED
    task.message = message[:300]
    db.session.commit()
    if current_app.config["JOBS_INLINE"]:
        log.warning("job %s (%s) failed: %s", task_id, task.kind, type(exc).__name__)
        return False
    return True


def report_progress(task: Task | CityTask, percent: int, message: str | None = None) -> None:
    """Visible progress: on the task row (what the status endpoint reads) and in the RQ job's meta.

    Commits the job's session: call it between steps, not in the middle of a change.
    """
    task.progress = max(0, min(99, percent))
    task.message = message
    db.session.commit()
    rq_job = get_current_job()
    if rq_job is not None:
        rq_job.meta["progress"] = task.progress
        rq_job.save_meta()


# RQ states that end a job without our row having been told (work horse killed, job stopped).
_RQ_ENDED = {JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}


def refresh_state(task: Task | CityTask) -> Task | CityTask:
    """Tell expired and killed jobs apart: the row says queued or started but the queue disagrees."""
    open_states = (states.QUEUED, states.STARTED)
    if task.state not in open_states or current_app.config["JOBS_INLINE"]:
        return task
    try:
        status = Job.fetch(rq_job_id(task.id), connection=redis_client()).get_status(refresh=False)
    except NoSuchJobError:
        _move(task, open_states, state=states.EXPIRED)
        return task
    except redis.RedisError:
        return task  # unknown for now; the row's state stands
    if status in _RQ_ENDED:
        _move(task, open_states, state=states.FAILED, message=gettext("The job stopped unexpectedly."))
    return task


def find_task(task_id: str) -> Task | None:
    """A task of the current unit, or None (another unit's task is simply not there)."""
    if current_tenant_id() is None:
        return None
    return db.session.scalar(select(Task).where(Task.id == task_id))


def find_city_task(task_id: str) -> CityTask | None:
    """A city task; only city pages and the city's API callers may ask."""
    return db.session.scalar(select(CityTask).where(CityTask.id == task_id))
