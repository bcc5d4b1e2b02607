"""Hold-out evaluation: the model beats the baselines, and baselines are ranked like LightFM ranks."""

from __future__ import annotations

import numpy as np
import pytest

from services.recommender.dataset import RecommenderData
from services.recommender.evaluate import (
    METRICS,
    Evaluation,
    ScoreRanker,
    cold_start_split,
    format_table,
    select_rows,
)
from services.recommender.options import RecommenderOptions


def test_model_beats_popularity_and_random(evaluation: Evaluation) -> None:
    results = evaluation.metrics["slices"]["all"]
    model, popularity, random = results["LightFM"], results["popularity"], results["random"]
    for metric in ("precision@5", "precision@10", "recall@10"):
        assert model[metric] > 1.5 * popularity[metric], metric
        assert model[metric] > 2 * random[metric], metric
    assert model["auc"] > popularity["auc"] > random["auc"]


def test_cold_start_beats_popularity_and_random(evaluation: Evaluation) -> None:
    cold = evaluation.metrics["slices"]["cold-start"]
    assert cold["LightFM"]["users"] > 0
    for baseline in ("popularity", "random"):
        assert cold["LightFM"]["recall@10"] > cold[baseline]["recall@10"]
        assert cold["LightFM"]["auc"] > cold[baseline]["auc"]


def test_report_has_every_slice_and_metric(evaluation: Evaluation, options: RecommenderOptions) -> None:
    slices = evaluation.metrics["slices"]
    assert set(slices) == {"all", "few-interaction items", "cold-start"}
    assert len(evaluation.curve) == options.epochs
    table = format_table(evaluation.metrics)
    for metric in METRICS:
        assert metric in table
    assert "popular in category" in table and "random" in table


def test_cold_users_lose_their_history(holdout_data: RecommenderData, options: RecommenderOptions) -> None:
    cold = cold_start_split(holdout_data, options)
    cold_rows = np.flatnonzero(cold.test.getnnz(axis=1))
    assert cold_rows.size > 0
    assert cold.data.train.tocsr()[cold_rows].nnz == 0
    assert (cold.context[cold_rows] >= 0).all()
    # A cold user is represented by exactly one feature: their context category preference.
    assert (cold.user_features[cold_rows].getnnz(axis=1) == 1).all()


def test_score_ranker_ranks_like_lightfm(evaluation: Evaluation, holdout_data: RecommenderData) -> None:
    model, test, train = evaluation.model, holdout_data.test.tocsr(), holdout_data.train.tocsr()
    users = np.flatnonzero(test.getnnz(axis=1))[:20]
    n_items = holdout_data.shape[1]
    scores = np.zeros(holdout_data.shape, dtype=np.float32)
    for user in users:
        scores[user] = model.predict(int(user), np.arange(n_items), user_features=holdout_data.user_features,
                                     item_features=holdout_data.item_features)
    keep = np.zeros(holdout_data.shape[0], dtype=bool)
    keep[users] = True
    subset = select_rows(test, keep)
    expected = model.predict_rank(subset, train, user_features=holdout_data.user_features,
                                  item_features=holdout_data.item_features)
    got = ScoreRanker(scores).predict_rank(subset, train)
    np.testing.assert_array_equal(got.toarray(), expected.toarray())


def test_score_ranker_refuses_overlapping_test_and_train(holdout_data: RecommenderData) -> None:
    train = holdout_data.train.tocsr()
    with pytest.raises(ValueError, match="overlap"):
        ScoreRanker(np.zeros(holdout_data.shape[1])).predict_rank(train, train)
