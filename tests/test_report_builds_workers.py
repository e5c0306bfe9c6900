"""Report builds on real rq workers (PostgreSQL pass): both files land in the S3-compatible server
over HTTP with their checksums, and a worker killed in the middle of a build leaves nothing behind.

The kill is made reliable without any hook in the app: the test holds an ACCESS EXCLUSIVE lock on
`report_files` (as a long migration or a backup might), so the build, once started, waits on its
first look at that table — before it renders or writes anything. The test sees the wait in
`pg_locks`, then SIGKILLs the worker's process group and the work horse's (rq puts each horse in a
group of its own with setpgrp, so killing the worker's group alone would leave the horse running).
"""

import contextlib
import hashlib
import os
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from rq.job import Job, JobStatus
from sqlalchemy import create_engine, select

from blueprints.reports.models import ReportFile
from portal.extensions import db
from tenants.context import use_tenant
from tests import servers
from tests.conftest import tenant
from tests.servers import client_for
from tests.test_report_builds import CAT_HAI, build, file_rows, new_report, people
from workers.queues import QUEUES, get_queue, redis_client, rq_job_id
from workers.runner import refresh_state
from workers.tasks import Task

pytestmark = pytest.mark.redis


def the_task(app) -> Task:
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        (task,) = db.session.scalars(select(Task)).all()
        db.session.expunge_all()
        return task


def s3_object(endpoint: str, bucket: str, key: str) -> tuple[bytes, dict]:
    client = boto3.client("s3", endpoint_url=endpoint, region_name=servers.REGION)
    got = client.get_object(Bucket=bucket, Key=key)
    return got["Body"].read(), got["Metadata"]


@pytest.fixture
def s3_app(_migrated, tmp_path, moto, aws):
    bucket = servers.new_bucket(moto)
    with servers.custom_app(_migrated, tmp_path, JOBS_INLINE=False, STORAGE_URL=f"s3://{bucket}/portal",
                            S3_ENDPOINT_URL=moto) as app:
        app.bucket = bucket
        yield app
        with app.app_context():
            client = redis_client()
            client.srem("rq:queues", *(f"rq:queue:{app.config['QUEUE_PREFIX']}-{p}" for p in QUEUES))


def assert_files_match_storage(app, moto) -> list[ReportFile]:
    rows = file_rows(app)
    assert sorted(r.format for r in rows) == ["pdf", "xlsx"]
    assert servers.list_keys(moto, app.bucket) == sorted(f"portal/{r.storage_key}" for r in rows)
    for row in rows:
        data, metadata = s3_object(moto, app.bucket, f"portal/{row.storage_key}")
        assert hashlib.sha256(data).hexdigest() == row.sha256 == metadata["sha256"] and len(data) == row.size
    return rows


def test_a_worker_builds_both_files_into_s3(s3_app, make_user, moto):
    police = client_for(s3_app, make_user("commune_police", CAT_HAI, locale="vi"))
    people(s3_app, 2)
    report_id = new_report(s3_app)
    assert build(police, report_id).status_code == 303
    assert the_task(s3_app).state == "queued" and file_rows(s3_app) == []

    servers.run_worker(s3_app, "reports")

    task = the_task(s3_app)
    rows = assert_files_match_storage(s3_app, moto)
    assert (task.state, task.progress, task.attempts) == ("finished", 100, 1)
    assert task.result == {"files": [r.id for r in rows]}
    assert all(r.storage_key.startswith(f"11914/reports/{report_id}/") for r in rows)


def _wait_for(condition, what: str, process: subprocess.Popen, seconds: float = 90) -> None:
    """Wait for a state the worker reaches on its own; fail with the worker's output if it dies."""
    deadline = time.monotonic() + seconds
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"worker exited ({process.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"worker never reached: {what}")
        time.sleep(0.2)


def _kill_all(worker: subprocess.Popen, children: list[int]) -> None:
    """SIGKILL the worker's process group and each child's group, and wait until all are dead."""
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(os.getpgid(pid), signal.SIGKILL)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    _wait_for_death(children)


