"""argon2id password hashing (argon2-cffi's defaults are RFC 9106's low-memory profile)."""

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
MIN_LENGTH = 12


@functools.cache
def _dummy_hash() -> str:
    # Verifying against this costs as much as a real check, so an unknown username takes as long.
    # Made on first use: hashing at import would slow every process start (workers, commands).
    return _hasher.hash("not-a-real-password-but-a-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
