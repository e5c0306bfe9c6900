"""Background jobs: real rq worker processes on Redis (PostgreSQL pass), and the task row's contract.

Tests marked `redis` start `flask --app wsgi jobs worker --burst` as a child process, configured
through its environment exactly like the app under test (same database role, queue prefix and
storage); --burst returns once the queues are empty, so nothing waits on a clock.
"""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask_babel import get_locale
from rq.job import Job, JobStatus
from sqlalchemy import func, select

from portal.accounts import ApiToken, User
from portal.audit import AuditEvent
from portal.extensions import db
from tenants.context import current_tenant_id, use_tenant
from tests import servers
from tests.conftest import tenant
from tests.servers import PDF, client_for, upload
from workers import runner
from workers import storage as files
from workers.attachments import PENDING, STORED, Attachment, store_attachment
from workers.queues import QUEUES, get_queue, redis_client, rq_job_id
from workers.tasks import Task

CAT_HAI, AN_KHANH = "dac_khu_cat_hai", "xa_an_khanh"


# ---- helpers: each reads in its own app context (one held across requests would be shared) ----


def the_task(app, slug: str = CAT_HAI) -> Task:
    with app.app_context(), use_tenant(tenant(slug)):
        (task,) = db.session.scalars(select(Task)).all()
        db.session.expunge_all()
        return task


def the_attachment(app, slug: str = CAT_HAI) -> Attachment:
    with app.app_context(), use_tenant(tenant(slug)):
        (attachment,) = db.session.scalars(select(Attachment)).all()
        db.session.expunge_all()
        return attachment


def rq_job(app, task_id: str) -> Job:
    with app.app_context():
        return Job.fetch(rq_job_id(task_id), connection=redis_client())


def bearer(app, user_id: int) -> dict:
    with app.app_context():
        row, token = ApiToken.issue(db.session.get(User, user_id))
        db.session.add(row)
        db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def store_events(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "attachment.store")
        )


@pytest.fixture(autouse=True)
def _forget_queues(app):
    """rq lists every queue it has seen in one shared set; take this run's out again."""
    yield
    with app.app_context():
        client = redis_client() if app.config["REDIS_URL"] else None
        if client is not None:
            client.srem("rq:queues", *(f"rq:queue:{app.config['QUEUE_PREFIX']}-{p}" for p in QUEUES))




@pytest.fixture
def queued_app(_migrated, tmp_path):
    """The app as deployed: jobs go to Redis under this run's queue prefix, workers run them."""
    with servers.custom_app(_migrated, tmp_path, JOBS_INLINE=False) as application:
        yield application


@pytest.fixture
def police(queued_app, make_user):
    return client_for(queued_app, make_user("commune_police", CAT_HAI, locale="en"))


# ---- real workers ----


@pytest.mark.redis
@pytest.mark.parametrize("backend", ["local", "s3"])
def test_a_worker_process_checks_and_stores_an_upload(_migrated, tmp_path, make_user, aws, backend, request):
    extra = {"JOBS_INLINE": False}
    if backend == "s3":
        endpoint = request.getfixturevalue("moto")
        extra.update(STORAGE_URL=f"s3://{servers.new_bucket(endpoint)}/portal", S3_ENDPOINT_URL=endpoint)
    with servers.custom_app(_migrated, tmp_path, **extra) as app:
        client = client_for(app, make_user("commune_police", CAT_HAI, locale="en"))
        assert upload(client, CAT_HAI, PDF, "Quyết định trả tự do.pdf").status_code == 303
        task = the_task(app)
        assert (task.state, task.progress, task.attempts) == ("queued", 0, 0)
        assert "being checked" in client.get(f"/t/{CAT_HAI}/files").get_data(as_text=True)
        job = rq_job(app, task.id)
        assert job.origin == f"{app.config['QUEUE_PREFIX']}-files"
        assert job.args == (task.id, task.tenant_id)  # ids only, never objects
        assert job.meta == {"tenant_id": task.tenant_id, "actor_id": client.user_id, "kind": "files.store"}

        servers.run_worker(app)

        task, attachment = the_task(app), the_attachment(app)
        digest = hashlib.sha256(PDF).hexdigest()
        assert (task.state, task.progress, task.attempts) == ("finished", 100, 1)
        assert task.result == {"state": STORED, "sha256": digest}
        assert (attachment.state, attachment.sha256, attachment.size) == (STORED, digest, len(PDF))
        assert attachment.quarantine_key is None and attachment.storage_key.startswith("11914/attachments/")
        with app.app_context():
            assert files.storage().exists(attachment.storage_key)
            assert files.sha256_of(files.storage().get(attachment.storage_key)) == digest
        job = rq_job(app, task.id)
        assert job.get_status() == JobStatus.FINISHED and job.meta["progress"] == 80
        assert store_events(app) == 1

        status = client.get(f"/api/v1/jobs/{task.id}", headers=bearer(app, client.user_id)).json
        assert (status["state"], status["progress"], status["tenant"]) == ("finished", 100, CAT_HAI)
        response = client.post(f"/t/{CAT_HAI}/files/{attachment.id}/open")
        assert client.get(response.headers["Location"]).data == PDF


