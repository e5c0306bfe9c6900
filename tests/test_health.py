"""The probes an orchestrator relies on: /healthz (the process answers) and /readyz (database,
Redis and storage reachable), which must name what is down and answer 503, never 500."""

from contextlib import ExitStack

import pytest

from tests.conftest import BACKEND
from tests.servers import closed_port, custom_app, new_bucket


@pytest.fixture
def make_app(database, tmp_path):
    """make_app(**config) → an app on the test database with some settings changed."""
    with ExitStack() as stack:
        counter = iter(range(100))
        yield lambda **extra: stack.enter_context(custom_app(database, tmp_path / f"app{next(counter)}", **extra))


@pytest.fixture
def s3(aws, moto):
    """(endpoint, bucket) on moto's standalone S3 server, on loopback."""
    return moto, new_bucket(moto)


def readyz(application) -> tuple[int, dict]:
    response = application.test_client().get("/readyz")
    return response.status_code, response.get_json()


def test_healthz(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_readyz_when_everything_is_up(app):
    status, body = readyz(app)
    assert status == 200, body
    # The SQLite pass runs jobs in-process and uses no Redis; the PostgreSQL pass has Redis configured.
    redis_state = "ok" if BACKEND == "postgresql" else "not used"
    assert body["checks"] == {"database": "ok", "redis": redis_state, "storage": "ok"}
    assert body["status"] == "ready"


def test_readyz_names_redis_when_it_is_down(make_app):
    port = closed_port()
    status, body = readyz(make_app(REDIS_URL=f"redis://127.0.0.1:{port}/0", JOBS_INLINE=False))
    assert status == 503
    assert body["checks"] == {"database": "ok", "redis": "unreachable", "storage": "ok"}
    assert body["status"] == "not ready"
    assert str(port) not in str(body)


def test_readyz_names_the_database_when_it_is_down(make_app, tmp_path):
    if BACKEND == "postgresql":
        url = f"postgresql+psycopg://portal@127.0.0.1:{closed_port()}/portal"
    else:
        url = f"sqlite:///{tmp_path / 'no-such-folder' / 'portal.sqlite3'}"
    status, body = readyz(make_app(SQLALCHEMY_DATABASE_URI=url))
    assert status == 503
    assert body["checks"]["database"] == "unreachable"
    assert body["checks"]["storage"] == "ok"


def test_readyz_names_storage_when_the_s3_endpoint_is_down(make_app, aws):
    port = closed_port()
    status, body = readyz(make_app(STORAGE_URL="s3://portal/files", S3_ENDPOINT_URL=f"http://127.0.0.1:{port}"))
    assert status == 503
    assert body["checks"]["storage"] == "unreachable"
    assert body["checks"]["database"] == "ok"
    assert str(port) not in str(body)


def test_readyz_with_s3_storage(make_app, s3):
    endpoint, bucket = s3
    status, body = readyz(make_app(STORAGE_URL=f"s3://{bucket}/files", S3_ENDPOINT_URL=endpoint))
    assert status == 200, body
    assert body["checks"]["storage"] == "ok"


def test_readyz_names_storage_when_the_bucket_does_not_exist(make_app, s3):
    endpoint, _ = s3
    status, body = readyz(make_app(STORAGE_URL="s3://no-such-bucket/files", S3_ENDPOINT_URL=endpoint))
    assert status == 503
    assert body["checks"]["storage"] == "unreachable"


def test_readyz_names_storage_when_the_folder_cannot_be_created(make_app, tmp_path):
    # A file where the storage folder should be: it cannot be created, whoever runs the server.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    status, body = readyz(make_app(STORAGE_URL=f"file://{blocker / 'files'}"))
    assert status == 503
    assert body["checks"]["storage"] == "unreachable"
    assert body["checks"]["database"] == "ok"
