"""Temperature scaling, the deployment prior and the expected calibration error (no model needed)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from components.emotion.calibration import (
    DEFAULT_DEPLOYMENT_PRIOR,
    Calibration,
    expected_calibration_error,
    fit_temperature,
    nll,
    softmax,
)
from components.emotion.labels import LABELS


def overconfident(n: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Logits whose argmax is right 70 % of the time but whose softmax says ~99 %."""
    rng = np.random.default_rng(seed)
    gold = rng.integers(0, len(LABELS), n)
    predicted = np.where(rng.random(n) < 0.7, gold, rng.integers(0, len(LABELS), n))
    logits = rng.normal(0, 1, (n, len(LABELS)))
    logits[np.arange(n), predicted] += 8.0
    return logits, gold


def test_temperature_softens_overconfident_logits_and_lowers_nll_and_ece() -> None:
    logits, gold = overconfident()
    temperature = fit_temperature(logits, gold)
    assert temperature > 1.5
    calibration = Calibration(temperature=temperature)
    before, after = softmax(logits), calibration.probabilities(logits, use_prior=False)
    assert nll(after, gold) < nll(before, gold)
    assert expected_calibration_error(after, gold) < expected_calibration_error(before, gold) / 2
    assert (after.argmax(1) == before.argmax(1)).all()  # ranking unchanged


def test_deployment_prior_moves_probability_towards_neutral() -> None:
    logits = np.zeros((1, len(LABELS)))
    probs = Calibration().probabilities(logits)
    assert probs[0].sum() == pytest.approx(1.0)
    assert probs[0, LABELS.index("neutral")] == pytest.approx(DEFAULT_DEPLOYMENT_PRIOR["neutral"])
    flat = Calibration().probabilities(logits, use_prior=False)
    assert flat[0] == pytest.approx(np.full(len(LABELS), 1 / len(LABELS)))


def test_custom_prior_keeps_defaults_for_missing_labels_and_validates() -> None:
    custom = Calibration().with_deployment_prior({"neutral": 0.9})
    assert custom.deployment_prior["neutral"] == 0.9 and custom.deployment_prior["angry"] == DEFAULT_DEPLOYMENT_PRIOR["angry"]
    with pytest.raises(ValueError, match="positive weight"):
        Calibration().with_deployment_prior({"neutral": 0.0})
    with pytest.raises(ValueError, match="temperature"):
        Calibration(temperature=-1.0)


def test_save_and_load_round_trip(tmp_path) -> None:
    path = tmp_path / "calibration.json"
    Calibration(temperature=1.7).save(path)
    assert Calibration.load(path).temperature == 1.7 and json.loads(path.read_text())["temperature"] == 1.7
    assert Calibration.load(tmp_path / "missing.json").temperature == 1.0


def test_fit_temperature_needs_examples() -> None:
    with pytest.raises(ValueError, match="at least one"):
        fit_temperature(np.zeros((0, len(LABELS))), np.zeros(0, dtype=int))
