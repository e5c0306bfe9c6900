"""argon2id password hashing (argon2-cffi's defaults are RFC 9106's low-memory profile), and what
a new password must not be: short, one of the passwords leaked in known breaches, or easy to guess
from the portal's own words (docs/SECURITY.md lists them)."""

import functools
import re

import zxcvbn
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from portal.search import fold

_hasher = PasswordHasher()
MIN_LENGTH = 12
MAX_LENGTH = 256
# Words an attacker would try first against this portal; the username and full name are added.
CONTEXT_WORDS = (
    "haiphong", "hải phòng", "congan", "công an", "capxa", "phuong", "dackhu", "catbai", "cathai",
    "ankhanh", "taihoanhap", "tái hòa nhập", "dacxa", "đặc xá", "matkhau", "mật khẩu", "portal",
    "cổng", "mttq", "ubnd", "admin", "quantri",
)
MIN_SCORE = 3  # zxcvbn's 0–4 scale: 3 is "safely unguessable" against an online attack


@functools.cache
def _breached() -> frozenset[str]:
    # The 30,000 passwords seen most often in public breach corpora, as shipped with zxcvbn.
    return frozenset(FREQUENCY_LISTS["passwords"])


def _without(password: str, words) -> str:
    """The letters left once the given words (and their parts), digits and punctuation are taken out."""
    rest = re.sub(r"[^a-z]", "", fold(password))
    parts = {re.sub(r"[^a-z]", "", p) for w in words for p in [fold(w), *re.split(r"[\W_]+", fold(w))]}
    for part in sorted((p for p in parts if len(p) >= 2), key=len, reverse=True):
        rest = rest.replace(part, "")
    return rest


def password_problem(password: str, *personal: str) -> str | None:
    """Why `password` may not be chosen (a translated sentence), or None. No composition rules."""
    if len(password) < MIN_LENGTH:
        return gettext("At least %(n)d characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return gettext("At most %(n)d characters.", n=MAX_LENGTH)
    if password.lower() in _breached():
        return gettext("This password appears in lists of leaked passwords. Choose another one.")
    words = [w for w in (*CONTEXT_WORDS, *personal) if w]
    if len(_without(password, words)) < MIN_LENGTH // 2:
        return gettext(
            "This password is built from your name, your username or the portal's own words. "
            "A few unrelated words make a strong password."
        )
    # zxcvbn stops at 72 characters; a longer password is a passphrase long enough on its own.
    if len(password) <= 72 and zxcvbn.zxcvbn(password, user_inputs=words)["score"] < MIN_SCORE:
        return gettext(
            "This password is too easy to guess (common words, names, dates or the portal's own words). "
            "A few unrelated words make a strong password."
        )
    return None


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
