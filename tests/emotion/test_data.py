"""The committed emotion splits: sizes, no leakage between splits, few near-duplicates."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from components.emotion.data import (
    AMBIGUOUS_SPLITS,
    DATA_DIR,
    SPLITS,
    AmbiguousExample,
    conflicting_texts,
    load_ambiguous,
    load_authored,
    near_duplicate_groups,
    normalise,
    read_ambiguous,
    read_split,
    read_training_set,
    soft_label_rows,
    split_ambiguous,
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


def _tiny_authored(root, ambiguous: str) -> None:
    for label in LABELS:
        (root / "authored" / "a").mkdir(parents=True, exist_ok=True)
        (root / "authored" / "a" / f"{label}.txt").write_text(f"filler {label}\nhmm ok\n" if label == "neutral" else f"filler {label}\n")
    (root / "authored" / "b").mkdir(parents=True, exist_ok=True)
    (root / "authored" / "b" / "ambiguous.tsv").write_text(ambiguous, encoding="utf-8")


def test_an_ambiguous_text_leaves_the_single_label_data_and_trains_on_each_plausible_label(tmp_path) -> None:
    _tiny_authored(tmp_path, "neutral frustrated\tHmm  ok\nsatisfied neutral frustrated\twell it came\n")
    assert load_ambiguous(tmp_path) == [AmbiguousExample("Hmm  ok", ("neutral", "frustrated")),
                                        AmbiguousExample("well it came", ("satisfied", "neutral", "frustrated"))]
    assert "hmm ok" not in {e.text for e in load_authored(tmp_path)}
    rows = soft_label_rows(load_ambiguous(tmp_path))
    assert sorted((e.text, e.label) for e in rows if e.text == "well it came") == [
        ("well it came", "frustrated"), ("well it came", "neutral"), ("well it came", "satisfied")]


def test_a_malformed_ambiguous_line_names_its_file_and_line(tmp_path) -> None:
    _tiny_authored(tmp_path, "neutral frustrated\tfine\nneutral\tonly one label\n")
    with pytest.raises(ValueError, match=r"ambiguous.tsv:2: expected two or more"):
        load_ambiguous(tmp_path)
    _tiny_authored(tmp_path, "neutral happy\tnot a label of ours\n")
    with pytest.raises(ValueError, match=r"ambiguous.tsv:1"):
        load_ambiguous(tmp_path)


def test_committed_ambiguous_split_is_the_deterministic_split_of_the_authored_files() -> None:
    expected = split_ambiguous(load_ambiguous())
    for name in AMBIGUOUS_SPLITS:
        assert read_ambiguous(name) == expected[name], "ambiguous.csv is stale: run `make emotion-data`"
    assert len(expected["train"]) >= 300 and len(expected["heldout"]) >= 120


def test_ambiguous_messages_are_in_no_single_label_split_and_held_out_ones_have_no_twin_in_training() -> None:
    ambiguous = {normalise(e.text) for name in AMBIGUOUS_SPLITS for e in read_ambiguous(name)}
    for name in SPLITS:
        assert not ambiguous & {normalise(e.text) for e in read_split(name)}, name
    train, held = read_ambiguous("train"), read_ambiguous("heldout")
    groups = near_duplicate_groups([e.text for e in train + held])
    assert not set(groups[: len(train)]) & set(groups[len(train):])


def test_the_training_set_is_train_csv_plus_one_row_per_plausible_label() -> None:
    rows = read_training_set()
    extra = rows[len(read_split("train")):]
    assert len(extra) == sum(len(e.labels) for e in read_ambiguous("train"))
    assert {e.text for e in extra} == {e.text for e in read_ambiguous("train")}
