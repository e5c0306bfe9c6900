"""File storage backends: a local folder (embedded default) and S3 (boto3, endpoint configurable).

Keys are prefixed by the unit's code. Every write is verified: the bytes written must have the
size and SHA-256 the caller expects, or nothing is kept.
"""

import base64
import hashlib
import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from flask import current_app


class StorageError(RuntimeError):
    """Storage unreachable or a write that did not verify."""


class MissingObject(StorageError):
    """The key holds nothing: retrying will not help."""


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tenant_key(tenant_code: str, *parts: str) -> str:
    return "/".join((tenant_code, *parts))


class LocalStorage:
    def __init__(self, root: str):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise StorageError(f"key outside the storage root: {key}")
        return path

    def put(self, key: str, data: bytes, sha256: str) -> None:
        if sha256_of(data) != sha256:
            raise StorageError("checksum mismatch before write")
        path = self._path(key)
        try:
            self._write(path, data, sha256)
        except OSError as exc:  # full disk, permissions, a missing mount: storage is unavailable
            raise StorageError(f"cannot write {key}: {exc.strerror}") from exc

    @staticmethod
    def _write(path: Path, data: bytes, sha256: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target and rename: a crash never leaves a half-written file under the key.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            if Path(tmp).stat().st_size != len(data) or sha256_of(Path(tmp).read_bytes()) != sha256:
                raise StorageError("written file does not verify")
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise MissingObject(f"missing: {key}") from exc
        except OSError as exc:
            raise StorageError(f"cannot read {key}: {exc.strerror}") from exc

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot delete {key}: {exc.strerror}") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create {self.root}: {exc.strerror}") from exc
        if not os.access(self.root, os.W_OK):
            raise StorageError(f"not writable: {self.root}")


class S3Storage:
    def __init__(self, bucket: str, prefix: str, endpoint_url: str | None, region: str):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=3, read_timeout=20),
        )

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes, sha256: str) -> None:
        if sha256_of(data) != sha256:
            raise StorageError("checksum mismatch before write")
        # The server checks the body against ChecksumSHA256 (S3, MinIO) and refuses a damaged upload.
        checksum = base64.b64encode(bytes.fromhex(sha256)).decode()
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self._key(key), Body=data, Metadata={"sha256": sha256}, ChecksumSHA256=checksum
            )
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(str(exc)) from exc
        if head["ContentLength"] != len(data) or head.get("Metadata", {}).get("sha256") != sha256:
            self.delete(key)
            raise StorageError("stored object does not verify")

    def get(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except ClientError as exc:
            if _not_found(exc):
                raise MissingObject(f"missing: {key}") from exc
            raise StorageError(str(exc)) from exc
        except BotoCoreError as exc:
            raise StorageError(str(exc)) from exc

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(str(exc)) from exc

    def exists(self, key: str) -> bool:
        # Only "not found" means absent; an unreachable server must not read as "no such file".
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if _not_found(exc):
                return False
            raise StorageError(str(exc)) from exc
        except BotoCoreError as exc:
            raise StorageError(str(exc)) from exc
        return True

    def check(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(str(exc)) from exc


def _not_found(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}


def make_storage(url: str, endpoint_url: str | None = None, region: str = "ap-southeast-1"):
    parts = urlsplit(url)
    if parts.scheme == "file":
        return LocalStorage(parts.path)
    if parts.scheme == "s3":
        return S3Storage(parts.netloc, parts.path, endpoint_url, region)
    raise ValueError(f"unsupported STORAGE_URL scheme: {parts.scheme}")


def storage():
    """The deployment's storage, built once per app."""
    app = current_app._get_current_object()
    backend = app.extensions.get("storage")
    if backend is None:
        cfg = app.config
        backend = make_storage(cfg["STORAGE_URL"], cfg["S3_ENDPOINT_URL"], cfg["S3_REGION"])
        app.extensions["storage"] = backend
    return backend
