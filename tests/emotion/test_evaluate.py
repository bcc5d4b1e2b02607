"""The trained model (models/emotion, from `make train`) beats the TF-IDF baseline on the test split."""

from __future__ import annotations

import pytest

from actions.settings import PROJECT_ROOT
from components.emotion.evaluate import evaluate

MODEL_DIR = PROJECT_ROOT / "models" / "emotion"


def test_fine_tuned_model_beats_the_baseline_and_int8_loses_at_most_one_point() -> None:
    if not (MODEL_DIR / "config.json").exists():
        pytest.fail("models/emotion is missing: run `make train` first (make test does)", pytrace=False)
    results = evaluate(MODEL_DIR)
    fine_tuned, baseline, int8 = (results[k]["macro_f1"] for k in ("MiniLM fine-tuned", "TF-IDF + LogReg", "MiniLM int8"))
    assert fine_tuned > baseline
    assert fine_tuned - int8 <= 0.01