def _wait_for_death(pids: list[int], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not all(_gone(pid) for pid in pids):
        if time.monotonic() > deadline:
            raise AssertionError(f"work horse {pids} survived SIGKILL")
        time.sleep(0.1)


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (Linux /proc: field 4 of /proc/<n>/stat is the parent)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie runs nothing
    except OSError:
        return True


def test_a_killed_build_leaves_nothing_and_a_fresh_worker_builds_it(s3_app, make_user, moto, _migrated, tmp_path):
    police = client_for(s3_app, make_user("commune_police", CAT_HAI, locale="vi"))
    people(s3_app, 2)
    report_id = new_report(s3_app)
    owner = create_engine(_migrated["owner"])
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 (closed below, after the kill)
    worker = None
    try:
        with owner.connect() as locker:
            held = locker.begin()
            locker.exec_driver_sql("LOCK TABLE report_files IN ACCESS EXCLUSIVE MODE")
            assert build(police, report_id).status_code == 303
            worker = subprocess.Popen(
                [str(servers.BIN / "flask"), "--app", "wsgi", "jobs", "worker", "reports"],
                cwd=servers.ROOT, env=servers.app_environment(s3_app), stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the kill reaches the work horse too
            )

            def waiting_on_the_lock() -> bool:
                return locker.exec_driver_sql(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'report_files'::regclass"
                ).scalar() > 0

            _wait_for(waiting_on_the_lock, "the build waiting on report_files", worker)
            assert the_task(s3_app).state == "started"
            # The worker's children: the work horse (a group of its own) and rq's scheduler.
            started = _children(worker.pid)
            assert started
            _kill_all(worker, started)
            held.rollback()  # the horse's blocked query may now run; no client is left to commit anything
    finally:
        if worker is not None and worker.poll() is None:  # a failed assertion above: leave no process
            _kill_all(worker, _children(worker.pid))
        log.close()
        owner.dispose()

    # Nothing half-done: no object under the prefix, no file row; the task still reads started.
    assert servers.list_keys(moto, s3_app.bucket) == []
    assert file_rows(s3_app) == []
    task = the_task(s3_app)
    assert (task.state, task.attempts) == ("started", 1)

    with s3_app.app_context():
        queue = get_queue("reports")
        # rq declares a job abandoned when its worker's heartbeat lapses (timeout + a minute here);
        # run that check as if the time had passed instead of waiting for it.
        queue.started_job_registry.cleanup(timestamp=time.time() + QUEUES["reports"].timeout + 3600)
        job = Job.fetch(rq_job_id(task.id), connection=redis_client())
        assert job.get_status() == JobStatus.SCHEDULED and job.retries_left == 1  # retried, not lost
        with use_tenant(tenant(CAT_HAI)):
            row = refresh_state(db.session.get(Task, task.id))
            assert row.state == "started" and row.state != "finished"  # open: rq will run it again
        # Bring the retry forward; the dead worker's scheduler lock would lapse on its own.
        queue.schedule_job(job, datetime.now(UTC) - timedelta(seconds=1))
        redis_client().delete(f"rq:scheduler-lock:{queue.name}")

    servers.run_worker(s3_app, "reports")

    task = the_task(s3_app)
    assert (task.state, task.progress, task.attempts) == ("finished", 100, 2)
    rows = assert_files_match_storage(s3_app, moto)
    assert task.result == {"files": [r.id for r in rows]}


def test_a_build_asked_while_redis_is_down_is_kept_and_built_once_when_it_is_back(_migrated, tmp_path, make_user,
                                                                                moto, aws):
    bucket = servers.new_bucket(moto)
    storage = {"STORAGE_URL": f"s3://{bucket}/portal", "S3_ENDPOINT_URL": moto}
    closed = f"redis://127.0.0.1:{servers.closed_port()}/0"
    with servers.custom_app(_migrated, tmp_path / "down", JOBS_INLINE=False, REDIS_URL=closed, **storage) as down:
        police = client_for(down, make_user("commune_police", CAT_HAI, locale="vi"))
        people(down, 2)
        report_id = new_report(down)
        assert build(police, report_id).status_code == 303  # the page answers
        assert police.get(f"/t/{CAT_HAI}/reports/{report_id}").status_code == 200
        assert the_task(down).state == "pending" and file_rows(down) == []

    with servers.custom_app(_migrated, tmp_path / "back", JOBS_INLINE=False, **storage) as back:
        back.bucket = bucket
        assert servers.flask_command(back, "jobs", "requeue").stdout.strip() == "1 job(s) queued"
        servers.run_worker(back, "reports")
        servers.run_worker(back, "reports")  # a second worker run finds nothing left to do
        task = the_task(back)
        assert (task.state, task.attempts) == ("finished", 1)
        assert_files_match_storage(back, moto)  # one file per format, nothing else in the bucket
