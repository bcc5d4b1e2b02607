"""The authored emotion dataset: loading, normalising, splitting and checking.

``data/emotion/authored/<slice>/<label>.txt`` holds one message per line, one folder per
authoring slice (``data/emotion/AUTHORING_PLAN.md``); ``make emotion-data`` writes the
stratified ``train.csv``, ``dev.csv`` and ``test.csv`` beside it.

``authored/<slice>/ambiguous.tsv`` holds messages whose emotion the text does not settle, as
``label label<TAB>text``. They are trained as soft targets (one training row per plausible label,
so the cross-entropy target is uniform over them); the held-out part measures how sure the model
is of messages like them: ``ambiguous.csv`` (``text,labels,split``).
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from components.emotion.labels import LABELS

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "emotion"
SPLITS = ("train", "dev", "test")
SPLIT_FRACTIONS = {"train": 0.7, "dev": 0.15, "test": 0.15}
AMBIGUOUS_SOURCE = "ambiguous.tsv"  # authored/<slice>/ambiguous.tsv
AMBIGUOUS_FILE = "ambiguous.csv"  # the split written beside train.csv
AMBIGUOUS_SPLITS = ("train", "heldout")
AMBIGUOUS_TRAIN_FRACTION = 0.7
AMBIGUOUS_REPEAT = 1  # times the soft-label rows of each ambiguous train message are used
NEAR_DUPLICATE_COSINE = 0.9  # char 3-5-gram TF-IDF cosine from which two messages count as near-duplicates


@dataclass(frozen=True)
class Example:
    text: str
    label: str


@dataclass(frozen=True)
class AmbiguousExample:
    """A message with two or more plausible labels, most likely first."""

    text: str
    labels: tuple[str, ...]


def normalise(text: str) -> str:
    """Key for duplicate checks: NFKC, lower case, digits as ``0``, collapsed spacing."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"\d", "0", text)
    return " ".join(text.split())


def load_authored(data_dir: Path = DATA_DIR) -> list[Example]:
    """Every authored single-label message, first occurrence of each normalised text only.

    A text that two slices put under different labels is ambiguous and dropped from both
    (:func:`conflicting_texts` lists them), as is a text also authored in an ``ambiguous.tsv``.
    Raises ValueError when a label has no file.
    """
    first: dict[str, Example] = {}
    labels: dict[str, set[str]] = {}
    for label, text, key in _authored_lines(data_dir):
        first.setdefault(key, Example(text, label))
        labels.setdefault(key, set()).add(label)
    ambiguous = {normalise(e.text) for e in load_ambiguous(data_dir)}
    return [example for key, example in first.items() if len(labels[key]) == 1 and key not in ambiguous]


def load_ambiguous(data_dir: Path = DATA_DIR) -> list[AmbiguousExample]:
    """Every ``authored/<slice>/ambiguous.tsv`` line, first occurrence of each normalised text.

    Raises ValueError naming the file and line when a line is not ``label label<TAB>text`` with
    two or more distinct known labels.
    """
    root = data_dir / "authored"
    first: dict[str, AmbiguousExample] = {}
    for path in sorted(root.glob(f"*/{AMBIGUOUS_SOURCE}")) if root.is_dir() else []:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            head, tab, text = line.partition("\t")
            labels = tuple(dict.fromkeys(head.split()))
            if not tab or not text.strip() or len(labels) < 2 or set(labels) - set(LABELS):
                raise ValueError(f"{path}:{number}: expected two or more of {', '.join(LABELS)}, a tab, then the message; got {line!r}")
            first.setdefault(normalise(text), AmbiguousExample(text.strip(), labels))
    return list(first.values())


def conflicting_texts(data_dir: Path = DATA_DIR) -> dict[str, set[str]]:
    """Normalised texts authored under more than one label, with those labels."""
    labels: dict[str, set[str]] = {}
    for label, _, key in _authored_lines(data_dir):
        labels.setdefault(key, set()).add(label)
    return {key: found for key, found in labels.items() if len(found) > 1}


def _authored_lines(data_dir: Path) -> Iterator[tuple[str, str, str]]:
    """``(label, text, normalised key)`` of every non-empty authored line, slices in name order."""
    for label, path in _label_files(data_dir):
        for line in path.read_text(encoding="utf-8").splitlines():
            text = line.strip()
            if text:
                yield label, text, normalise(text)


def _label_files(data_dir: Path) -> list[tuple[str, Path]]:
    """``(label, file)`` for every ``authored/<slice>/<label>.txt``; each label needs at least one file."""
    root = data_dir / "authored"
    slices = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    files = [(label, folder / f"{label}.txt") for folder in slices for label in LABELS if (folder / f"{label}.txt").exists()]
    missing = set(LABELS) - {label for label, _ in files}
    if missing:
        raise ValueError(f"no {root}/<slice>/<label>.txt for {sorted(missing)}: author one message per line")
    return files


def assign_split(label_rank: float) -> str:
    """Deterministic split from the rank of the message's hash within its label (0 <= rank < 1)."""
    if label_rank < SPLIT_FRACTIONS["train"]:
        return "train"
    if label_rank < SPLIT_FRACTIONS["train"] + SPLIT_FRACTIONS["dev"]:
        return "dev"
    return "test"