@pytest.mark.redis
def test_a_job_that_cannot_succeed_ends_failed_with_a_message(queued_app, police):
    upload(police, CAT_HAI, PDF)
    attachment = the_attachment(queued_app)
    with queued_app.app_context():
        files.storage().delete(attachment.quarantine_key)  # the blob is gone: no retry can help

    servers.run_worker(queued_app)

    task = the_task(queued_app)
    assert task.state == "failed" and task.progress < 100 and task.attempts == 1
    assert "lost before it could be checked" in task.message
    assert rq_job(queued_app, task.id).get_status() == JobStatus.FAILED  # not scheduled for a retry
    assert the_attachment(queued_app).state == PENDING
    status = police.get(f"/api/v1/jobs/{task.id}", headers=bearer(queued_app, police.user_id)).json
    assert (status["state"], status["message"]) == ("failed", task.message)
    page = police.get(f"/t/{CAT_HAI}/jobs/{task.id}").get_data(as_text=True)
    assert "The job failed" in page and task.message in page


@pytest.mark.redis
def test_a_job_that_fails_for_a_passing_reason_is_retried(_migrated, tmp_path, queued_app, police, aws):
    upload(police, CAT_HAI, PDF)
    down = f"http://127.0.0.1:{servers.closed_port()}"
    with servers.custom_app(_migrated, tmp_path / "down", JOBS_INLINE=False,
                            STORAGE_URL="s3://portal-files/x", S3_ENDPOINT_URL=down) as storage_down:
        servers.run_worker(storage_down)

    task = the_task(queued_app)
    assert task.state == "queued" and task.attempts == 1 and task.progress < 100
    assert "StorageError" in task.message and "tried again" in task.message
    job = rq_job(queued_app, task.id)
    assert job.get_status() == JobStatus.SCHEDULED and job.retries_left == 1
    with queued_app.app_context():
        # Bring the retry forward instead of waiting for it; the worker's scheduler queues it.
        get_queue("files").schedule_job(job, datetime.now(UTC) - timedelta(seconds=1))

    servers.run_worker(queued_app)

    task = the_task(queued_app)
    assert (task.state, task.progress, task.attempts, task.message) == ("finished", 100, 2, None)
    assert the_attachment(queued_app).state == STORED


@pytest.mark.redis
def test_a_job_the_queue_forgot_reads_expired(queued_app, police, make_user):
    upload(police, CAT_HAI, PDF)
    task = the_task(queued_app)
    rq_job(queued_app, task.id).delete()

    status = police.get(f"/api/v1/jobs/{task.id}", headers=bearer(queued_app, police.user_id))
    assert status.status_code == 200 and status.json["state"] == "expired"
    assert the_task(queued_app).state == "expired"
    page = police.get(f"/t/{CAT_HAI}/jobs/{task.id}").get_data(as_text=True)
    assert "expired before it finished" in page


@pytest.mark.redis
def test_a_job_rq_ended_behind_our_back_reads_failed(queued_app, police):
    # What a killed work horse leaves: the row still says started, rq has marked the job failed.
    upload(police, CAT_HAI, PDF)
    task = the_task(queued_app)
    with queued_app.app_context(), use_tenant(tenant(CAT_HAI)):
        db.session.get(Task, task.id).state = "started"
        db.session.commit()
    rq_job(queued_app, task.id).set_status(JobStatus.FAILED)

    status = police.get(f"/api/v1/jobs/{task.id}", headers=bearer(queued_app, police.user_id)).json
    assert status["state"] == "failed" and status["progress"] < 100 and status["message"]


