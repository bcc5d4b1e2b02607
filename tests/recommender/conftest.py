"""Shared fixtures: one small seeded store database and the models trained on it (built once per session)."""

from __future__ import annotations

import datetime as dt

import pytest

from services.recommender.dataset import RecommenderData, load_dataset
from services.recommender.evaluate import Evaluation, evaluate
from services.recommender.fitting import fit_model
from services.recommender.options import RecommenderOptions
from services.recommender.service import Recommender
from services.store.seed.run import seed_database

TODAY = dt.date(2026, 11, 22)


@pytest.fixture(scope="session")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of a SQLite store seeded with 300 generated customers (plus the demo ones)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('store')}/s.db"
    seed_database(url, today=TODAY, n_customers=300, progress=False)
    return url


@pytest.fixture(scope="session")
def options() -> RecommenderOptions:
    return RecommenderOptions()


@pytest.fixture(scope="session")
def holdout_data(store_url: str, options: RecommenderOptions) -> RecommenderData:
    return load_dataset(store_url, options, holdout=True)


@pytest.fixture(scope="session")
def evaluation(holdout_data: RecommenderData, options: RecommenderOptions) -> Evaluation:
    return evaluate(holdout_data, options, progress=False)


@pytest.fixture(scope="session")
def serving_data(store_url: str, options: RecommenderOptions) -> RecommenderData:
    return load_dataset(store_url, options, holdout=False)


def build_recommender(data: RecommenderData, options: RecommenderOptions) -> Recommender:
    """Train on ``data`` and wrap the model for serving."""
    model = fit_model(data, options, progress=False)
    return Recommender.from_model(model, data.user_features, data.item_features, data.user_ids, data.items,
                                  data.train_purchases, data.user_feature_ids, options.context_weight)


@pytest.fixture(scope="session")
def recommender(serving_data: RecommenderData, options: RecommenderOptions) -> Recommender:
    return build_recommender(serving_data, options)
