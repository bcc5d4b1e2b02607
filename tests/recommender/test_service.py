"""Serving: exclusions, cold start, context, reasons, persistence and determinism."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from services.recommender import storage, train
from services.recommender.dataset import RecommenderData
from services.recommender.options import RecommenderOptions
from services.recommender.service import Recommender, get_recommender
from services.store import models as m
from services.store.db import session_scope

from .conftest import build_recommender


def bought(store_url: str, customer_id: str) -> set[int]:
    with session_scope(store_url) as session:
        rows = session.scalars(select(m.Interaction.product_id).where(
            m.Interaction.customer_id == customer_id, m.Interaction.kind == "purchase"))
        return set(rows)


@pytest.fixture(scope="module")
def customers(serving_data: RecommenderData) -> list[str]:
    """Customers with purchases, in a stable order."""
    rows = serving_data.train_purchases.getnnz(axis=1) > 0
    return sorted(c for c, row in serving_data.user_ids.items() if rows[row])[:40]


def test_known_customer_never_gets_bought_or_out_of_stock_items(
    recommender: Recommender, customers: list[str], store_url: str
) -> None:
    with session_scope(store_url) as session:
        out_of_stock = set(session.scalars(select(m.Product.id).where(m.Product.stock <= 0)))
    assert out_of_stock
    for customer in customers:
        recs = recommender.recommend(customer, n=10)
        assert len(recs) == 10
        ids = {r.product_id for r in recs}
        assert not ids & bought(store_url, customer), customer
        assert not ids & out_of_stock, customer
        assert [r.score for r in recs] == sorted((r.score for r in recs), reverse=True)


@pytest.fixture
def sold_out(recommender: Recommender, customers: list[str], store_url: str) -> Iterator[int]:
    """The first customer's top product, with its stock set to 0 in the database (restored afterwards)."""
    product_id = recommender.recommend(customers[0], n=1)[0].product_id
    with session_scope(store_url) as session:
        stock = session.scalar(select(m.Product.stock).where(m.Product.id == product_id))
        session.execute(update(m.Product).where(m.Product.id == product_id).values(stock=0))
    yield product_id
    with session_scope(store_url) as session:
        session.execute(update(m.Product).where(m.Product.id == product_id).values(stock=stock))
        recommender.refresh_stock(session)


def test_refresh_stock_drops_sold_out_products(
    recommender: Recommender, customers: list[str], store_url: str, sold_out: int
) -> None:
    assert sold_out in {r.product_id for r in recommender.recommend(customers[0], n=3)}  # stale stock
    with session_scope(store_url) as session:
        recommender.refresh_stock(session)
    assert sold_out not in {r.product_id for r in recommender.recommend(customers[0], n=10)}
    assert sold_out not in {r.product_id for r in recommender.recommend(None, n=50)}


def test_reason_names_a_product_the_customer_bought(recommender: Recommender, customers: list[str], store_url: str) -> None:
    names = {item.product_id: item.name for item in recommender.items}
    bought_names = {names[p] for p in bought(store_url, customers[1])}
    for rec in recommender.recommend(customers[1], n=5):
        assert rec.reason.startswith("because you bought ")
        assert rec.reason.removeprefix("because you bought ") in bought_names


@pytest.mark.parametrize("customer", [None, "C-unknown"])
def test_cold_start_with_a_category_stays_in_it(recommender: Recommender, customer: str | None) -> None:
    recs = recommender.recommend(customer, n=5, context_category="coffee")
    assert len(recs) == 5
    assert {r.category for r in recs} == {"coffee"}
    assert {r.reason for r in recs} == {"popular in coffee"}


def test_cold_start_without_context_is_popularity(recommender: Recommender) -> None:
    recs = recommender.recommend(None, n=5)
    assert {r.reason for r in recs} == {"popular right now"}
    in_stock = recommender.popularity[recommender.stock > 0]
    assert [r.score for r in recs] == sorted(in_stock, reverse=True)[:5]  # purchase counts (ties in any order)


def test_context_product_is_excluded_and_named(recommender: Recommender, customers: list[str]) -> None:
    anchor = next(item for item in recommender.items if item.name == "Roastwell Nova Espresso Machine")
    for customer in (customers[2], None):
        recs = recommender.recommend(customer, n=5, context_product_ids=[anchor.product_id])
        assert anchor.product_id not in {r.product_id for r in recs}
        assert {r.reason for r in recs} == {f"goes well with {anchor.name}"}
        assert sum(r.category == "coffee" for r in recs) >= 3  # the context pulls in its own category


def test_explicit_exclusions_and_unknown_category(recommender: Recommender, customers: list[str]) -> None:
    first = recommender.recommend(customers[3], n=3)
    again = recommender.recommend(customers[3], n=3, exclude_product_ids=[r.product_id for r in first])
    assert not {r.product_id for r in first} & {r.product_id for r in again}
    assert recommender.recommend(customers[3], context_category="spaceships") == []


def test_same_seed_gives_identical_top_10(serving_data: RecommenderData, options: RecommenderOptions,
                                          customers: list[str]) -> None:
    first, second = build_recommender(serving_data, options), build_recommender(serving_data, options)
    for customer in customers[:20] + [None]:
        assert first.recommend(customer, n=10) == second.recommend(customer, n=10)


def test_final_training_directory_loads_once_and_matches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_url: str, recommender: Recommender, customers: list[str],
) -> None:
    train.main(["--url", store_url, "--out", str(tmp_path), "--final"])
    manifest = json.loads((tmp_path / storage.MANIFEST_FILE).read_text())
    assert manifest["trained_on"] == "all interactions"
    assert set(json.loads((tmp_path / storage.METRICS_FILE).read_text())["slices"]) >= {"all", "cold-start"}
    assert (tmp_path / storage.PLOT_FILE).stat().st_size > 0
    monkeypatch.setenv("RECOMMENDER_DIR", str(tmp_path))
    get_recommender.cache_clear()
    try:
        loaded = get_recommender()
        assert loaded is not None and get_recommender() is loaded
        # Same seed and data as the in-memory fixture: the reloaded model serves the same lists.
        for customer in customers[:5] + [None]:
            assert loaded.recommend(customer, n=10) == recommender.recommend(customer, n=10)
    finally:
        get_recommender.cache_clear()


def test_missing_model_disables_recommendations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("RECOMMENDER_DIR", str(tmp_path / "nothing-here"))
    get_recommender.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="services.recommender.service"):
            assert get_recommender() is None
        assert "python -m services.recommender.train --final" in caplog.text
    finally:
        get_recommender.cache_clear()