@pytest.mark.redis
def test_with_redis_down_the_job_waits_in_the_database_and_is_queued_later(_migrated, tmp_path, make_user):
    closed = f"redis://127.0.0.1:{servers.closed_port()}/0"
    storage = f"file://{tmp_path / 'files'}"
    with servers.custom_app(_migrated, tmp_path / "a", JOBS_INLINE=False, REDIS_URL=closed,
                            STORAGE_URL=storage) as down:
        client = client_for(down, make_user("commune_police", CAT_HAI, locale="en"))
        response = upload(client, CAT_HAI, PDF)
        assert response.status_code == 303  # the web keeps serving
        page = client.get(f"/t/{CAT_HAI}/files")
        assert page.status_code == 200 and "being checked" in page.get_data(as_text=True)
        task = the_task(down)
        assert task.state == "pending" and task.attempts == 0
        status = client.get(f"/t/{CAT_HAI}/jobs/{task.id}")
        assert status.status_code == 200 and "waiting for the queue" in status.get_data(as_text=True)

    with servers.custom_app(_migrated, tmp_path / "b", JOBS_INLINE=False, STORAGE_URL=storage) as back:
        result = servers.flask_command(back, "jobs", "requeue")
        assert result.stdout.strip() == "1 job(s) queued"
        assert the_task(back).state == "queued"
        assert servers.flask_command(back, "jobs", "requeue").stdout.strip() == "0 job(s) queued"

        servers.run_worker(back)

        task = the_task(back)
        assert (task.state, task.progress) == ("finished", 100)
        assert the_attachment(back).state == STORED


@pytest.mark.redis
def test_the_worker_itself_queues_what_waited(_migrated, tmp_path, queued_app, police):
    with queued_app.app_context(), use_tenant(tenant(CAT_HAI)):
        attachment_id = _pending_attachment(PDF)
        task = Task(kind="files.store", params={"attachment_id": attachment_id}, actor_id=police.user_id)
        db.session.add(task)
        db.session.commit()  # recorded, never queued: as if Redis had been down
    result = servers.run_worker(queued_app)
    assert "queued 1 job(s) recorded while Redis was down" in result.stdout
    assert the_task(queued_app).state == "finished"


@pytest.mark.redis
def test_a_plain_rq_worker_builds_the_app_from_the_environment(queued_app, police):
    upload(police, CAT_HAI, PDF)
    servers.run_plain_rq_worker(queued_app, "files")
    assert (the_task(queued_app).state, the_attachment(queued_app).state) == ("finished", STORED)


@pytest.mark.redis
def test_a_finished_task_is_not_done_again(queued_app, police):
    upload(police, CAT_HAI, PDF)
    servers.run_worker(queued_app)
    task, attachment = the_task(queued_app), the_attachment(queued_app)
    stored_at = _stored_mtime(queued_app, attachment.storage_key)

    with queued_app.app_context():  # the same job delivered twice (a requeue, a duplicate)
        get_queue("files").enqueue_call(
            "workers.runner.execute", args=(task.id, task.tenant_id), job_id=rq_job_id(task.id)
        )
    servers.run_worker(queued_app)
    with queued_app.app_context():
        assert runner.execute(task.id, task.tenant_id) == task.result

    again = the_task(queued_app)
    assert (again.state, again.attempts, again.result) == ("finished", 1, task.result)
    assert store_events(queued_app) == 1
    assert _stored_mtime(queued_app, attachment.storage_key) == stored_at


def _stored_mtime(app, key: str) -> int:
    root = app.config["STORAGE_URL"].removeprefix("file://")
    return (Path(root) / key).stat().st_mtime_ns


def _pending_attachment(data: bytes) -> int:
    """A pending attachment as the web tier leaves it (call inside an app and unit context)."""
    key = files.tenant_key("11914", "quarantine", uuid.uuid4().hex)
    files.storage().put(key, data, files.sha256_of(data))
    attachment = Attachment(target_type="unit", filename="x.pdf", quarantine_key=key)
    db.session.add(attachment)
    db.session.commit()
    return attachment.id


# ---- the job contract without a queue (both passes) ----


