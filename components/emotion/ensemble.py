"""The TF-IDF half of the serving ensemble: a fine-tuned encoder averaged with TF-IDF + logistic regression.

On real comments the average of the two (each temperature-scaled on our dev split, then their
log-probabilities averaged) beat either alone (``make emotion-compare``, ``docs/results.md``): the
encoder knows meaning, the n-gram model is less swayed by how a message is written.
Saved as ``tfidf.joblib`` plus ``ensemble.json`` beside the encoder; absent files mean encoder only.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression

from components.emotion.labels import LABELS

TFIDF_FILE = "tfidf.joblib"
ENSEMBLE_FILE = "ensemble.json"


def log_softmax(logits: np.ndarray) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


@dataclass(frozen=True)
class EnsembleWeights:
    """How the two halves combine: ``(1 - w) * log p_encoder(T_e) + w * log p_tfidf(T_t)``."""

    tfidf_weight: float
    encoder_temperature: float
    tfidf_temperature: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.tfidf_weight <= 1.0:
            raise ValueError(f"tfidf_weight must be in [0, 1], got {self.tfidf_weight}")
        if self.encoder_temperature <= 0 or self.tfidf_temperature <= 0:
            raise ValueError("ensemble temperatures must be positive")


class TfidfEnsemble:
    """Combines encoder logits with the TF-IDF model's probabilities for the same texts."""

    def __init__(self, pipeline, weights: EnsembleWeights) -> None:
        self.pipeline = pipeline
        self.weights = weights
        self._order = [list(pipeline.classes_).index(label) for label in LABELS]
        classifier = pipeline.steps[-1][1]
        # Multinomial logistic regression is softmax(X @ coef.T + intercept): computing it here skips
        # sklearn's per-call input checks, 1.1 of the 2.7 ms the half took per message at batch 1.
        self._linear = None
        if isinstance(classifier, LogisticRegression) and classifier.coef_.shape[0] == len(LABELS):
            self._linear = (pipeline[:-1], classifier.coef_[self._order].T.copy(), classifier.intercept_[self._order].copy())

    def tfidf_logits(self, texts: list[str]) -> np.ndarray:
        """log P(label) of the TF-IDF model, shape ``(len(texts), 7)`` in LABELS order."""
        if self._linear is None:
            return np.log(np.clip(self.pipeline.predict_proba(texts)[:, self._order], 1e-9, 1.0))
        features, coef, intercept = self._linear
        return np.maximum(log_softmax(features.transform(texts) @ coef + intercept), np.log(1e-9))

    def combine(self, encoder_logits: np.ndarray, texts: list[str]) -> np.ndarray:
        """Ensemble logits (log-probabilities up to a constant), shape ``(len(texts), 7)``."""
        w = self.weights
        encoder = log_softmax(encoder_logits / w.encoder_temperature)
        tfidf = log_softmax(self.tfidf_logits(texts) / w.tfidf_temperature)
        return ((1 - w.tfidf_weight) * encoder + w.tfidf_weight * tfidf).astype(np.float32)

    def save(self, directory: Path) -> None:
        joblib.dump(self.pipeline, directory / TFIDF_FILE)
        (directory / ENSEMBLE_FILE).write_text(json.dumps(asdict(self.weights), indent=2))

    @classmethod
    def load(cls, directory: Path) -> TfidfEnsemble | None:
        """The saved ensemble half, or None when the directory has none (encoder only)."""
        if not (directory / ENSEMBLE_FILE).exists():
            return None
        weights = EnsembleWeights(**json.loads((directory / ENSEMBLE_FILE).read_text()))
        return cls(joblib.load(directory / TFIDF_FILE), weights)
