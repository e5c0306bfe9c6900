"""The rq worker that `flask --app wsgi jobs worker` runs.

rq forks a work horse per job. The horse inherits the app context the Flask command pushed, so a
job runs inside the same app as the worker (runner.execute relies on it). What it must not inherit
is a live database connection: two processes on one socket corrupt each other's conversation.
"""

import os
import socket
import uuid

from flask import current_app
from rq import Worker

from portal.extensions import db
from workers.queues import QUEUES, get_queue, redis_client


class AppWorker(Worker):
    def execute_job(self, job, queue):
        # Before the fork: the parent keeps no pooled connection for the horse to share.
        db.session.remove()
        db.engine.dispose()
        return super().execute_job(job, queue)

    def perform_job(self, job, queue, execution):
        try:
            return super().perform_job(job, queue, execution)
        finally:
            # The horse leaves through os._exit: close its connections properly first.
            db.session.remove()
            db.engine.dispose()


def run(purposes: tuple[str, ...] = (), burst: bool = False) -> bool:
    """Work the queues named by purpose (all by default); True if any job ran."""
    db.session.remove()
    db.engine.dispose()
    queues = [get_queue(p) for p in (purposes or QUEUES)]
    # Named after the deployment's prefix, so an operator (and the tests' cleanup) can tell them apart.
    name = f"{current_app.config['QUEUE_PREFIX']}.{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:6]}"
    worker = AppWorker(queues, connection=redis_client(), name=name)
    # The scheduler re-queues jobs whose retry waits for an interval (runner.dispatch uses Retry).
    return worker.work(burst=burst, with_scheduler=True)
