"""Backups (DESIGN.md §13): infra/backup.sh and infra/restore.sh, performed for real.

A portal gets a database of its own on the test server, owned by a schema owner that is not a
superuser, with the app connecting as a role that owns nothing. It is given units, accounts and a
stored file in each of two units, all through the operator commands and the web app. It is backed
up; the database and the storage folder are destroyed; the backup is restored into a new database
and folder by the procedure of README.md's "Backups" section; and the restored portal is used as
the app uses it. A damaged backup is refused before anything is written, two backups never mix,
and s3:// storage goes through `aws s3 sync` both ways (against moto).
"""

import hashlib
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from portal.extensions import db
from tenants.context import use_tenant
from tenants.models import TenantOwned
from tests.conftest import tenant
from tests.servers import PDF, custom_app, list_keys, new_bucket, upload
from workers.attachments import STORED, Attachment
from workers.storage import make_storage, sha256_of, tenant_key

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).parent / "flask")
BACKUP_SH, RESTORE_SH = str(ROOT / "infra" / "backup.sh"), str(ROOT / "infra" / "restore.sh")
ADMIN_URL = make_url(os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
# Settings of the surrounding shell that must not leak into a command under test.
FOREIGN = (
    "DATABASE_URL", "MIGRATION_DATABASE_URL", "BACKUP_DATABASE_URL", "RESTORE_DATABASE_URL", "REDIS_URL",
    "JOBS_INLINE", "STORAGE_URL", "S3_ENDPOINT_URL", "QUEUE_PREFIX", "SECRET_KEY", "PORTAL_INSTANCE_DIR",
)
CAT_HAI, AN_KHANH = "dac_khu_cat_hai", "xa_an_khanh"
# Two units' users, each uploading one file: (username, unit, file name, content).
PEOPLE = {
    "backup.cathai": (CAT_HAI, "Biên bản bàn giao – Cát Hải.pdf", PDF + b"% cat hai\n"),
    "backup.ankhanh": (AN_KHANH, "Biên bản – An Khánh.pdf", PDF + b"% an khanh\n"),
}


class Cluster:
    """The test server as an operator sees it: databases of this run, the owner and the app role."""

    def __init__(self):
        suffix = f"{os.getpid()}_{secrets.token_hex(3)}"
        self.suffix = suffix
        self.owner, self.owner_password = f"portal_bk_owner_{suffix}", secrets.token_hex(12)
        self.app_role, self.app_password = f"portal_bk_app_{suffix}", secrets.token_hex(12)
        self.secret_key = "backup-test-" + secrets.token_hex(24)
        self.databases: list[str] = []
        self.admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")

    def sql(self, statement: str) -> None:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(statement)

    def create_owner(self) -> None:
        # Not a superuser: it may create the app role (as README.md asks of the owner) and nothing more.
        self.sql(f"CREATE ROLE \"{self.owner}\" LOGIN CREATEROLE PASSWORD '{self.owner_password}'")

    def create_database(self, label: str) -> str:
        """An empty database owned by the schema owner: step 2 of the restore, and a first install."""
        name = f"portal_bk_{label}_{self.suffix}"
        self.databases.append(name)
        self.sql(f'CREATE DATABASE "{name}" OWNER "{self.owner}"')
        return name

    def drop_database(self, name: str) -> None:
        self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def url(self, database: str, who: str = "superuser") -> str:
        url = ADMIN_URL.set(database=database)
        if who == "owner":
            url = url.set(username=self.owner, password=self.owner_password)
        elif who == "app":
            url = url.set(username=self.app_role, password=self.app_password)
        return url.render_as_string(hide_password=False)

    def app_database(self, database: str) -> dict:
        """The `database` settings of tests.conftest.app_config for a portal on `database`."""
        return {"app": self.url(database, "app"), "owner": self.url(database, "owner")}

    def close(self) -> None:
        errors = []
        for statement in (
            *(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in self.databases),
            f'DROP ROLE IF EXISTS "{self.app_role}"',
            f'DROP ROLE IF EXISTS "{self.owner}"',
        ):
            try:
                self.sql(statement)
            except Exception as exc:  # keep going: every later statement still cleans something up
                errors.append(f"{statement}: {exc}")
        self.admin.dispose()
        assert not errors, errors


def clean_env(**settings: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in FOREIGN and not k.startswith("FLASK_")}
    env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(ROOT))
    env.update(settings)
    return env


