"""The authored emotion dataset: loading, normalising, splitting and checking.

``data/emotion/authored/<label>.txt`` holds one message per line; ``make emotion-data``
writes the stratified ``train.csv``, ``dev.csv`` and ``test.csv`` beside it.
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from components.emotion.labels import LABELS

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "emotion"
SPLITS = ("train", "dev", "test")
SPLIT_FRACTIONS = {"train": 0.7, "dev": 0.15, "test": 0.15}


@dataclass(frozen=True)
class Example:
    text: str
    label: str


def normalise(text: str) -> str:
    """Key for duplicate checks: NFKC, lower case, digits as ``0``, collapsed spacing."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"\d", "0", text)
    return " ".join(text.split())


def load_authored(data_dir: Path = DATA_DIR) -> list[Example]:
    """Every authored message, first occurrence of each normalised text only.

    Raises ValueError when a label file is missing or a message is claimed by two labels.
    """
    seen: dict[str, str] = {}
    examples: list[Example] = []
    for label in LABELS:
        path = data_dir / "authored" / f"{label}.txt"
        if not path.exists():
            raise ValueError(f"missing {path}: author one message per line for label {label!r}")
        for line in path.read_text(encoding="utf-8").splitlines():
            text = line.strip()
            if not text:
                continue
            key = normalise(text)
            if key in seen:
                if seen[key] != label:
                    raise ValueError(f"message labelled both {seen[key]!r} and {label!r}: {text!r}")
                continue
            seen[key] = label
            examples.append(Example(text, label))
    return examples


def assign_split(label_rank: float) -> str:
    """Deterministic split from the rank of the message's hash within its label (0 <= rank < 1)."""
    if label_rank < SPLIT_FRACTIONS["train"]:
        return "train"
    if label_rank < SPLIT_FRACTIONS["train"] + SPLIT_FRACTIONS["dev"]:
        return "dev"
    return "test"


def split_examples(examples: list[Example]) -> dict[str, list[Example]]:
    """Stratified split: within each label, messages ordered by a hash of their normalised text.

    Adding messages later moves few existing ones, and the result does not depend on file order.
    """
    splits: dict[str, list[Example]] = {s: [] for s in SPLITS}
    for label in LABELS:
        group = sorted(
            (e for e in examples if e.label == label),
            key=lambda e: hashlib.sha256(normalise(e.text).encode()).hexdigest(),
        )
        for i, example in enumerate(group):
            splits[assign_split(i / len(group))].append(example)
    return splits


def write_splits(splits: dict[str, list[Example]], data_dir: Path = DATA_DIR) -> None:
    for name, rows in splits.items():
        with (data_dir / f"{name}.csv").open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["text", "label"])
            writer.writerows((e.text, e.label) for e in rows)


def read_split(name: str, data_dir: Path = DATA_DIR) -> list[Example]:
    """Read ``<name>.csv``; raises FileNotFoundError with the command that writes it."""
    path = data_dir / f"{name}.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run `make emotion-data` to write the splits")
    with path.open(encoding="utf-8", newline="") as f:
        rows = [Example(r["text"], r["label"]) for r in csv.DictReader(f)]
    unknown = {e.label for e in rows} - set(LABELS)
    if unknown:
        raise ValueError(f"{path} has unknown labels {sorted(unknown)}")
    return rows


def data_fingerprint(data_dir: Path = DATA_DIR) -> str:
    """SHA-256 over the three split files: changes whenever the training data does."""
    digest = hashlib.sha256()
    for name in SPLITS:
        path = data_dir / f"{name}.csv"
        digest.update(path.read_bytes() if path.exists() else b"<missing>")
    return digest.hexdigest()


def main() -> None:
    """Write the splits from the authored files and print their sizes."""
    splits = split_examples(load_authored())
    write_splits(splits)
    for name, rows in splits.items():
        counts = {label: sum(e.label == label for e in rows) for label in LABELS}
        print(f"{name:5s} {len(rows):5d}  " + "  ".join(f"{k}={v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
