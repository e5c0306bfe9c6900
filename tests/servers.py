"""Real services for the job and file tests: moto's S3 server and `flask` commands as subprocesses.

Nothing here waits on a clock for a result: workers run with --burst and return when the queues
are empty; the only wait is for a freshly started server to accept connections.
"""

import io
import os
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REGION = "ap-southeast-1"
DUMMY_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def closed_port() -> int:
    """A loopback port nothing listens on (bound then released)."""
    return free_port()


def _wait_for_port(port: int, process: subprocess.Popen, deadline_seconds: float = 30) -> None:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on port {port}")


@contextmanager
def moto_server():
    """moto's standalone S3 server on a free loopback port; yields its endpoint URL."""
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def new_bucket(endpoint: str) -> str:
    """A fresh bucket (the dummy credentials must be in the environment)."""
    name = f"portal-test-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


def list_keys(endpoint: str, bucket: str) -> list[str]:
    client = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", []))


def app_environment(app) -> dict:
    """The environment that makes `flask --app wsgi` build the same deployment as `app`."""
    cfg = app.config
    env = dict(os.environ)
    env.update(
        DATABASE_URL=cfg["SQLALCHEMY_DATABASE_URI"],
        MIGRATION_DATABASE_URL=cfg["MIGRATION_DATABASE_URL"],
        SECRET_KEY=cfg["SECRET_KEY"],
        REDIS_URL=cfg["REDIS_URL"],
        QUEUE_PREFIX=cfg["QUEUE_PREFIX"],
        STORAGE_URL=cfg["STORAGE_URL"],
        S3_ENDPOINT_URL=cfg["S3_ENDPOINT_URL"] or "",
        S3_REGION=cfg["S3_REGION"],
        JOBS_INLINE="0",
        PORTAL_INSTANCE_DIR=cfg["INSTANCE_DIR"],
        PYTHONPATH=str(ROOT),
    )
    return env


def flask_command(app, *args: str, timeout: int = 180) -> subprocess.CompletedProcess:
    """Run `flask --app wsgi ARGS…` in a child process configured like `app`; fails loudly."""
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=app_environment(app),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    command = " ".join(args)
    assert result.returncode == 0, f"flask {command} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result


def run_worker(app, *purposes: str) -> subprocess.CompletedProcess:
    """A real rq worker process (`flask jobs worker --burst`): returns when the queues are empty."""
    return flask_command(app, "jobs", "worker", "--burst", *purposes)


def run_plain_rq_worker(app, purpose: str) -> subprocess.CompletedProcess:
    """rq's own `rq worker --burst`, started without the Flask CLI (no app context to inherit)."""
    prefix = app.config["QUEUE_PREFIX"]
    result = subprocess.run(
        [str(BIN / "rq"), "worker", "--burst", "--url", app.config["REDIS_URL"],
         "--name", f"{prefix}.plain.{uuid.uuid4().hex[:6]}", f"{prefix}-{purpose}"],
        cwd=ROOT,
        env=app_environment(app),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, f"rq worker exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result


# ---- apps, clients and files for the tests ----

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@contextmanager
def custom_app(database: dict, tmp_path: Path, **extra):
    """An app on the test database with its own settings (queue mode, limits, storage)."""
    from portal.app import create_app
    from portal.extensions import db
    from tests.conftest import app_config

    application = create_app(app_config(database, tmp_path, **extra))
    try:
        yield application
    finally:
        with application.app_context():
            db.engine.dispose()


def client_for(app, user_id: int):
    from tests.conftest import sign_in

    client = app.test_client()
    sign_in(client, app, user_id)
    client.user_id = user_id
    return client


def upload(client, slug: str, data: bytes, name: str = "bien-ban.pdf", **fields):
    return client.post(
        f"/t/{slug}/files",
        data={"file": (io.BytesIO(data), name), **fields},
        content_type="multipart/form-data",
    )