def portal_env(cluster: Cluster, database: str, storage: Path, instance: Path) -> dict:
    """The deployment's environment, secrets included, as the operator's shell has it."""
    return clean_env(
        DATABASE_URL=cluster.url(database, "app"),
        MIGRATION_DATABASE_URL=cluster.url(database, "owner"),
        SECRET_KEY=cluster.secret_key,
        STORAGE_URL=f"file://{storage}",
        PORTAL_INSTANCE_DIR=str(instance),
    )


def run(command: list[str], env: dict, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=300,
                          check=False)


def ok(command: list[str], env: dict, stdin: str | None = None) -> str:
    result = run(command, env, stdin)
    assert result.returncode == 0, f"{command} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def flask(env: dict, *args: str, stdin: str | None = None) -> str:
    return ok([FLASK, "--app", "wsgi", *args], env, stdin)


def tenant_owned_tables() -> set[str]:
    return {m.local_table.name for m in db.Model.registry.mappers if issubclass(m.class_, TenantOwned)}


def snapshot(url: str) -> dict:
    """Every table's row count and content digest, the sequences, and the row-level security setup,
    read as a superuser (which row-level security does not apply to)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )).scalars().all()
            rows = {
                table: tuple(conn.execute(text(
                    f'SELECT count(*), md5(coalesce(string_agg(t::text, chr(10) ORDER BY t::text), \'\')) '
                    f'FROM "{table}" t'
                )).one())
                for table in tables
            }
            sequences = dict(conn.execute(text(
                "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
            )).all())
            security = {
                name: (enabled, forced, owner)
                for name, enabled, forced, owner in conn.execute(text(
                    "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner) "
                    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relkind = 'r'"
                ))
            }
            policies = sorted(tuple(row) for row in conn.execute(text(
                "SELECT tablename, policyname, permissive, roles::text, cmd, qual, with_check "
                "FROM pg_policies WHERE schemaname = 'public'"
            )))
    finally:
        engine.dispose()
    return {"rows": rows, "sequences": sequences, "security": security, "policies": policies}


def files_of(folder: Path) -> dict[str, str]:
    """relative path → SHA-256 of every file under `folder`."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*")) if path.is_file()
    }


def sign_in(client, username: str, password: str):
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def download(client, slug: str, attachment_id: int):
    """The files page's download button: POST …/open, then follow the signed link."""
    response = client.post(f"/t/{slug}/files/{attachment_id}/open")
    assert response.status_code == 303, response.status_code
    return client.get(response.headers["Location"])


def attachments_of(app, slug: str) -> list[tuple[int, int, str, str, str]]:
    with app.app_context(), use_tenant(tenant(slug)):
        rows = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
        found = [(a.id, a.tenant_id, a.filename, a.state, a.sha256) for a in rows]
        db.session.remove()
        return found


@pytest.fixture(scope="module")
def cluster():
    cluster = Cluster()
    try:
        cluster.create_owner()
        yield cluster
    finally:
        cluster.close()


@pytest.fixture(scope="module")
def original(cluster, tmp_path_factory):
    """A portal in use: migrated, its units loaded, two accounts, each with a file stored through the web."""
    tmp = tmp_path_factory.mktemp("original")
    name = cluster.create_database("original")
    storage = tmp / "files"
    env = portal_env(cluster, name, storage, tmp / "instance")
    # A first deployment, as README.md has it: db upgrade, tenants app-role, tenants sync, users create.
    flask(env, "db", "upgrade")
    flask(env, "tenants", "app-role", cluster.app_role, "--password-stdin", stdin=cluster.app_password + "\n")
    flask(env, "tenants", "sync")
    passwords = {}
    for username, (unit, _, _) in PEOPLE.items():
        passwords[username] = "pw-" + secrets.token_hex(10)
        flask(env, "users", "create", username, "--role", "commune_police", "--tenant", unit, "--password-stdin",
              stdin=passwords[username] + "\n")

    with custom_app(cluster.app_database(name), tmp, SECRET_KEY=cluster.secret_key,
                    STORAGE_URL=f"file://{storage}") as app:
        for username, (unit, filename, data) in PEOPLE.items():
            client = app.test_client()
            sign_in(client, username, passwords[username])
            assert upload(client, unit, data, filename).status_code == 303
            ((_, _, stored_name, state, sha256),) = attachments_of(app, unit)
            assert (stored_name, state, sha256) == (filename, STORED, hashlib.sha256(data).hexdigest())
    return {"database": name, "storage": storage, "env": env, "passwords": passwords}


