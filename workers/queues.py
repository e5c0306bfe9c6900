"""Queues named by purpose, prefixed per deployment, each with its own limits."""

from dataclasses import dataclass

import redis
from flask import current_app
from rq import Queue


@dataclass(frozen=True)
class QueueSpec:
    timeout: int  # seconds a job may run
    ttl: int  # seconds a job may wait in the queue before it expires
    result_ttl: int
    failure_ttl: int


DAY = 24 * 3600
QUEUES = {
    "reports": QueueSpec(timeout=15 * 60, ttl=DAY, result_ttl=7 * DAY, failure_ttl=30 * DAY),
    "documents": QueueSpec(timeout=5 * 60, ttl=DAY, result_ttl=7 * DAY, failure_ttl=30 * DAY),
    "files": QueueSpec(timeout=2 * 60, ttl=DAY, result_ttl=DAY, failure_ttl=30 * DAY),
}


def redis_client() -> redis.Redis:
    app = current_app._get_current_object()
    client = app.extensions.get("redis")
    if client is None:
        client = redis.Redis.from_url(app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=2)
        app.extensions["redis"] = client
    return client


def queue_name(purpose: str) -> str:
    return f"{current_app.config['QUEUE_PREFIX']}-{purpose}"


def rq_job_id(task_id: str) -> str:
    """The RQ job behind a task row, named under the deployment's prefix like its queues."""
    return f"{current_app.config['QUEUE_PREFIX']}-{task_id}"


def get_queue(purpose: str) -> Queue:
    spec = QUEUES[purpose]
    return Queue(queue_name(purpose), connection=redis_client(), default_timeout=spec.timeout)
