"""Readers of the deployment files (infra/, docs/OPERATIONS.md) for the tests that check them.

No cluster and no Docker daemon run here, so the tests read the files the way the tools would:
YAML documents, the nginx template's directives, the `flask --app wsgi …` lines, and the
environment variables the app reads (from portal/config.py itself, so the list cannot go stale).
"""

import ast
import re
from functools import cache
from pathlib import Path

import click
import yaml
from flask.cli import FlaskGroup, ScriptInfo

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "infra"
K8S = INFRA / "k8s"
OPERATIONS = ROOT / "docs" / "OPERATIONS.md"
# The services of compose.yaml that run the app image with the app's environment.
APP_SERVICES = ("migrate", "web", "worker", "scheduler")
# The app falls back to the demo's embedded default for each of these; a production deployment
# (PostgreSQL, Redis, S3, read-only root filesystem) must set them all.
PRODUCTION = {
    "SECRET_KEY", "DATA_ENCRYPTION_KEYS", "DATABASE_URL", "REDIS_URL",
    "STORAGE_URL", "S3_ENDPOINT_URL", "PORTAL_INSTANCE_DIR",
}
# boto3 reads the S3 credentials itself.
BOTO = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
SECRET_NAME = re.compile(r"KEY|PASSWORD|SECRET|TOKEN")
URL_WITH_PASSWORD = re.compile(r"://[^/@\s]*:[^/@\s]+@")


@cache
def compose() -> dict:
    return yaml.safe_load((INFRA / "compose.yaml").read_text())


def service(name: str) -> dict:
    return compose()["services"][name]


@cache
def manifests() -> dict[str, list[dict]]:
    """Every YAML file under infra/k8s, by path relative to it, as its list of documents."""
    return {
        str(path.relative_to(K8S)): [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
        for path in sorted(K8S.rglob("*.yaml"))
    }


def objects(kind: str) -> dict[str, dict]:
    """The Kubernetes objects of one kind, by name."""
    return {
        doc["metadata"]["name"]: doc
        for docs in manifests().values()
        for doc in docs
        if doc.get("kind") == kind
    }


def pod_templates() -> dict[str, dict]:
    """The pod spec of every Deployment and Job, by the owner's name."""
    owners = {**objects("Deployment"), **objects("Job")}
    return {name: owner["spec"]["template"]["spec"] for name, owner in owners.items()}


def variables_read(path: Path) -> set[str]:
    """Names passed as the first argument to os.environ.get / os.getenv / the config helpers."""
    readers = {"get", "getenv", "_bool", "_int", "_list"}
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in readers and isinstance(node.args[0].value, str) and node.args[0].value.isupper():
                found.add(node.args[0].value)
    return found


def shell_variables(*paths: Path) -> set[str]:
    return {name for path in paths for name in re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", path.read_text())}


def nginx_directives(text: str) -> list[tuple[str, str]]:
    """(directive, arguments) of every simple directive, in order; comments dropped."""
    text = re.sub(r"#[^\n]*", "", text)
    return [(m[1], m[2].strip()) for m in re.finditer(r"(?m)^\s*([a-z_0-9]+)\s+([^;\n]*);", text)]


def flask_invocations(text: str) -> list[list[str]]:
    """The words after `flask --app wsgi` on each line that runs it (to a pipe, quote, backtick or backslash)."""
    found = re.findall(r"flask --app wsgi ([^\n|;&<>)`\\\"']*)", text)
    return [[word.strip("[]") for word in line.split()] for line in found]


def resolve(app, words: list[str]) -> tuple[click.Command, list[str]]:
    """The click command that `flask --app wsgi WORDS` runs, and the words after its name."""
    group = FlaskGroup(create_app=lambda: app)
    command: click.Command = group
    rest = list(words)
    # FlaskGroup pushes an app context as a resource of the click context: closing it (the `with`)
    # pops it again, or every later request of this app would share its `g` and session.
    with click.Context(group, obj=ScriptInfo(create_app=lambda: app)) as ctx:
        while isinstance(command, click.Group) and rest:
            sub = command.get_command(ctx, rest[0])
            if sub is None:
                break
            command, rest = sub, rest[1:]
    return command, rest