def near_duplicate_groups(texts: list[str], threshold: float = NEAR_DUPLICATE_COSINE, chunk: int = 2000) -> list[int]:
    """Group id per text: texts joined by a chain of char 3-5-gram TF-IDF cosines >= ``threshold``."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from sklearn.feature_extraction.text import TfidfVectorizer

    keys = [normalise(t) for t in texts]
    matrix = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).fit_transform(keys)
    rows, cols = [], []
    for start in range(0, len(keys), chunk):
        sims = (matrix[start : start + chunk] @ matrix.T).tocoo()
        hit = sims.data >= threshold
        rows.extend(sims.row[hit] + start)
        cols.extend(sims.col[hit])
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(keys), len(keys)))
    return connected_components(graph, directed=False)[1].tolist()


def text_digest(text: str) -> str:
    """SHA-256 of the normalised text: the order in which messages are split."""
    return hashlib.sha256(normalise(text).encode()).hexdigest()


def follow_near_duplicates(ordered: list, own_splits: list[str]) -> list[str]:
    """``own_splits`` (one per message of ``ordered``), except that every group of near-duplicates
    takes the split of its first member in ``ordered``: no held-out message has a twin in training."""
    if not ordered:
        return []
    group_split: dict[int, str] = {}
    return [group_split.setdefault(group, own)
            for group, own in zip(near_duplicate_groups([e.text for e in ordered]), own_splits)]


def split_examples(examples: list[Example]) -> dict[str, list[Example]]:
    """Stratified split: within each label, messages ordered by a hash of their normalised text.

    Near-duplicates (:func:`near_duplicate_groups`) then all follow the split of the group's
    first member in hash order, so a held-out message never has a near-twin in training.
    Adding messages later moves few existing ones, and the result does not depend on file order.
    """
    digest = {e: text_digest(e.text) for e in examples}
    split_of: dict[Example, str] = {}
    for label in LABELS:
        group = sorted((e for e in examples if e.label == label), key=digest.__getitem__)
        for i, example in enumerate(group):
            split_of[example] = assign_split(i / len(group))
    ordered = sorted(examples, key=digest.__getitem__)
    split_of.update(zip(ordered, follow_near_duplicates(ordered, [split_of[e] for e in ordered])))
    splits: dict[str, list[Example]] = {s: [] for s in SPLITS}
    for label in LABELS:
        for example in sorted((e for e in examples if e.label == label), key=digest.__getitem__):
            splits[split_of[example]].append(example)
    return splits


def split_ambiguous(examples: list[AmbiguousExample]) -> dict[str, list[AmbiguousExample]]:
    """``train`` / ``heldout`` by the rank of each text's hash; near-duplicates follow their group's first member."""
    ordered = sorted(examples, key=lambda e: text_digest(e.text))
    own = ["train" if i / len(ordered) < AMBIGUOUS_TRAIN_FRACTION else "heldout" for i in range(len(ordered))]
    out: dict[str, list[AmbiguousExample]] = {name: [] for name in AMBIGUOUS_SPLITS}
    for example, split in zip(ordered, follow_near_duplicates(ordered, own)):
        out[split].append(example)
    return out


def soft_label_rows(examples: list[AmbiguousExample]) -> list[Example]:
    """One ``Example`` per plausible label: under cross-entropy, a uniform target over them."""
    return [Example(e.text, label) for e in examples for label in e.labels]


def write_ambiguous(splits: dict[str, list[AmbiguousExample]], data_dir: Path = DATA_DIR) -> None:
    with (data_dir / AMBIGUOUS_FILE).open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "labels", "split"])
        writer.writerows((e.text, " ".join(e.labels), name) for name, rows in splits.items() for e in rows)


def read_ambiguous(split: str, data_dir: Path = DATA_DIR) -> list[AmbiguousExample]:
    """The ``train`` or ``heldout`` part of ``ambiguous.csv``; empty when the file is absent."""
    path = data_dir / AMBIGUOUS_FILE
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as f:
        return [AmbiguousExample(r["text"], tuple(r["labels"].split())) for r in csv.DictReader(f) if r["split"] == split]


def read_training_set(data_dir: Path = DATA_DIR, ambiguous_repeat: int = AMBIGUOUS_REPEAT) -> list[Example]:
    """What every model trains on: ``train.csv`` plus ``ambiguous_repeat`` copies of the soft-label
    rows of the ambiguous train part."""
    return read_split("train", data_dir) + soft_label_rows(read_ambiguous("train", data_dir)) * ambiguous_repeat


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
    """SHA-256 over the split files (``ambiguous.csv`` too): changes whenever the training data does."""
    digest = hashlib.sha256()
    for path in [data_dir / f"{name}.csv" for name in SPLITS] + [data_dir / AMBIGUOUS_FILE]:
        digest.update(path.read_bytes() if path.exists() else b"<missing>")
    return digest.hexdigest()


def main() -> None:
    """Write the splits from the authored files and print their sizes."""
    conflicts = conflicting_texts()
    if conflicts:
        print(f"dropped {len(conflicts)} texts authored under two labels, e.g. " +
              "; ".join(f"{k!r}: {sorted(v)}" for k, v in list(conflicts.items())[:5]))
    splits = split_examples(load_authored())
    write_splits(splits)
    for name, rows in splits.items():
        counts = {label: sum(e.label == label for e in rows) for label in LABELS}
        print(f"{name:5s} {len(rows):5d}  " + "  ".join(f"{k}={v}" for k, v in counts.items()))
    ambiguous = split_ambiguous(load_ambiguous())
    write_ambiguous(ambiguous)
    print("ambiguous " + ", ".join(f"{name} {len(rows)}" for name, rows in ambiguous.items()))


if __name__ == "__main__":
    main()
