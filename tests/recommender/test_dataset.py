"""The LightFM dataset built from the seeded store: shapes, weights and the time-based split."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from sqlalchemy import func, select

from services.recommender.dataset import RecommenderData, load_events, time_split
from services.recommender.options import RecommenderOptions
from services.store import models as m
from services.store.db import session_scope


def test_shapes_and_dtypes(holdout_data: RecommenderData, store_url: str) -> None:
    with session_scope(store_url) as session:
        n_customers = session.scalar(select(func.count()).select_from(m.Customer))
        n_products = session.scalar(select(func.count()).select_from(m.Product))
    assert holdout_data.shape == (n_customers, n_products)
    assert holdout_data.test.shape == holdout_data.train_purchases.shape == holdout_data.shape
    assert holdout_data.user_features.shape[0] == n_customers
    assert holdout_data.item_features.shape[0] == n_products
    for matrix in (holdout_data.train, holdout_data.test, holdout_data.user_features, holdout_data.item_features):
        assert matrix.dtype == np.float32
    np.testing.assert_allclose(holdout_data.item_features.sum(axis=1), 1.0, rtol=1e-5)
    assert len(holdout_data.items) == n_products
    assert [item.product_id for item in holdout_data.items] == sorted(holdout_data.item_ids, key=holdout_data.item_ids.get)


def test_item_and_user_features(holdout_data: RecommenderData) -> None:
    features = holdout_data.dataset.mapping()[3]
    assert {"category:coffee", "brand:Roastwell", "price_band:<25", "price_band:>=200", "tag:espresso"} <= set(features)
    prefs = [name for name in holdout_data.user_feature_ids if name.startswith("pref:")]
    assert sorted(prefs) == sorted(f"pref:{c}" for c in {item.category for item in holdout_data.items})


def test_purchases_weigh_more_than_views(serving_data: RecommenderData, store_url: str, options: RecommenderOptions) -> None:
    with session_scope(store_url) as session:
        events = load_events(session)
    kinds = defaultdict(list)
    for event in events:
        kinds[event.customer_id, event.product_id].append(event.kind)
    train = serving_data.train.tocsr()

    def weight(pair: tuple[str, int]) -> float:
        return float(train[serving_data.user_ids[pair[0]], serving_data.item_ids[pair[1]]])

    only_viewed = [pair for pair, k in kinds.items() if k == ["view"]]
    only_bought = [pair for pair, k in kinds.items() if k == ["purchase"]]
    assert only_viewed and only_bought
    assert {weight(pair) for pair in only_viewed} == {options.view_weight}
    assert {weight(pair) for pair in only_bought} == {options.purchase_weight}
    assert options.purchase_weight > options.view_weight
    assert (train.data > 0).all()


def test_interaction_weight_and_price_band() -> None:
    options = RecommenderOptions()
    assert options.interaction_weight("rating", 5) == pytest.approx(2.5)
    assert options.interaction_weight("rating", 1) == options.min_rating_weight
    with pytest.raises(ValueError, match="Unknown interaction kind"):
        options.interaction_weight("click")
    assert [options.price_band(p) for p in (9.99, 25.0, 199.99, 449.0)] == ["<25", "25-75", "75-200", ">=200"]


def test_time_split_has_no_leakage(store_url: str, options: RecommenderOptions) -> None:
    with session_scope(store_url) as session:
        events = load_events(session)
    train, test = time_split(events, options.holdout_per_user)
    assert len(train) + len(test) <= len(events)
    assert test and all(e.kind == "purchase" for e in test)
    latest_train, earliest_test = {}, {}
    for e in train:
        latest_train[e.customer_id] = max(e.occurred_at, latest_train.get(e.customer_id, e.occurred_at))
    for e in test:
        earliest_test[e.customer_id] = min(e.occurred_at, earliest_test.get(e.customer_id, e.occurred_at))
    for customer, earliest in earliest_test.items():
        assert latest_train[customer] < earliest, customer  # every held-out purchase is after all train events
    held_out = defaultdict(int)
    for e in test:
        held_out[e.customer_id] += 1
    assert min(held_out.values()) >= options.holdout_per_user


def test_test_matrix_is_disjoint_from_train(holdout_data: RecommenderData) -> None:
    test, train = holdout_data.test.tocsr(), holdout_data.train.tocsr()
    assert test.nnz > 0
    assert test.multiply(train).nnz == 0
    assert set(test.data) == {1.0}


def test_without_holdout_everything_is_train(serving_data: RecommenderData, holdout_data: RecommenderData) -> None:
    assert serving_data.test.nnz == 0
    assert serving_data.train.nnz > holdout_data.train.nnz
    assert serving_data.train_purchases.sum() > holdout_data.train_purchases.sum()
