"""The one-host deployment (infra/compose.yaml, the proxy, the image, gunicorn) and the operator
commands every deployment file and docs/OPERATIONS.md name. Kubernetes: test_deployment_k8s.py.

No Docker daemon runs here: the files are parsed and checked for what an operator relies on
(DESIGN.md §10, §16); `docker compose config` runs as an extra where the plugin exists.
"""

import os
import re
import runpy
import shutil
import subprocess
import sys
import tomllib
from urllib.parse import urlsplit

import pytest
from flask import Flask
from gunicorn.config import Config

from portal import security
from portal.config import from_environment
from tests.deployment_files import (
    APP_SERVICES,
    BOTO,
    INFRA,
    K8S,
    OPERATIONS,
    PRODUCTION,
    ROOT,
    SECRET_NAME,
    URL_WITH_PASSWORD,
    compose,
    flask_invocations,
    nginx_directives,
    resolve,
    service,
    shell_variables,
    variables_read,
)
from tests.servers import REGION, closed_port
from workers.queues import QUEUES

TEMPLATE = INFRA / "nginx" / "portal.conf.template"
APP_READS = variables_read(ROOT / "portal" / "config.py")
# What else a container of the app image may be given: gunicorn's and the entry points' settings,
# boto3's credentials, and the password the migrate service hands to `tenants app-role`.
INFRA_READS = (
    variables_read(INFRA / "gunicorn.conf.py") | variables_read(INFRA / "ensure_bucket.py")
    | shell_variables(INFRA / "worker.sh", INFRA / "scheduler.sh") | BOTO | {"APP_DB_PASSWORD"}
)


def env(name: str) -> dict:
    return {key: str(value) for key, value in (service(name).get("environment") or {}).items()}


def user_of(url: str) -> str | None:
    """The user of a database URL whose password compose fills in from .env."""
    return urlsplit(re.sub(r"\$\{[^}]*\}", "password", url)).username


def interpolated_default(value: str) -> str:
    """The value compose uses when .env leaves the variable unset: `${NAME:-default}` → default."""
    match = re.fullmatch(r"\$\{[A-Z_]+:-([^}]*)\}", value)
    return match[1] if match else value


