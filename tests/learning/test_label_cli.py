"""``make label``: answers read line by line (piped input and a real pseudo-terminal), queue and file updated."""

from __future__ import annotations

import io
import os
import pty
import select as io_select
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from services.learning.feedback import FeedbackWriter, read_feedback
from services.learning.label_cli import label_items, parse_answer
from services.learning.models import EmotionReviewItem
from services.learning.queue import enqueue_if_uncertain, pending_items
from services.settings import PROJECT_ROOT
from tests.conftest import open_session

MESSAGES = [("where is my parcel, call 503-555-0123", "neutral", 0.48), ("ugh not again", "neutral", 0.44),
            ("maybe", "confused", 0.30), ("so is it refunded or not", "confused", 0.52)]


def fill(url: str) -> None:
    with open_session(url) as s:
        for i, (text, label, confidence) in enumerate(MESSAGES):
            enqueue_if_uncertain(s, sender_id=f"s{i}", text=text, label=label, confidence=confidence)


def statuses(url: str) -> dict[str, tuple[str, str | None]]:
    with open_session(url) as s:
        return {i.text_masked: (i.status, i.final_label) for i in s.execute(select(EmotionReviewItem)).scalars()}


def test_parse_answer() -> None:
    assert parse_answer("\n", "neutral") == "neutral" and parse_answer("y", "angry") == "angry"
    assert parse_answer("2", "neutral") == "frustrated" and parse_answer(" Grateful ", None) == "grateful"
    assert [parse_answer(a, "neutral") for a in ("s", "q", "?", "8", "0", "meh")] == ["skip", "quit", "help", None, None, None]
    assert parse_answer("", None) is None  # nothing proposed: a label must be picked


def test_label_items_in_process(store_url: str, tmp_path: Path) -> None:
    fill(store_url)
    out = io.StringIO()
    writer = FeedbackWriter(tmp_path / "session.jsonl")
    with open_session(store_url) as s:
        items = pending_items(s)  # least confident first: maybe, ugh, where, so
        summary = label_items(s, items, labeller="tester", writer=writer, stdin=io.StringIO("nope\n\n2\ns\n"), stdout=out)
    assert (summary.confirmed, summary.relabelled, summary.skipped, summary.remaining) == (1, 1, 1, 1)
    assert "not understood: 'nope'" in out.getvalue() and "model: confused 0.30" in out.getvalue()
    assert statuses(store_url) == {"maybe": ("confirmed", "confused"), "ugh not again": ("relabelled", "frustrated"),
                                   "where is my parcel, call [PHONE]": ("skipped", None), "so is it refunded or not": ("pending", None)}
    assert [(r.text, r.label, r.decision, r.labelled_by) for r in read_feedback(tmp_path)] == [
        ("maybe", "confused", "confirmed", "tester"), ("ugh not again", "frustrated", "relabelled", "tester")]


def cli(url: str, feedback: Path) -> list[str]:
    return [sys.executable, "-m", "services.learning.label_cli", "--url", url, "--feedback-dir", str(feedback), "--labeller", "tester"]


def test_piped_input(sqlite_url: str, tmp_path: Path) -> None:
    fill(sqlite_url)
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run(cli(sqlite_url, tmp_path), input="7\n\nq\n", text=True, capture_output=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "labelled 2 (confirmed 1, relabelled 1), skipped 0; 2 still pending" in done.stdout
    [path] = list(tmp_path.glob("*-tester.jsonl"))
    assert [r.label for r in read_feedback(tmp_path)] == ["grateful", "neutral"] and str(path) in done.stdout
    again = subprocess.run(cli(sqlite_url, tmp_path) + ["--include-skipped"], input="", text=True, capture_output=True, env=env, timeout=300)
    assert "2 message(s) to label" in again.stdout and "labelled 0" in again.stdout  # end of input quits cleanly


def test_real_terminal(sqlite_url: str, tmp_path: Path) -> None:
    fill(sqlite_url)
    main_fd, child_fd = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    proc = subprocess.Popen(cli(sqlite_url, tmp_path), stdin=child_fd, stdout=child_fd, stderr=child_fd, env=env, close_fds=True)
    os.close(child_fd)
    seen = b""

    def read_until(marker: bytes, timeout: float = 240) -> None:
        nonlocal seen
        end = time.monotonic() + timeout
        while marker not in seen and time.monotonic() < end:
            ready, _, _ = io_select.select([main_fd], [], [], 1)
            if ready:
                try:
                    seen += os.read(main_fd, 4096)
                except OSError:
                    break
        assert marker in seen, seen.decode(errors="replace")[-500:]

    for answer in (b"s\n", b"angry\n", b"q\n"):
        read_until(b"\n> ")  # the prompt, on a line of its own
        seen = seen.rsplit(b"\n> ", 1)[1]
        os.write(main_fd, answer)
    read_until(b"still pending")
    assert proc.wait(timeout=60) == 0
    os.close(main_fd)
    assert b"labelled 1 (confirmed 0, relabelled 1), skipped 1; 2 still pending" in seen
    assert [r.label for r in read_feedback(tmp_path)] == ["angry"]
