"""Build the LightFM dataset from the store database, with a time-based hold-out.

Users are customers and items are products (all of them, so every product can be
served). Interactions are summed per (customer, product) with the weights of
:class:`~services.recommender.options.RecommenderOptions`. The hold-out holds each
customer's newest purchases; everything the customer did from that moment on is
removed from training, so the model never sees the future.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from lightfm.data import Dataset
from sqlalchemy import Float, cast, select
from sqlalchemy.orm import Session

from services.recommender.options import RecommenderOptions
from services.store import models as m
from services.store.db import session_scope

# Prices are read as floats in SQL: SQLite has no decimal type, and scoring needs floats anyway.
_PRICE = cast(m.Product.price, Float)


@dataclass(frozen=True)
class ItemMeta:
    """What serving needs to show and filter a product."""

    product_id: int
    name: str
    price: float
    category: str
    stock: int


@dataclass(frozen=True)
class Event:
    """One row of the ``interactions`` table."""

    customer_id: str
    product_id: int
    kind: str
    rating: int | None
    occurred_at: dt.datetime


@dataclass
class RecommenderData:
    """Matrices and mappings for one training run.

    ``n_users`` is every customer, ``n_items`` every product; all matrices are float32.

    - ``train``: COO (n_users, n_items), summed interaction weights (all > 0).
    - ``test``: COO (n_users, n_items), 1.0 per held-out purchase of a product the
      customer has no training interaction with; empty when built without hold-out.
    - ``train_purchases``: CSR (n_users, n_items), purchase counts in ``train``.
    - ``user_features``: CSR (n_users, n_user_features), identity + "pref:<category>", rows sum to 1.
    - ``item_features``: CSR (n_items, n_item_features), identity + category/brand/price band/tags, rows sum to 1.
    - ``user_ids``/``item_ids``: customer id -> row, product id -> column.
    - ``items``: metadata in column order.
    """

    dataset: Dataset
    train: sp.coo_matrix
    test: sp.coo_matrix
    train_purchases: sp.csr_matrix
    user_features: sp.csr_matrix
    item_features: sp.csr_matrix
    user_ids: dict[str, int]
    item_ids: dict[int, int]
    items: list[ItemMeta]

    @property
    def shape(self) -> tuple[int, int]:
        """(n_users, n_items)."""
        return self.train.shape

    @property
    def user_feature_ids(self) -> dict[str, int]:
        """User feature name -> column of ``user_features`` (identity features are the customer ids)."""
        return self.dataset.mapping()[1]

    def interactions(self) -> sp.coo_matrix:
        """``train`` with every weight set to 1.0: the positives LightFM fits (weights go in ``sample_weight``)."""
        ones = self.train.copy()
        ones.data[:] = 1.0
        return ones


def load_items(session: Session) -> list[ItemMeta]:
    """All products ordered by id."""
    p = m.Product
    rows = session.execute(select(p.id, p.name, _PRICE, p.category, p.stock).order_by(p.id))
    return [ItemMeta(pid, name, price, category, stock) for pid, name, price, category, stock in rows]


def load_events(session: Session) -> list[Event]:
    """All interactions, oldest first (ties broken by id, so the order is stable)."""
    i = m.Interaction
    rows = session.execute(
        select(i.customer_id, i.product_id, i.kind, i.rating, i.occurred_at).order_by(i.occurred_at, i.id)
    )
    return [Event(*row) for row in rows]


def time_split(events: Iterable[Event], holdout_per_user: int = 2) -> tuple[list[Event], list[Event]]:
    """Split events into (train events, held-out purchases) per customer, by time.

    The cutoff of a customer is the time of their ``holdout_per_user``-th newest
    purchase; purchases at or after it are held out (so an order is never split) and
    every other event at or after it is dropped. Customers without a purchase
    before the cutoff keep everything in train: a hold-out needs a history to predict from.
    """
    by_customer: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        by_customer[event.customer_id].append(event)
    train: list[Event] = []
    test: list[Event] = []
    for customer_events in by_customer.values():
        times = sorted(e.occurred_at for e in customer_events if e.kind == "purchase")
        if len(times) <= holdout_per_user or times[0] >= times[-holdout_per_user]:
            train.extend(customer_events)
            continue
        cutoff = times[-holdout_per_user]
        train.extend(e for e in customer_events if e.occurred_at < cutoff)
        test.extend(e for e in customer_events if e.occurred_at >= cutoff and e.kind == "purchase")
    return train, test


def load_item_features(session: Session, options: RecommenderOptions) -> dict[int, list[str]]:
    """Product id -> feature names, e.g. ``["category:coffee", "brand:Roastwell", "price_band:>=200", "tag:espresso"]``."""
    p = m.Product
    rows = session.execute(select(p.id, p.category, p.brand, _PRICE, p.tags).order_by(p.id))
    return {
        pid: [f"category:{category}", f"brand:{brand}", f"price_band:{options.price_band(price)}"]
        + [f"tag:{tag}" for tag in tags.split(",") if tag]
        for pid, category, brand, price, tags in rows
    }


def category_preferences(purchases: Iterable[Event], categories: dict[int, str], top: int = 3) -> dict[str, dict[str, float]]:
    """Customer id -> {"pref:<category>": weight} over their ``top`` most purchased categories, weights summing to 1."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for event in purchases:
        counts[event.customer_id][categories[event.product_id]] += 1
    prefs = {}
    for customer_id, counter in counts.items():
        best = counter.most_common(top)
        total = sum(n for _, n in best)
        prefs[customer_id] = {f"pref:{category}": n / total for category, n in best}
    return prefs