@pytest.fixture(scope="module")
def backup(cluster, original, tmp_path_factory):
    """infra/backup.sh run as README.md says, from the deployment's environment (secrets and all)."""
    before = snapshot(cluster.url(original["database"]))
    stored = files_of(original["storage"])
    dest = tmp_path_factory.mktemp("backups")
    env = dict(original["env"], BACKUP_DATABASE_URL=cluster.url(original["database"]))
    printed = ok(["sh", BACKUP_SH, str(dest)], env).strip().splitlines()[-1]
    folder = Path(printed)
    assert folder.parent == dest and folder.name.startswith("portal-"), printed
    assert [p.name for p in dest.iterdir()] == [folder.name], "a partial folder was left behind"
    return {"folder": folder, "before": before, "stored": stored}


@pytest.mark.postgres
def test_a_backup_restores_into_a_portal_that_works(cluster, original, backup, tmp_path):
    before, folder = backup["before"], backup["folder"]
    # What was backed up is the real thing: units, accounts, two units' files, their jobs, the audit trail.
    counts = {table: count for table, (count, _) in before["rows"].items()}
    assert counts["tenants"] == 114
    assert (counts["users"], counts["memberships"], counts["attachments"], counts["tasks"]) == (2, 2, 2, 2)
    assert counts["audit_events"] > 0
    owned = tenant_owned_tables()
    assert {"attachments", "tasks"} <= owned
    assert set(files_of(folder / "storage")) == set(backup["stored"]) and len(backup["stored"]) == 2
    assert files_of(folder / "storage") == backup["stored"]

    # The schema owner cannot make the dump: row-level security is forced on it too. The failure
    # is loud and leaves no folder behind.
    refused_dest = tmp_path / "refused"
    env = dict(original["env"], BACKUP_DATABASE_URL=cluster.url(original["database"], "owner"))
    refused = run(["sh", BACKUP_SH, str(refused_dest)], env)
    assert refused.returncode != 0
    assert "row-level security" in refused.stderr, refused.stderr
    assert list(refused_dest.iterdir()) == []

    # Disaster: the database and the files are gone.
    cluster.drop_database(original["database"])
    shutil.rmtree(original["storage"])

    # Restore, step by step as in README.md: an empty database owned by the owner, then restore.sh.
    name = cluster.create_database("restored")
    storage = tmp_path / "restored-files"
    restore_env = clean_env(RESTORE_DATABASE_URL=cluster.url(name), STORAGE_URL=f"file://{storage}")
    ok(["sh", RESTORE_SH, str(folder)], restore_env)

    # Every row, sequence, owner and policy is back; tenant-owned tables still FORCE row-level security.
    after = snapshot(cluster.url(name))
    assert after["rows"] == before["rows"]
    assert after["sequences"] == before["sequences"]
    assert after["policies"] == before["policies"]
    assert after["security"] == before["security"]
    for table in owned:
        assert after["security"][table] == (True, True, cluster.owner), table
    assert {owner for _, _, owner in after["security"].values()} == {cluster.owner}
    assert files_of(storage) == backup["stored"]

    # Grants are not in the backup: until `tenants app-role` runs, the app role can read nothing.
    app_engine = create_engine(cluster.url(name, "app"))
    with app_engine.connect() as conn, pytest.raises(ProgrammingError, match="permission denied"):
        conn.execute(text("SELECT count(*) FROM tenants"))
    app_engine.dispose()

    # Step 4: the secrets back in the environment; as the owner, db upgrade and tenants app-role.
    env = portal_env(cluster, name, storage, tmp_path / "instance")
    flask(env, "db", "upgrade")
    flask(env, "tenants", "app-role", cluster.app_role, "--password-stdin", stdin=cluster.app_password + "\n")

    # The app role, in plain SQL, sees a unit's rows only when that unit is set, and only that unit's.
    ids = {}
    app_engine = create_engine(cluster.url(name, "app"))
    try:
        with app_engine.connect() as conn:
            ids = dict(conn.execute(text("SELECT slug, id FROM tenants WHERE slug IN (:a, :b)"),
                                    {"a": CAT_HAI, "b": AN_KHANH}).all())
            for table in owned:
                assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0, table
            for slug, tenant_id in ids.items():
                conn.execute(text("SELECT set_config('app.tenant_id', :t, false)"), {"t": str(tenant_id)})
                for table in ("attachments", "tasks"):
                    seen = conn.execute(text(f"SELECT tenant_id FROM {table}")).scalars().all()
                    assert seen == [tenant_id], (slug, table, seen)
            conn.rollback()
    finally:
        app_engine.dispose()

    # Step 5: the services start on the restored database and folder, as the app role, and work.
    with custom_app(cluster.app_database(name), tmp_path, SECRET_KEY=cluster.secret_key,
                    STORAGE_URL=f"file://{storage}") as app:
        ready = app.test_client().get("/readyz")
        assert ready.status_code == 200, ready.get_json()
        for username, (unit, filename, data) in PEOPLE.items():
            # Through the ORM too, each unit sees its own file only.
            ((attachment_id, tenant_id, stored_name, state, sha256),) = attachments_of(app, unit)
            assert (tenant_id, stored_name, state) == (ids[unit], filename, STORED)

            client = app.test_client()
            landing = sign_in(client, username, original["passwords"][username])
            assert landing.headers["Location"].endswith(f"/t/{unit}/")
            response = download(client, unit, attachment_id)
            assert response.status_code == 200
            assert hashlib.sha256(response.data).hexdigest() == hashlib.sha256(data).hexdigest() == sha256
            assert response.headers["X-Content-SHA256"] == sha256
            # The other unit's file stays out of reach for this user.
            other = next(u for u, _, _ in PEOPLE.values() if u != unit)
            assert client.post(f"/t/{other}/files/{attachments_of(app, other)[0][0]}/open").status_code in (403, 404)
    # The sign-ins above were audited in new rows: ids went on from the restored sequences.
    assert snapshot(cluster.url(name))["rows"]["audit_events"][0] > before["rows"]["audit_events"][0]


