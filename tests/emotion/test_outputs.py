"""Valence, the dialogue reading, occlusion explanations and the real-text reader (no model needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from components.emotion.explain import occlusion_explanation, occlusion_weights
from components.emotion.labels import LABELS, dialogue_label, valence
from components.emotion.realtext import load_realtext, skipped_message


def one_hot(label: str) -> list[float]:
    return [1.0 if name == label else 0.0 for name in LABELS]


def test_valence_runs_from_negative_to_positive() -> None:
    assert valence(one_hot("angry")) == 0.0
    assert valence(one_hot("neutral")) == 0.5 and valence(one_hot("confused")) == 0.5
    assert valence(one_hot("grateful")) == 1.0
    assert valence([1 / 7] * 7) == pytest.approx(0.5 + (2 / 7 - 3 / 7) / 2)
    with pytest.raises(ValueError, match="expected 7"):
        valence([0.5, 0.5])


def test_dialogue_label_is_neutral_unless_confident() -> None:
    assert dialogue_label("angry", True) == "angry"
    assert dialogue_label("angry", False) == "neutral"
    with pytest.raises(ValueError, match="unknown emotion"):
        dialogue_label("furious", True)


def keyword_model(texts: list[str]) -> np.ndarray:
    """A stand-in classifier: angry in proportion to the words 'furious' and 'scam'."""
    out = []
    for text in texts:
        anger = 0.1 + 0.4 * ("furious" in text) + 0.4 * ("scam" in text)
        row = np.full(len(LABELS), (1 - anger) / (len(LABELS) - 1))
        row[LABELS.index("angry")] = anger
        out.append(row)
    return np.array(out)


def test_occlusion_names_the_words_that_drive_the_label() -> None:
    angry = LABELS.index("angry")
    assert occlusion_explanation("I am furious about this", angry, keyword_model) == ["furious"]
    assert set(occlusion_explanation("furious, this is a scam!", angry, keyword_model)) == {"furious", "scam"}
    weights = dict(occlusion_weights("I am furious", angry, keyword_model))
    assert weights["furious"] == pytest.approx(np.log(0.5 / 0.5) - np.log(0.1 / 0.9)) and weights["am"] == pytest.approx(0.0)
    assert occlusion_explanation("   ", angry, keyword_model) == []
    assert occlusion_explanation("nothing here", angry, keyword_model) == []


def test_real_text_reader_maps_and_drops(tmp_path: Path) -> None:
    names = ["anger", "curiosity", "gratitude", "neutral", "annoyance", "sadness"]
    (tmp_path / "labels.txt").write_text("\n".join(names))
    (tmp_path / "dev.tsv").write_text("a\t0\tx1\nb\t1\tx2\nc\t2,3\tx3\nd\t4,5\tx4\ne\t3\tx5\n")
    examples = load_realtext(tmp_path)
    assert [(e.text, e.label) for e in examples] == [("a", "angry"), ("d", "frustrated"), ("e", "neutral")]


def test_real_text_reader_skips_cleanly_when_absent(tmp_path: Path) -> None:
    assert load_realtext(tmp_path / "nowhere") is None
    assert "skipped" in skipped_message(tmp_path)