def build_dataset(session: Session, options: RecommenderOptions | None = None, holdout: bool = True) -> RecommenderData:
    """Read the store database and build the matrices of :class:`RecommenderData`.

    With ``holdout=False`` every interaction goes to ``train`` (the serving model) and ``test`` is empty.
    """
    options = options or RecommenderOptions()
    items = load_items(session)
    if not items:
        raise ValueError("The store has no products; seed it first: python -m services.store.seed.run")
    features_by_item = load_item_features(session, options)
    customer_ids = list(session.scalars(select(m.Customer.id).order_by(m.Customer.id)))
    events = load_events(session)
    train_events, test_events = time_split(events, options.holdout_per_user) if holdout else (events, [])
    train_bought = [e for e in train_events if e.kind == "purchase"]

    categories = {item.product_id: item.category for item in items}
    prefs = category_preferences(train_bought, categories, options.top_categories) if options.use_user_features else {}
    pref_vocabulary = [f"pref:{c}" for c in sorted(set(categories.values()))] if options.use_user_features else []

    dataset = Dataset(user_identity_features=True, item_identity_features=True)
    dataset.fit(
        users=customer_ids,
        items=[item.product_id for item in items],
        user_features=pref_vocabulary,
        item_features=sorted({f for names in features_by_item.values() for f in names}),
    )
    # build_interactions keeps duplicate (user, item) entries; CSR conversion sums them.
    _, weights = dataset.build_interactions(
        (e.customer_id, e.product_id, options.interaction_weight(e.kind, e.rating)) for e in train_events
    )
    train = weights.tocsr()
    purchases = dataset.build_interactions((e.customer_id, e.product_id) for e in train_bought)[0].tocsr()
    test = dataset.build_interactions((e.customer_id, e.product_id) for e in test_events)[0].tocsr()
    # A held-out product the customer already interacted with in train cannot be ranked
    # (lightfm.evaluation excludes train interactions), so it is not a test case.
    test = (test - test.multiply(train > 0)).astype(np.float32)
    test.eliminate_zeros()
    test.data[:] = 1.0

    user_ids, _, item_ids, _ = dataset.mapping()
    return RecommenderData(
        dataset=dataset,
        train=train.astype(np.float32).tocoo(),
        test=test.tocoo(),
        train_purchases=purchases.astype(np.float32),
        user_features=dataset.build_user_features(prefs.items(), normalize=True),
        item_features=dataset.build_item_features(features_by_item.items(), normalize=True),
        user_ids=dict(user_ids),
        item_ids=dict(item_ids),
        items=items,
    )


def load_dataset(url: str | None = None, options: RecommenderOptions | None = None, holdout: bool = True) -> RecommenderData:
    """:func:`build_dataset` on the database at ``url`` (default: ``get_settings().database_url``)."""
    with session_scope(url) as session:
        return build_dataset(session, options, holdout)
