"""Calibrated probabilities: temperature scaling fitted on our dev split, then a deployment prior.

- Temperature scaling (Guo et al., 2017) divides the logits by one scalar ``T`` chosen to minimise
  the negative log-likelihood on the dev split; it changes confidence, never the ranking.
- The deployment prior re-weights the probabilities by ``prior / training_prior`` and renormalises
  (Saerens et al., 2002): the model was trained class-balanced, real traffic is mostly neutral.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import minimize_scalar

from components.emotion.labels import LABELS

# Real support traffic is mostly neutral; a class-balanced model assumes 1/7 each.
DEFAULT_DEPLOYMENT_PRIOR: dict[str, float] = {
    "angry": 0.05, "frustrated": 0.09, "anxious": 0.06, "confused": 0.07,
    "neutral": 0.53, "satisfied": 0.10, "grateful": 0.10,
}


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``(n, k)`` logits, float64."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def nll(probs: np.ndarray, gold: np.ndarray) -> float:
    """Mean negative log-likelihood of the gold label ids ``(n,)`` under ``probs`` ``(n, k)``."""
    return float(-np.log(np.clip(probs[np.arange(len(gold)), gold], 1e-12, 1.0)).mean())


def expected_calibration_error(probs: np.ndarray, gold: np.ndarray, bins: int = 15) -> float:
    """ECE of the top-label confidence over ``bins`` equal-width bins (Naeini et al., 2015)."""
    confidence, predicted = probs.max(axis=1), probs.argmax(axis=1)
    correct = (predicted == gold).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        in_bin = (confidence > lo) & (confidence <= hi)
        if in_bin.any():
            ece += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(ece)


def fit_temperature(logits: np.ndarray, gold: np.ndarray) -> float:
    """The ``T`` in [0.05, 20] minimising dev NLL of ``softmax(logits / T)``."""
    if len(gold) == 0:
        raise ValueError("fit_temperature needs at least one labelled example")
    result = minimize_scalar(lambda log_t: nll(softmax(logits / np.exp(log_t)), gold),
                             bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(result.x))


@dataclass
class Calibration:
    """What turns logits into the probabilities the dialogue acts on (``calibration.json``)."""

    temperature: float = 1.0
    # The label frequencies the model effectively learned (uniform for class-balanced training).
    training_prior: dict[str, float] = field(default_factory=lambda: {label: 1 / len(LABELS) for label in LABELS})
    deployment_prior: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_DEPLOYMENT_PRIOR))

    def __post_init__(self) -> None:
        for name in ("training_prior", "deployment_prior"):
            prior = getattr(self, name)
            if set(prior) != set(LABELS) or any(v <= 0 for v in prior.values()):
                raise ValueError(f"{name} needs a positive weight for each of {', '.join(LABELS)}; got {prior}")
        if self.temperature <= 0:
            raise ValueError(f"temperature must be positive, got {self.temperature}")

    def weights(self) -> np.ndarray:
        """``deployment / training`` prior ratio per label, shape ``(7,)``."""
        return np.array([self.deployment_prior[label] / self.training_prior[label] for label in LABELS])

    def probabilities(self, logits: np.ndarray, use_prior: bool = True) -> np.ndarray:
        """Calibrated probabilities ``(n, 7)`` from logits ``(n, 7)``."""
        probs = softmax(np.asarray(logits) / self.temperature)
        if use_prior:
            probs = probs * self.weights()
            probs /= probs.sum(axis=1, keepdims=True)
        return probs

    def with_deployment_prior(self, prior: dict[str, float] | None) -> Calibration:
        """A copy using ``prior`` (missing labels keep the default); None keeps this one's."""
        if not prior:
            return self
        return Calibration(self.temperature, dict(self.training_prior), {**self.deployment_prior, **prior})

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, path: Path) -> Calibration:
        """Reads ``calibration.json``; a model without one gets the identity temperature."""
        return cls(**json.loads(path.read_text())) if path.exists() else cls()
