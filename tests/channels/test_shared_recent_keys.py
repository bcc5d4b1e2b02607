"""Slack deduplication keys shared by processes: one delivery is new to exactly one of them (real SQLite)."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

from channels.shared_recent_keys import SharedRecentKeys

FORK = multiprocessing.get_context("fork")


def _race(path: str, start_at: float, results: multiprocessing.Queue) -> None:
    keys = SharedRecentKeys(Path(path))
    while time.time() < start_at:
        pass
    results.put([keys.first_time((f"event:E{n}", f"message:C1/{n}")) for n in range(100)])


def test_processes_racing_on_the_same_deliveries_answer_each_once(tmp_path: Path) -> None:
    path = str(tmp_path / "seen.db")
    SharedRecentKeys(Path(path))
    results: multiprocessing.Queue = FORK.Queue()
    start_at = time.time() + 0.5
    processes = [FORK.Process(target=_race, args=(path, start_at, results)) for _ in range(3)]
    for process in processes:
        process.start()
    answers = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(10)
    assert [sum(column) for column in zip(*answers)] == [1] * 100  # every delivery new to exactly one process


def test_any_one_key_marks_a_redelivery_and_keys_expire(tmp_path: Path) -> None:
    keys = SharedRecentKeys(tmp_path / "seen.db", ttl_s=0.3)
    assert keys.first_time(("event:E1", "message:C1/1"))
    assert not SharedRecentKeys(tmp_path / "seen.db").first_time(("event:E2", "message:C1/1"))  # same message, new event id
    time.sleep(0.4)
    assert keys.first_time(("event:E1", "message:C1/1"))


def test_without_a_path_it_uses_a_private_file() -> None:
    keys = SharedRecentKeys()
    assert keys.path.exists() and (keys.path.parent.stat().st_mode & 0o777) == 0o700