def test_a_job_runs_in_its_units_and_requesters_context(app, monkeypatch):
    seen = {}

    def look_around(task, marker: str) -> dict:
        seen.update(marker=marker, tenant=current_tenant_id(), locale=str(get_locale()), task=task.id)
        return {"ok": True}

    monkeypatch.setitem(runner.JOBS, "test.context", runner.JobSpec(func=look_around, queue="files"))
    with app.test_request_context(headers={"Accept-Language": "vi"}), use_tenant(tenant(AN_KHANH)):
        task = runner.request_job("test.context", actor_id=None, locale="en", marker="x")
        assert seen == {"marker": "x", "tenant": tenant(AN_KHANH).id, "locale": "en", "task": task.id}
        assert str(get_locale()) == "vi"  # the request's own locale is back afterwards
        assert (task.state, task.result, task.tenant_id) == ("finished", {"ok": True}, tenant(AN_KHANH).id)


def test_inline_jobs_finish_at_once(app):
    with app.test_request_context(), use_tenant(tenant(CAT_HAI)):
        task = runner.request_job("files.store", attachment_id=_pending_attachment(PDF), actor_id=None)
        assert (task.state, task.progress, task.attempts) == ("finished", 100, 1)


@pytest.mark.parametrize("lose", ["blob", "row"])
def test_inline_job_failures_are_recorded_not_raised(app, lose):
    with app.test_request_context(), use_tenant(tenant(CAT_HAI)):
        attachment_id = _pending_attachment(PDF)
        attachment = db.session.get(Attachment, attachment_id)
        if lose == "blob":
            files.storage().delete(attachment.quarantine_key)
        else:
            db.session.delete(attachment)
            db.session.commit()
        task = runner.request_job("files.store", attachment_id=attachment_id, actor_id=None, locale="en")
        assert task.state == "failed" and task.progress < 100
        assert task.message in {
            "The uploaded file was lost before it could be checked; upload it again.",
            "The file is no longer there.",
        }


def test_rerunning_the_store_job_only_finishes_cleanup(app):
    # A crash after the row was committed but before the quarantined copy was removed.
    with app.test_request_context(), use_tenant(tenant(CAT_HAI)):
        task = runner.request_job("files.store", attachment_id=_pending_attachment(PDF), actor_id=None)
        attachment = db.session.get(Attachment, task.params["attachment_id"])
        stored_key = attachment.storage_key
        leftover = files.tenant_key("11914", "quarantine", "leftover")
        files.storage().put(leftover, PDF, files.sha256_of(PDF))
        attachment.quarantine_key = leftover
        db.session.commit()

        assert store_attachment(task, attachment.id) == {"state": STORED}
        assert attachment.quarantine_key is None and not files.storage().exists(leftover)
        assert attachment.storage_key == stored_key and files.storage().exists(stored_key)


# ---- who may read a job's state ----


def test_job_status_is_found_only_through_the_units_own_task_row(app, login, make_user):
    police = login("commune_police", CAT_HAI, locale="en")
    upload(police, CAT_HAI, PDF)
    task = the_task(app)

    outsider_id = make_user("commune_police", AN_KHANH)
    outsider = client_for(app, outsider_id)
    assert outsider.get(f"/t/{CAT_HAI}/jobs/{task.id}").status_code == 404
    assert outsider.get(f"/t/{AN_KHANH}/jobs/{task.id}").status_code == 404
    response = outsider.get(f"/api/v1/jobs/{task.id}", headers=bearer(app, outsider_id))
    assert response.status_code == 404 and response.json["error"] == "not_found"

    member_id = make_user("mttq_member", CAT_HAI, locale="en")
    member = client_for(app, member_id)
    page = member.get(f"/t/{CAT_HAI}/jobs/{task.id}")
    assert page.status_code == 200 and "finished" in page.get_data(as_text=True)
    status = member.get(f"/api/v1/jobs/{task.id}", headers=bearer(app, member_id))
    assert status.status_code == 200
    assert (status.json["id"], status.json["state"], status.json["tenant"]) == (task.id, "finished", CAT_HAI)

    assert member.get(f"/t/{CAT_HAI}/jobs/{'0' * 32}").status_code == 404
    assert app.test_client().get(f"/api/v1/jobs/{task.id}").status_code == 401


def test_the_worker_command_refuses_to_run_without_a_queue(app, _migrated, tmp_path):
    if not app.config["JOBS_INLINE"]:
        pytest.skip("the session app runs jobs in-process")
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL" in result.output
    with servers.custom_app(_migrated, tmp_path, JOBS_INLINE=False, REDIS_URL="redis://127.0.0.1:1/0") as queued:
        result = queued.test_cli_runner().invoke(args=["jobs", "worker", "--burst", "nonsense"])
        assert result.exit_code != 0 and "unknown queue" in result.output
