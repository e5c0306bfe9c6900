"""Encryption of the few secrets the app must read back (the second factor's TOTP keys).

Fernet (AES-128-CBC with HMAC-SHA256) under the keys of DATA_ENCRYPTION_KEYS, comma-separated: the
first encrypts, every one decrypts, so a key is rotated by putting a new one first and running
`flask --app wsgi users reencrypt`. Without the variable (the demo, the tests) one key is derived
from SECRET_KEY; a deployment sets its own, kept apart from the database backups.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

__all__ = ["InvalidToken", "decrypt", "encrypt", "reencrypt"]


def _derived_key(secret_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"portal data encryption")
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


def _fernet() -> MultiFernet:
    cached = current_app.extensions.get("portal_fernet")
    if cached is None:
        keys = current_app.config.get("DATA_ENCRYPTION_KEYS") or [_derived_key(current_app.config["SECRET_KEY"])]
        cached = current_app.extensions["portal_fernet"] = MultiFernet([Fernet(k) for k in keys])
    return cached


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def reencrypt(token: str) -> str:
    """The same secret under the first key (for key rotation)."""
    return _fernet().rotate(token.encode()).decode()
