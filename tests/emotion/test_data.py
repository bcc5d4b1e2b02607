"""The committed emotion splits: sizes, no leakage between splits, few near-duplicates."""

from __future__ import annotations

from itertools import combinations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from components.emotion.data import (
    DATA_DIR,
    SPLITS,
    conflicting_texts,
    load_authored,
    near_duplicate_groups,
    normalise,
    read_split,
    split_examples,
)
from components.emotion.labels import LABELS


def test_enough_messages_per_label_and_mostly_neutral() -> None:
    examples = load_authored()
    assert len(examples) >= 15000
    for label in LABELS:
        assert sum(e.label == label for e in examples) >= 1000, label
    assert sum(e.label == "neutral" for e in examples) / len(examples) >= 0.35


def test_every_slice_of_the_plan_is_there() -> None:
    slices = {p.name for p in (DATA_DIR / "authored").iterdir() if p.is_dir()}
    plan = (DATA_DIR / "AUTHORING_PLAN.md").read_text()
    assert len(slices) >= 8
    for name in slices:
        assert f"| {name} |" in plan, f"slice {name} is not described in AUTHORING_PLAN.md"


def test_conflicting_labels_are_dropped(tmp_path) -> None:
    for folder, label, text in (("a", "neutral", "ok then"), ("b", "grateful", "OK  then"), ("b", "angry", "scam")):
        (tmp_path / "authored" / folder).mkdir(parents=True, exist_ok=True)
        with (tmp_path / "authored" / folder / f"{label}.txt").open("a") as f:
            f.write(text + "\n")
    for label in LABELS:
        path = tmp_path / "authored" / "a" / f"{label}.txt"
        if not path.exists():
            path.write_text(f"filler {label}\n")
    assert conflicting_texts(tmp_path) == {"ok then": {"neutral", "grateful"}}
    texts = {e.text for e in load_authored(tmp_path)}
    assert "scam" in texts and not texts & {"ok then", "OK  then"}


def test_near_duplicates_share_a_group() -> None:
    groups = near_duplicate_groups(["I placed order 100234 last week and it has not arrived yet, can you check it?",
                                    "i placed order 999999 last week and it has not arrived yet, can you check it",
                                    "I love it"])
    assert groups[0] == groups[1] != groups[2]


def test_committed_splits_are_the_deterministic_split_of_the_authored_files() -> None:
    expected = split_examples(load_authored())
    for name in SPLITS:
        assert read_split(name) == expected[name], f"{name}.csv is stale: run `make emotion-data`"


def test_splits_are_stratified() -> None:
    sizes = {name: read_split(name) for name in SPLITS}
    total = sum(len(v) for v in sizes.values())
    for label in LABELS:
        share_total = sum(e.label == label for v in sizes.values() for e in v) / total
        for rows in sizes.values():
            assert abs(sum(e.label == label for e in rows) / len(rows) - share_total) < 0.02


def test_no_message_in_two_splits_after_normalising() -> None:
    keys = {name: {normalise(e.text) for e in read_split(name)} for name in SPLITS}
    for a, b in combinations(SPLITS, 2):
        assert not keys[a] & keys[b], f"{a}/{b} share {sorted(keys[a] & keys[b])[:3]}"


def test_normalise_folds_case_spacing_and_digits() -> None:
    assert normalise("Where is  ORDER 100234?") == normalise("where is order 999999?")


def test_near_duplicates_across_splits_are_rare() -> None:
    train = [normalise(e.text) for e in read_split("train")]
    held_out = [normalise(e.text) for name in ("dev", "test") for e in read_split(name)]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).fit(train + held_out)
    a, b = vectorizer.transform(held_out), vectorizer.transform(train)
    best = np.asarray((a @ b.T).max(axis=1).todense()).ravel()
    share = float((best >= 0.9).mean())
    assert share < 0.02, f"{share:.1%} of dev/test messages have a near-duplicate (cosine >= 0.9) in train"
