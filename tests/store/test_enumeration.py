"""Back-off per order number and per customer, across conversations."""

from __future__ import annotations

import datetime as dt

from services.store.enumeration import FREE_FAILURES, backoff_for, is_backed_off, record_target_failure, targets_of
from tests.conftest import open_session

NOW = dt.datetime(2026, 11, 22, 12, 0, 0)


def test_backoff_grows_and_is_capped() -> None:
    assert backoff_for(FREE_FAILURES - 1) is None
    assert backoff_for(FREE_FAILURES) == dt.timedelta(minutes=1)
    assert backoff_for(FREE_FAILURES + 3) == dt.timedelta(minutes=8)
    assert backoff_for(100) == dt.timedelta(hours=24)


def test_a_check_touches_the_order_its_owner_and_the_email_holder(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        assert targets_of(session, 100240, "alice@example.com") == [("order", "100240"), ("customer", "C-1002"), ("customer", "C-1001")]
        assert targets_of(session, 999999, "nobody@example.com") == [("order", "999999")]
        assert targets_of(session, None, None) == []


def test_guessing_one_order_from_many_conversations_backs_off(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        for _ in range(FREE_FAILURES - 1):
            record_target_failure(session, 100250, "guess@example.com", now=NOW)
        assert not is_backed_off(session, 100250, "carla@example.com", now=NOW)
        record_target_failure(session, 100250, "guess2@example.com", now=NOW)
        assert is_backed_off(session, 100250, "carla@example.com", now=NOW)  # the right pair waits too
        assert is_backed_off(session, 100250, None, now=NOW + dt.timedelta(seconds=59))
        assert not is_backed_off(session, 100250, None, now=NOW + dt.timedelta(minutes=2))
        record_target_failure(session, 100250, "guess3@example.com", now=NOW + dt.timedelta(minutes=2))
        assert is_backed_off(session, 100250, None, now=NOW + dt.timedelta(minutes=3))  # 2 minutes now
        assert not is_backed_off(session, 100250, None, now=NOW + dt.timedelta(minutes=4, seconds=1))
        assert is_backed_off(session, 100251, "carla@example.com", now=NOW + dt.timedelta(minutes=3))  # Carla's customer record


def test_other_orders_are_not_affected(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        assert not is_backed_off(session, 100234, "alice@example.com", now=NOW)
