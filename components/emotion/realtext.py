"""The real-text development set: GoEmotions' dev split mapped onto our seven labels.

It lives beside the project (``../shared/eval/goemotions``, or ``EMOTION_REALTEXT_DIR``), never
inside it: a shopper's clone does not have it, so every reader returns ``None`` when it is
missing and callers print "skipped". Measurement only: nothing is trained or fitted on it.
"""

from __future__ import annotations

import os
from pathlib import Path

from components.emotion.data import Example
from components.emotion.labels import LABELS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DIR = PROJECT_ROOT.parent / "shared" / "eval" / "goemotions"

# GoEmotions label -> ours (the mapping in ../shared/eval/README.md). Labels not listed are
# unmapped: an example that carries any of them is dropped.
GOEMOTIONS_TO_OURS: dict[str, str] = {
    "anger": "angry", "disgust": "angry",
    "annoyance": "frustrated", "disapproval": "frustrated", "disappointment": "frustrated", "sadness": "frustrated",
    "fear": "anxious", "nervousness": "anxious",
    "confusion": "confused",
    "neutral": "neutral",
    "joy": "satisfied", "approval": "satisfied", "admiration": "satisfied", "excitement": "satisfied",
    "relief": "satisfied", "amusement": "satisfied", "optimism": "satisfied", "love": "satisfied",
    "gratitude": "grateful",
}
assert set(GOEMOTIONS_TO_OURS.values()) == set(LABELS)


def realtext_dir() -> Path:
    """``EMOTION_REALTEXT_DIR`` or ``../shared/eval/goemotions`` beside the project root."""
    return Path(os.environ.get("EMOTION_REALTEXT_DIR", DEFAULT_DIR))


def load_realtext(directory: Path | None = None) -> list[Example] | None:
    """The mapped dev examples (all labels of an example map to the same one of ours), or None when absent."""
    directory = directory or realtext_dir()
    dev, names = directory / "dev.tsv", directory / "labels.txt"
    if not (dev.exists() and names.exists()):
        return None
    label_names = names.read_text(encoding="utf-8").split()
    examples: list[Example] = []
    for line in dev.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 2 or not parts[0].strip():
            continue
        mapped = {GOEMOTIONS_TO_OURS.get(label_names[int(i)]) for i in parts[1].split(",") if i.strip()}
        if len(mapped) == 1 and None not in mapped:
            examples.append(Example(parts[0], mapped.pop()))
    return examples


def skipped_message(directory: Path | None = None) -> str:
    return f"real-text dev set not found at {directory or realtext_dir()}: skipped (set EMOTION_REALTEXT_DIR to measure on it)"
