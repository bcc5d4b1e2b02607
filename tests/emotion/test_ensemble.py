"""The TF-IDF half of the serving ensemble: its fast linear path gives sklearn's own probabilities."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import Pipeline

from components.emotion.baseline import train_baseline
from components.emotion.data import read_split
from components.emotion.ensemble import EnsembleWeights, TfidfEnsemble
from components.emotion.labels import LABELS


@pytest.fixture(scope="module")
def trained() -> tuple[Pipeline, list[str]]:
    train, test = read_split("train"), read_split("test")
    per_label = {label: [e for e in train if e.label == label][:150] for label in LABELS}
    return train_baseline([e for examples in per_label.values() for e in examples]), [e.text for e in test[:800]]


def test_linear_path_matches_predict_proba(trained: tuple[Pipeline, list[str]]) -> None:
    pipeline, texts = trained
    ensemble = TfidfEnsemble(pipeline, EnsembleWeights(0.5, 1.0, 1.0))
    assert ensemble._linear is not None
    reference = np.log(np.clip(pipeline.predict_proba(texts)[:, ensemble._order], 1e-9, 1.0))
    fast = ensemble.tfidf_logits(texts)
    assert fast.shape == (len(texts), len(LABELS))
    np.testing.assert_allclose(fast, reference, atol=1e-9)


def test_other_classifiers_use_predict_proba(trained: tuple[Pipeline, list[str]]) -> None:
    pipeline, texts = trained
    features = pipeline.steps[0][1]
    other = Pipeline([("features", features), ("classifier", MultinomialNB().fit(features.transform(texts), [
        LABELS[i % len(LABELS)] for i in range(len(texts))]))])
    ensemble = TfidfEnsemble(other, EnsembleWeights(0.5, 1.0, 1.0))
    assert ensemble._linear is None
    expected = np.log(np.clip(other.predict_proba(texts[:20])[:, ensemble._order], 1e-9, 1.0))
    np.testing.assert_allclose(ensemble.tfidf_logits(texts[:20]), expected)


def test_weights_outside_their_range_are_refused() -> None:
    with pytest.raises(ValueError, match="tfidf_weight"):
        EnsembleWeights(1.5, 1.0, 1.0)
    with pytest.raises(ValueError, match="temperatures"):
        EnsembleWeights(0.5, 0.0, 1.0)
