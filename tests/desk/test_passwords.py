"""scrypt password hashes: verify, refuse, and survive malformed input."""

from __future__ import annotations

import pytest

from demo_site.desk.passwords import MAX_PASSWORD_CHARS, hash_password, verify_password


def test_hash_verifies_the_password_and_nothing_else() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("scrypt$16384$8$1$")
    assert verify_password("correct horse battery", stored)
    assert not verify_password("correct horse batterY", stored)
    assert not verify_password("", stored)


def test_each_hash_has_its_own_salt() -> None:
    assert hash_password("same password here") != hash_password("same password here")


@pytest.mark.parametrize("stored", ["", "plain", "md5$abc", "scrypt$16384$8$1$!!!$@@@", "scrypt$x$8$1$AAAA$AAAA", "scrypt$16384$8$1$AAAA"])
def test_malformed_hashes_never_match(stored: str) -> None:
    assert verify_password("anything at all", stored) is False


def test_password_rules_say_what_to_change() -> None:
    with pytest.raises(ValueError, match="at least 10"):
        hash_password("short")
    with pytest.raises(ValueError, match="at most"):
        hash_password("x" * (MAX_PASSWORD_CHARS + 1))
    assert verify_password("x" * 10_000_000, hash_password("long enough password")) is False