def gunicorn_settings(monkeypatch, **environment) -> dict:
    for name in ("WEB_CONCURRENCY", "GUNICORN_TIMEOUT", "FORWARDED_ALLOW_IPS", "GUNICORN_BIND"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    namespace = runpy.run_path(str(INFRA / "gunicorn.conf.py"))
    return {k: v for k, v in namespace.items() if not k.startswith("_") and not isinstance(v, type(os))}


def test_compose_runs_every_part_of_the_portal():
    services = compose()["services"]
    assert {"postgres", "redis", "storage", "migrate", "web", "worker", "scheduler", "proxy"} <= set(services)
    for name, spec in services.items():
        assert ":" in spec["image"] and not spec["image"].endswith(":latest"), f"{name}: pin the image"
    assert service("web")["command"] == ["gunicorn", "-c", "infra/gunicorn.conf.py", "wsgi:app"]
    assert service("worker")["command"] == ["infra/worker.sh"]
    assert service("scheduler")["command"] == ["infra/scheduler.sh"]


def test_compose_starts_the_app_only_after_its_services_and_the_migrations():
    services = compose()["services"]
    for name, spec in services.items():
        for target, rule in (spec.get("depends_on") or {}).items():
            condition = rule["condition"]
            assert condition in {"service_healthy", "service_completed_successfully"}, (name, target)
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits for {target}, which has no healthcheck"
            else:
                assert services[target]["restart"] == "no", f"{target} runs once"
    for name in ("web", "worker", "scheduler"):
        assert service(name)["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert service(name)["depends_on"]["redis"]["condition"] == "service_healthy"
    assert service("migrate")["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert service("proxy")["depends_on"]["web"]["condition"] == "service_healthy"


def test_migrations_and_the_app_role_run_as_the_owner_the_app_as_a_role_that_owns_nothing():
    steps = [words[:2] for words in flask_invocations(service("migrate")["command"][-1])]
    assert steps == [["db", "upgrade"], ["tenants", "app-role"], ["tenants", "sync"]]
    owner = user_of(env("migrate")["MIGRATION_DATABASE_URL"])
    app_role = user_of(env("web")["DATABASE_URL"])
    assert app_role == "portal_app" != owner
    assert "tenants app-role portal_app" in service("migrate")["command"][-1]
    # Kubernetes migrates the same way (its bucket is provided outside).
    job = (K8S / "migrate" / "job.yaml").read_text()
    assert [words[:3] for words in flask_invocations(job)] == [
        words[:3] for words in flask_invocations(service("migrate")["command"][-1])
    ]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_service_gets_what_production_needs_and_nothing_unknown(name):
    assert PRODUCTION <= APP_READS, "portal/config.py no longer reads one of these: update PRODUCTION"
    given = set(env(name))
    assert given >= PRODUCTION | BOTO
    assert given <= APP_READS | INFRA_READS, f"{name}: a typo, or a variable nothing reads"


def test_secrets_come_from_the_env_file_never_written_in_compose():
    for name in compose()["services"]:
        for key, value in env(name).items():
            if SECRET_NAME.search(key) or URL_WITH_PASSWORD.search(value):
                assert "${" in value, f"{name}.{key} is written in compose.yaml"
    example = dict(
        line.split("=", 1) for line in (INFRA / "env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    used = set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)", (INFRA / "compose.yaml").read_text()))
    assert used <= set(example), "every variable compose.yaml reads is explained in env.example"
    assert all(not value for key, value in example.items() if SECRET_NAME.search(key) and key != "S3_ACCESS_KEY")
    assert {".env", "certs/", "backups/"} <= set((INFRA / ".gitignore").read_text().split())


def test_only_the_proxy_is_reachable_from_outside():
    published = {name for name, spec in compose()["services"].items() if spec.get("ports")}
    assert published == {"proxy"}
    assert sorted(service("proxy")["ports"]) == ["443:443", "80:80"]
    assert service("proxy")["networks"] == ["edge"] and "edge" in service("web")["networks"]
    for name in ("postgres", "redis", "storage", "worker", "scheduler"):
        assert "edge" not in service(name)["networks"], f"{name} is not on the proxy's network"


def test_data_lives_in_named_volumes():
    volumes = set(compose()["volumes"])
    for name, path in (("postgres", "/var/lib/postgresql/data"), ("storage", "/data"), ("redis", "/data")):
        mounts = dict(reversed(mount.split(":")[:2]) for mount in service(name)["volumes"])
        assert mounts.get(path) in volumes, f"{name} keeps {path} in a named volume"


def test_workers_may_finish_the_longest_job_when_stopped():
    longest = max(spec.timeout for spec in QUEUES.values())
    grace = re.fullmatch(r"(\d+)m", service("worker")["stop_grace_period"])
    assert int(grace[1]) * 60 > longest


def test_the_proxy_terminates_tls_and_forwards_what_the_app_trusts(monkeypatch):
    directives = nginx_directives(TEMPLATE.read_text())
    values = {name: [args for d, args in directives if d == name] for name, _ in directives}
    assert "443 ssl default_server" in values["listen"]
    assert values["ssl_certificate"] == ["/etc/nginx/certs/fullchain.pem"]
    assert "./certs:/etc/nginx/certs:ro" in service("proxy")["volumes"]
    # Pages move to HTTPS; an API client on plain HTTP is refused, so its leaked token does not go unnoticed.
    assert values["return"] == ["403", "301 https://${SERVER_NAME}$request_uri"]
    assert values["proxy_pass"] == ["http://web:8000"]
    headers = dict(args.split(None, 1) for args in values["proxy_set_header"])
    assert headers["X-Forwarded-For"] == "$proxy_add_x_forwarded_for"
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["X-Forwarded-Host"] == "$host"
    assert env("web")["TRUSTED_PROXIES"] == "1"
    # The body limit is the app's, from the same variable and default.
    assert values["client_max_body_size"] == ["${MAX_UPLOAD_BYTES}"]
    monkeypatch.delenv("MAX_UPLOAD_BYTES", raising=False)
    app_limit = from_environment()["MAX_CONTENT_LENGTH"]
    assert int(interpolated_default(env("proxy")["MAX_UPLOAD_BYTES"])) == app_limit
    assert int(interpolated_default(env("web")["MAX_UPLOAD_BYTES"])) == app_limit
    read_timeout = int(values["proxy_read_timeout"][0].rstrip("s"))
    assert read_timeout > gunicorn_settings(monkeypatch)["timeout"]


def test_the_proxy_logs_no_query_string_and_no_referrer():
    directives = nginx_directives(TEMPLATE.read_text())
    (log_format,) = [args for name, args in directives if name == "log_format"]
    assert log_format.startswith("portal_private ") and "$uri" in log_format
    for leaky in ("$request ", "$request_uri", "$args", "$query_string", "$http_referer"):
        assert leaky not in log_format + " ", leaky
    assert ("access_log", "/var/log/nginx/access.log portal_private") in directives


def test_hsts_comes_from_the_app_in_production(monkeypatch):
    assert "Strict-Transport-Security" not in TEMPLATE.read_text().replace("# Strict-Transport-Security", "")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://portal_app@db/portal")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    probe = Flask(__name__)
    probe.config.update(SESSION_COOKIE_SECURE=from_environment()["SESSION_COOKIE_SECURE"])
    security.init_app(probe)
    probe.add_url_rule("/", "home", lambda: "ok")
    assert probe.test_client().get("/").headers["Strict-Transport-Security"].startswith("max-age=")


def test_gunicorn_settings_are_known_to_gunicorn_and_come_from_the_environment(monkeypatch):
    settings = gunicorn_settings(monkeypatch, WEB_CONCURRENCY="5", FORWARDED_ALLOW_IPS="10.0.0.0/8")
    config = Config()
    for name, value in settings.items():
        config.set(name, value)  # an unknown name raises: gunicorn itself would silently ignore it
    assert config.workers == 5 and config.forwarded_allow_ips == ["10.0.0.0/8"]
    assert not config.preload_app and config.timeout <= config.graceful_timeout
    assert not re.search(r"%\((r|q|f)\)s", config.access_log_format), "no query string, no referrer"
    default = gunicorn_settings(monkeypatch)
    # Without WEB_CONCURRENCY: two per CPU plus one, at most 8 (≈160 MB each, docs/OPERATIONS.md).
    assert default["workers"] == min(2 * os.cpu_count() + 1, 8)
    assert default["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert default["bind"].endswith(":8000")


def test_the_image_holds_the_entry_points_and_no_secret():
    dockerfile = (INFRA / "Dockerfile").read_text()
    assert not re.search(r"(?m)^COPY infra\s", dockerfile), "infra/ holds .env, certificates and backups"
    copied = re.search(r"(?m)^COPY (infra/\S+ )+infra/$", dockerfile)[0].split()[1:-1]
    for entry in ("infra/gunicorn.conf.py", "infra/worker.sh", "infra/scheduler.sh", "infra/ensure_bucket.py"):
        assert entry in copied
        assert entry.endswith(".py") or os.access(ROOT / entry, os.X_OK)
    assert re.search(r"(?m)^USER \d+$", dockerfile), "numeric, so Kubernetes can check runAsNonRoot"
    assert "infra/.env" in (INFRA / "Dockerfile.dockerignore").read_text().split()
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    for name in APP_SERVICES:
        assert service(name)["image"] == f"haiphong-portal:{version}"
    backup_from = re.search(r"(?m)^FROM postgres:(\d+)", (INFRA / "backup.Dockerfile").read_text())[1]
    assert service("postgres")["image"] == f"postgres:{backup_from}", "pg_dump of the server's major version"


def test_backups_run_as_the_owner_on_request_only():
    backup = service("backup")
    assert backup["profiles"] == ["ops"]
    owner = service("postgres")["environment"]["POSTGRES_USER"]
    assert user_of(env("backup")["BACKUP_DATABASE_URL"]) == owner
    assert env("backup")["STORAGE_URL"] == env("web")["STORAGE_URL"]


def test_every_operator_command_in_the_deployment_files_and_the_guide_exists(app):
    sources = [*INFRA.glob("*.sh"), INFRA / "compose.yaml", *K8S.rglob("*.yaml"), OPERATIONS]
    seen = 0
    for path in sources:
        for words in flask_invocations(path.read_text()):
            command, rest = resolve(app, words)
            assert command.callback is not None, f"{path.name}: no command `flask --app wsgi {' '.join(words)}`"
            known = {opt for param in command.params for opt in param.opts}
            for word in rest:
                if word.startswith("--"):
                    assert word.split("=")[0] in known, f"{path.name}: {' '.join(words)}"
            seen += 1
    assert seen >= 10


def test_every_path_the_guide_names_exists():
    named = set(re.findall(r"\binfra/[\w./-]+\w", OPERATIONS.read_text()))
    ignored = {"infra/.env", "infra/certs", "infra/backups", "infra/acme"}
    missing = {path for path in named - ignored if not (ROOT / path).exists()}
    assert named and not missing


def run_ensure_bucket(monkeypatch, **environment) -> subprocess.CompletedProcess:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return subprocess.run(
        [sys.executable, str(INFRA / "ensure_bucket.py")], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.mark.parametrize("region", ["us-east-1", REGION])
def test_the_bucket_is_created_once(monkeypatch, aws, moto, region):
    bucket = f"portal-ensure-{region}-{os.getpid()}"
    settings = {"STORAGE_URL": f"s3://{bucket}/files", "S3_ENDPOINT_URL": moto, "S3_REGION": region}
    first = run_ensure_bucket(monkeypatch, **settings)
    assert first.returncode == 0 and f"bucket {bucket} created" in first.stdout, first.stderr
    second = run_ensure_bucket(monkeypatch, **settings)
    assert second.returncode == 0 and f"bucket {bucket} exists" in second.stdout, second.stderr


def test_an_unreachable_store_fails_the_migration_step(monkeypatch, aws):
    result = run_ensure_bucket(
        monkeypatch, STORAGE_URL="s3://portal/files", S3_ENDPOINT_URL=f"http://127.0.0.1:{closed_port()}",
        STORAGE_WAIT_SECONDS="0",
    )
    assert result.returncode == 1 and "cannot reach bucket portal" in result.stderr


@pytest.mark.skipif(
    not shutil.which("docker") or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode,
    reason="no `docker compose` here; the checks above stand without it",
)
def test_docker_compose_accepts_the_file(tmp_path):
    example = (INFRA / "env.example").read_text()
    filled = re.sub(r"(?m)^([A-Z_]+)=$", r"\1=x", example)
    (tmp_path / ".env").write_text(filled)
    result = subprocess.run(
        ["docker", "compose", "--env-file", str(tmp_path / ".env"), "-f", str(INFRA / "compose.yaml"), "config", "-q"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
