"""Labelled feedback files: ``data/emotion/feedback/<UTC time>-<labeller>.jsonl``, one per labelling session.

Each line is one JSON object (:class:`FeedbackRecord`); the format and the review rules are in
``data/emotion/feedback/README.md``. Files are appended to as labels are given, so quitting or a
crash keeps what was labelled, and they are never rewritten: the team reviews and commits them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from components.emotion.data import DATA_DIR, Example, normalise
from components.emotion.labels import LABELS

FEEDBACK_DIR = DATA_DIR / "feedback"
DECISIONS = ("confirmed", "relabelled")
_REQUIRED = ("text", "label", "decision")


@dataclass(frozen=True)
class FeedbackRecord:
    """One labelled message."""

    text: str  # PII-masked shopper text
    label: str  # the label given, one of LABELS
    decision: str  # confirmed (the proposed label) or relabelled (another one)
    model_label: str | None = None
    model_confidence: float | None = None
    source: str | None = None  # uncertain | correction
    suggested_label: str | None = None  # the agent's correction, if any
    labelled_by: str | None = None
    labelled_at: str | None = None  # ISO 8601, UTC
    queue_id: int | None = None  # emotion_review_queue.id


def check_record(data: dict, where: str) -> FeedbackRecord:
    """A record from one parsed line; raises ValueError naming ``where`` when it is not one."""
    missing = [key for key in _REQUIRED if not data.get(key)]
    if missing:
        raise ValueError(f"{where}: missing {', '.join(missing)}")
    unknown = set(data) - {f.name for f in dataclasses.fields(FeedbackRecord)}
    if unknown:
        raise ValueError(f"{where}: unknown fields {sorted(unknown)}")
    if data["label"] not in LABELS:
        raise ValueError(f"{where}: unknown label {data['label']!r}; expected one of {', '.join(LABELS)}")
    if data["decision"] not in DECISIONS:
        raise ValueError(f"{where}: decision must be one of {', '.join(DECISIONS)}, not {data['decision']!r}")
    if not isinstance(data["text"], str) or not data["text"].strip():
        raise ValueError(f"{where}: text must be a non-empty string")
    return FeedbackRecord(**data)


def session_path(directory: Path, labeller: str, started: dt.datetime) -> Path:
    """A new file name for a labelling session: ``20261122T120000Z-ann.jsonl`` (``-2``, ``-3`` if taken)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", labeller).strip("-.") or "labeller"
    stem = f"{started:%Y%m%dT%H%M%SZ}-{safe}"
    path, n = directory / f"{stem}.jsonl", 1
    while path.exists():
        n += 1
        path = directory / f"{stem}-{n}.jsonl"
    return path


class FeedbackWriter:
    """Appends records to one session file, created on the first record (no empty files)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.written = 0

    def append(self, record: FeedbackRecord) -> None:
        check_record(dataclasses.asdict(record), str(self.path))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(dataclasses.asdict(record), ensure_ascii=False) + "\n")
        self.written += 1


def feedback_files(directory: Path = FEEDBACK_DIR) -> list[Path]:
    """Every ``*.jsonl`` file, in name (that is, time) order."""
    return sorted(directory.glob("*.jsonl")) if directory.is_dir() else []


def read_feedback(directory: Path = FEEDBACK_DIR) -> list[FeedbackRecord]:
    """Every record of every file, in file then line order; raises ValueError at the first bad line."""
    records: list[FeedbackRecord] = []
    for path in feedback_files(directory):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}: not JSON ({exc.msg})") from exc
            if not isinstance(data, dict):
                raise ValueError(f"{where}: expected a JSON object")
            records.append(check_record(data, where))
    return records


def feedback_examples(records: list[FeedbackRecord]) -> list[Example]:
    """One training example per normalised text: the last label given to it wins."""
    latest: dict[str, Example] = {}
    for record in records:
        key = normalise(record.text)
        latest.pop(key, None)  # keep the order of the last labelling
        latest[key] = Example(record.text.strip(), record.label)
    return list(latest.values())