@pytest.mark.postgres
def test_the_backup_holds_no_secrets(cluster, backup):
    folder = backup["folder"]
    names = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert "database.dump" in names and "SHA256SUMS" in names
    assert all(n in ("database.dump", "SHA256SUMS") or n.startswith("storage/") for n in names), names
    # The dump is compressed: look in the SQL it restores too.
    sql = subprocess.run(["pg_restore", "--file=-", str(folder / "database.dump")], capture_output=True,
                         check=True).stdout
    assert b"CREATE POLICY tenant_isolation" in sql  # what is searched is the real content
    contents = [(n, (folder / n).read_bytes()) for n in names] + [("database.dump as SQL", sql)]
    for secret in (cluster.secret_key, cluster.app_password, cluster.owner_password):
        for name, content in contents:
            assert secret.encode() not in content, f"a secret is in {name}"
    # Only the owner of the backup may read it.
    assert folder.stat().st_mode & 0o077 == 0
    assert (folder / "database.dump").stat().st_mode & 0o077 == 0


DAMAGE = {
    "a byte of the dump flipped": lambda copy: flip_a_byte(copy / "database.dump"),
    "a stored file cut short": lambda copy: truncate(first_stored_file(copy), 1),
    "a stored file lost": lambda copy: first_stored_file(copy).unlink(),
    # `sha256sum --check` on its own only warns about a broken line, and checks nothing more.
    "SHA256SUMS cut short": lambda copy: truncate(copy / "SHA256SUMS", 40),
    "a file SHA256SUMS does not list": lambda copy: (copy / "storage" / "extra.pdf").write_bytes(PDF),
}


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def truncate(path: Path, cut: int) -> None:
    path.write_bytes(path.read_bytes()[:-cut])


def first_stored_file(copy: Path) -> Path:
    return next(p for p in sorted((copy / "storage").rglob("*")) if p.is_file())


@pytest.mark.postgres
@pytest.mark.parametrize("damage", DAMAGE)
def test_restore_refuses_a_damaged_backup_and_changes_nothing(cluster, backup, tmp_path, damage):
    copy = tmp_path / backup["folder"].name
    shutil.copytree(backup["folder"], copy)
    DAMAGE[damage](copy)

    name = cluster.create_database(f"damaged_{secrets.token_hex(2)}")
    storage = tmp_path / "target-files"
    result = run(["sh", RESTORE_SH, str(copy)], clean_env(RESTORE_DATABASE_URL=cluster.url(name),
                                                          STORAGE_URL=f"file://{storage}"))
    assert result.returncode != 0, result.stdout
    assert "SHA256SUMS" in result.stderr, result.stderr  # the refusal says why
    engine = create_engine(cluster.url(name))
    with engine.connect() as conn:
        relations = conn.execute(text(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public'"
        )).scalar()
    engine.dispose()
    assert relations == 0
    assert not storage.exists()
    cluster.drop_database(name)


