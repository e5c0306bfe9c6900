"""The storage backends against the real thing: a folder, and moto's S3 server over HTTP (both passes)."""

import os

import pytest

from tests import servers
from workers import storage as files
from workers.storage import LocalStorage, MissingObject, S3Storage, StorageError, make_storage, sha256_of, tenant_key

DATA = "Biên bản bàn giao người chấp hành xong án phạt tù".encode()




@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path):
    if request.param == "local":
        return LocalStorage(str(tmp_path / "files"))
    request.getfixturevalue("aws")
    endpoint = request.getfixturevalue("moto")
    return S3Storage(servers.new_bucket(endpoint), "/deployment/", endpoint, servers.REGION)


def test_put_get_exists_delete(backend):
    key = tenant_key("11914", "attachments", "1-abc")
    assert not backend.exists(key)
    backend.put(key, DATA, sha256_of(DATA))
    assert backend.exists(key)
    assert backend.get(key) == DATA
    backend.put(key, DATA, sha256_of(DATA))  # writing the same key again (a retried job) is fine
    backend.delete(key)
    assert not backend.exists(key)
    backend.delete(key)  # deleting what is gone is not an error: cleanup may run twice


def test_a_missing_key_is_reported_as_missing(backend):
    with pytest.raises(MissingObject):
        backend.get(tenant_key("11914", "quarantine", "nothing-here"))


def test_a_checksum_mismatch_is_refused_and_nothing_is_kept(backend):
    key = tenant_key("11914", "attachments", "2-def")
    with pytest.raises(StorageError, match="checksum"):
        backend.put(key, DATA, sha256_of(DATA + b"!"))
    assert not backend.exists(key)


def test_keys_start_with_the_unit_code():
    assert tenant_key("11914", "attachments", "3-x") == "11914/attachments/3-x"


def test_local_keys_are_files_under_the_root_and_leave_no_partial_files(tmp_path):
    backend = LocalStorage(str(tmp_path / "files"))
    key = tenant_key("11914", "attachments", "4-x")
    backend.put(key, DATA, sha256_of(DATA))
    written = [p.relative_to(tmp_path / "files").as_posix() for p in (tmp_path / "files").rglob("*") if p.is_file()]
    assert written == ["11914/attachments/4-x"]


def test_s3_keys_carry_the_deployment_prefix_and_the_unit_code(moto, aws):
    bucket = servers.new_bucket(moto)
    backend = S3Storage(bucket, "/portal-prod/", moto, servers.REGION)
    backend.put(tenant_key("31000", "attachments", "5-x"), DATA, sha256_of(DATA))
    assert servers.list_keys(moto, bucket) == ["portal-prod/31000/attachments/5-x"]
    backend.check()


@pytest.mark.parametrize(
    "key", ["../outside", "11914/../../outside", "/etc/passwd", "", ".", "11914/attachments/../../../x"]
)
def test_local_storage_refuses_paths_outside_its_root(tmp_path, key):
    backend = LocalStorage(str(tmp_path / "files"))
    for action in (
        lambda: backend.put(key, DATA, sha256_of(DATA)),
        lambda: backend.get(key),
        lambda: backend.exists(key),
        lambda: backend.delete(key),
    ):
        with pytest.raises(StorageError, match="outside"):
            action()
    assert not (tmp_path / "outside").exists()


def test_local_storage_refuses_a_symlink_that_leads_out(tmp_path):
    root = tmp_path / "files"
    (root / "11914").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", root / "11914" / "link")
    with pytest.raises(StorageError, match="outside"):
        LocalStorage(str(root)).put("11914/link/x", DATA, sha256_of(DATA))
    assert not list((tmp_path / "elsewhere").iterdir())


def test_local_storage_that_cannot_write_says_so(tmp_path):
    (tmp_path / "files").write_text("a file where the folder should be")
    backend = LocalStorage(str(tmp_path / "files"))
    with pytest.raises(StorageError):
        backend.put("11914/x", DATA, sha256_of(DATA))


def test_unreachable_s3_raises_storage_errors_not_answers(aws):
    backend = S3Storage("portal-files", "", f"http://127.0.0.1:{servers.closed_port()}", servers.REGION)
    for action in (
        lambda: backend.put("11914/x", DATA, sha256_of(DATA)),
        lambda: backend.get("11914/x"),
        lambda: backend.exists("11914/x"),  # "cannot tell" must not read as "absent"
        backend.check,
    ):
        with pytest.raises(StorageError) as raised:
            action()
        assert not isinstance(raised.value, MissingObject)


def test_storage_url_chooses_the_backend(tmp_path, aws):
    assert isinstance(make_storage(f"file://{tmp_path}"), LocalStorage)
    s3 = make_storage("s3://portal-files/prod", "http://127.0.0.1:9", "ap-southeast-1")
    assert isinstance(s3, S3Storage) and (s3.bucket, s3.prefix) == ("portal-files", "prod")
    with pytest.raises(ValueError, match="scheme"):
        make_storage("ftp://example.org/files")


def test_one_backend_per_app(app):
    with app.app_context():
        assert files.storage() is files.storage()


def test_local_check_reports_an_unusable_root(tmp_path):
    (tmp_path / "not-a-folder").write_text("x")
    with pytest.raises(StorageError):
        LocalStorage(str(tmp_path / "not-a-folder" / "files")).check()
    LocalStorage(str(tmp_path / "files")).check()
