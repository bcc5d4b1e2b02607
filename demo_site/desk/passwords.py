"""Password hashing with the standard library's scrypt (no extra package).

Stored as ``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>`` so the cost can be raised later and old
hashes still verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import lru_cache

N, R, P = 2**14, 8, 1  # about 16 MB and a few tens of ms per hash on the development machine
DKLEN = 32
SALT_BYTES = 16
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024  # scrypt is cheap on long input, but a megabyte "password" is an attack


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _derive(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=dklen, maxmem=128 * r * (n + p + 2) + 1024 * 1024)


def check_password_rules(password: str) -> None:
    """Raise ValueError with what to change when ``password`` is too short or too long."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(f"the password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise ValueError(f"the password may have at most {MAX_PASSWORD_CHARS} characters")


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password`` in the stored format."""
    check_password_rules(password)
    salt = secrets.token_bytes(SALT_BYTES)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(_derive(password, salt, N, R, P, DKLEN))}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored``; False for a wrong password or a malformed hash."""
    if not isinstance(password, str) or len(password) > MAX_PASSWORD_CHARS:
        return False
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        salt_raw, expected_raw = base64.b64decode(salt, validate=True), base64.b64decode(expected, validate=True)
        actual = _derive(password, salt_raw, int(n), int(r), int(p), len(expected_raw))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected_raw)


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash no password matches: checking it costs an unknown username as much time as a known one."""
    return hash_password("not-a-real-password-" + secrets.token_hex(8))