def stopped_clock(folder: Path, stamp: str) -> str:
    """A PATH whose `date` always prints `stamp`: two runs "in the same second", without waiting."""
    folder.mkdir(exist_ok=True)
    clock = folder / "date"
    clock.write_text(f"#!/bin/sh\necho {stamp}\n")
    clock.chmod(0o755)
    return f"{folder}:{os.environ['PATH']}"


@pytest.mark.postgres
def test_a_backup_never_mixes_with_another_of_the_same_name(cluster, tmp_path):
    name = cluster.create_database("twice")
    files = tmp_path / "files"
    (files / "11914").mkdir(parents=True)
    (files / "11914" / "a.pdf").write_bytes(PDF)
    dest = tmp_path / "backups"
    env = clean_env(BACKUP_DATABASE_URL=cluster.url(name), STORAGE_URL=f"file://{files}",
                    PATH=stopped_clock(tmp_path / "bin", "20260101T000000Z"))

    first = Path(ok(["sh", BACKUP_SH, str(dest)], env).strip())
    content = files_of(first)
    assert set(content) == {"database.dump", "SHA256SUMS", "storage/11914/a.pdf"}
    again = run(["sh", BACKUP_SH, str(dest)], env)
    assert again.returncode != 0
    assert "already exists" in again.stderr, again.stderr
    assert files_of(first) == content
    assert sorted(p.name for p in dest.iterdir()) == [first.name]

    # Another run still writing under the same name: its work folder is left alone.
    env["PATH"] = stopped_clock(tmp_path / "bin", "20260101T000001Z")
    busy = dest / "portal-20260101T000001Z.partial"
    busy.mkdir()
    (busy / "database.dump").write_bytes(b"being written")
    beside = run(["sh", BACKUP_SH, str(dest)], env)
    assert beside.returncode != 0
    assert "being written" in beside.stderr, beside.stderr
    assert files_of(busy) == {"database.dump": hashlib.sha256(b"being written").hexdigest()}
    assert sorted(p.name for p in dest.iterdir()) == sorted([first.name, busy.name])
    cluster.drop_database(name)


@pytest.mark.postgres
def test_s3_storage_is_backed_up_and_restored_into_another_bucket(cluster, tmp_path, moto, aws):
    if shutil.which("aws") is None:
        pytest.skip("the AWS CLI (`aws s3 sync`), which infra/backup.sh needs for s3:// storage, is not installed")
    name = cluster.create_database("s3")
    source = f"s3://{new_bucket(moto)}/portal"
    objects = {
        tenant_key("11914", "attachments", "1-bien-ban.pdf"): PDF + b"% 1\n",
        tenant_key("11668", "attachments", "2-anh.pdf"): PDF + b"% 2\n",
    }
    backend = make_storage(source, moto)
    for key, data in objects.items():
        backend.put(key, data, sha256_of(data))

    env = clean_env(BACKUP_DATABASE_URL=cluster.url(name), STORAGE_URL=source, S3_ENDPOINT_URL=moto)
    folder = Path(ok(["sh", BACKUP_SH, str(tmp_path / "backups")], env).strip())
    assert set(files_of(folder / "storage")) == set(objects)
    for key in objects:
        backend.delete(key)

    cluster.drop_database(name)
    name = cluster.create_database("s3_restored")
    target_bucket = new_bucket(moto)
    target = f"s3://{target_bucket}/restored"
    ok(["sh", RESTORE_SH, str(folder)],
       clean_env(RESTORE_DATABASE_URL=cluster.url(name), STORAGE_URL=target, S3_ENDPOINT_URL=moto))
    # The app finds every file under its own key, byte for byte.
    assert list_keys(moto, target_bucket) == sorted(f"restored/{key}" for key in objects)
    restored = make_storage(target, moto)
    for key, data in objects.items():
        assert sha256_of(restored.get(key)) == sha256_of(data)
    cluster.drop_database(name)
