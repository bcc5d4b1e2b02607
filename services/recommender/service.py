"""Serve recommendations from the persisted LightFM model, loaded once per process.

Representations are computed once at load time (``get_user_representations`` /
``get_item_representations`` with the training features); a request is then one
matrix-vector product plus item biases, masking and an ``argpartition`` top-k.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from lightfm import LightFM
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.recommender.dataset import ItemMeta
from services.recommender.options import RecommenderOptions
from services.recommender.storage import (
    ITEM_FEATURES_FILE,
    ITEMS_FILE,
    MANIFEST_FILE,
    MAPPINGS_FILE,
    MODEL_FILE,
    PURCHASES_FILE,
    USER_FEATURES_FILE,
    load_lightfm,
)
from services.settings import get_settings
from services.store import models as m

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recommendation:
    """One recommended product and a short human reason for it."""

    product_id: int
    name: str
    price: float
    category: str
    score: float
    reason: str


class Recommender:
    """Ranks in-stock products for a customer, a category or products in the conversation.

    Build with :meth:`load` (a persisted directory) or :meth:`from_model` (in memory, no database).
    """

    def __init__(
        self,
        item_biases: np.ndarray,
        item_vectors: np.ndarray,
        user_vectors: np.ndarray,
        user_ids: dict[str, int],
        items: Sequence[ItemMeta],
        purchases: sp.csr_matrix,
        category_vectors: dict[str, np.ndarray] | None = None,
        context_weight: float = RecommenderOptions.context_weight,
    ) -> None:
        """Arrays are float32: ``item_biases`` (n_items,), ``item_vectors`` (n_items, k),
        ``user_vectors`` (n_users, k), ``category_vectors`` name -> (k,) (the "pref:<category>"
        user-feature embedding, used for new shoppers); ``purchases`` is CSR (n_users, n_items);
        ``user_ids`` maps customer id -> row, ``items`` are in column order.
        """
        n_items = len(items)
        if item_vectors.shape[0] != n_items or item_biases.shape != (n_items,) or purchases.shape[1] != n_items:
            raise ValueError("Item arrays, items and purchases disagree on the number of products; retrain the model.")
        if user_vectors.shape[0] != purchases.shape[0] or len(user_ids) > user_vectors.shape[0]:
            raise ValueError("User vectors, user_ids and purchases disagree on the number of customers; retrain the model.")
        self.item_biases = np.asarray(item_biases, dtype=np.float32)
        self.item_vectors = np.ascontiguousarray(item_vectors, dtype=np.float32)
        norms = np.linalg.norm(self.item_vectors, axis=1, keepdims=True)
        self.unit_vectors = self.item_vectors / np.where(norms > 0, norms, 1.0)  # rows for cosine similarity
        self.user_vectors = np.ascontiguousarray(user_vectors, dtype=np.float32)
        self.user_ids = user_ids
        self.items = list(items)
        self.columns = {item.product_id: col for col, item in enumerate(self.items)}
        self.categories = sorted({item.category for item in self.items})
        code = {c: i for i, c in enumerate(self.categories)}
        self.category_codes = np.array([code[item.category] for item in self.items])
        self.stock = np.array([item.stock for item in self.items])
        self.purchases = sp.csr_matrix(purchases)
        self.popularity = np.asarray(self.purchases.sum(axis=0), dtype=np.float32).ravel()
        self.category_vectors = category_vectors or {}
        self.context_weight = context_weight

    @classmethod
    def from_model(
        cls,
        model: LightFM,
        user_features: sp.csr_matrix,
        item_features: sp.csr_matrix,
        user_ids: dict[str, int],
        items: Sequence[ItemMeta],
        purchases: sp.csr_matrix,
        user_feature_ids: dict[str, int] | None = None,
        context_weight: float = RecommenderOptions.context_weight,
    ) -> Recommender:
        """Precompute representations of a fitted model with its training feature matrices.

        ``user_feature_ids`` maps "pref:<category>" to its user-feature column; without it,
        new shoppers are ranked by popularity only.
        """
        item_biases, item_vectors = model.get_item_representations(item_features)
        _, user_vectors = model.get_user_representations(user_features)
        prefs = {name[len("pref:"):]: col for name, col in (user_feature_ids or {}).items() if name.startswith("pref:")}
        category_vectors = {}
        if prefs:
            # A new shopper who names one category is the one-hot row of that "pref:" feature.
            names, cols = list(prefs), list(prefs.values())
            onehot = sp.csr_matrix((np.ones(len(cols)), (range(len(cols)), cols)), shape=(len(cols), user_features.shape[1]))
            _, vectors = model.get_user_representations(onehot)
            category_vectors = dict(zip(names, vectors))
        return cls(item_biases, item_vectors, user_vectors, user_ids, items, purchases, category_vectors, context_weight)

    @classmethod
    def load(cls, directory: Path) -> Recommender:
        """Load a directory written by ``python -m services.recommender.train``; FileNotFoundError if incomplete."""
        manifest = json.loads((directory / MANIFEST_FILE).read_text())
        mappings = json.loads((directory / MAPPINGS_FILE).read_text())
        model = load_lightfm(directory / MODEL_FILE, manifest["lightfm_params"])
        items = [ItemMeta(**row) for row in json.loads((directory / ITEMS_FILE).read_text())]
        return cls.from_model(
            model,
            sp.load_npz(directory / USER_FEATURES_FILE).tocsr(),
            sp.load_npz(directory / ITEM_FEATURES_FILE).tocsr(),
            mappings["user_ids"],
            items,
            sp.load_npz(directory / PURCHASES_FILE).tocsr(),
            mappings["user_feature_ids"],
            manifest["options"]["context_weight"],
        )

    def refresh_stock(self, session: Session) -> None:
        """Reload stock levels from the store database (products unknown to the model are ignored)."""
        stock = self.stock.copy()
        for product_id, level in session.execute(select(m.Product.id, m.Product.stock)):
            col = self.columns.get(product_id)
            if col is not None:
                stock[col] = level
        self.stock = stock  # swapped in one assignment: concurrent requests see old or new levels

    def recommend(
        self,
        customer_id: str | None,
        n: int = 3,
        context_product_ids: Iterable[int] = (),
        context_category: str | None = None,
        exclude_product_ids: Iterable[int] = (),
    ) -> list[Recommendation]:
        """Up to ``n`` in-stock products, best first.

        The query vector is the customer's (known customers, who are never offered what
        they already bought) and/or the context vector: the mean "pref:" embedding of
        ``context_category`` and of the context products' categories, mixed in with
        ``context_weight``. Without either, products are ranked by popularity. Context
        products ("goes with my X") also blend cosine similarity to them into the score
        (``context_weight`` again) and are never recommended themselves.
        ``context_category`` restricts results to that category; an unknown category gives [].
        """
        if context_category is not None and context_category not in self.categories:
            return []
        row = self.user_ids.get(customer_id) if customer_id is not None else None
        context = self._cols(context_product_ids)
        bought = self._bought(row)

        w = self.context_weight
        query = self._context_vector(context, context_category)
        if row is not None:
            user = self.user_vectors[row]
            query, basis = user if query is None else (1.0 - w) * user + w * query, "history"
        else:
            basis = "category" if query is not None else "popular"
        scores = self.popularity if query is None else self.item_vectors @ query + self.item_biases
        if len(context):
            similarity = self.unit_vectors @ self.unit_vectors[context].T  # (n_items, n_context)
            scores = (1.0 - w) * _standardise(scores) + w * _standardise(similarity.max(axis=1))

        allowed = self.stock > 0
        allowed[bought] = False
        allowed[context] = False
        allowed[self._cols(exclude_product_ids)] = False
        if context_category is not None:
            allowed &= self.category_codes == self.categories.index(context_category)
        candidates = np.flatnonzero(allowed)
        top = candidates[_top_k(scores[candidates], n)]
        recommendations = []
        for col, reason in zip(top, self._reasons(top, basis, context, bought, context_category)):
            item = self.items[col]
            recommendations.append(
                Recommendation(item.product_id, item.name, item.price, item.category, float(scores[col]), reason)
            )
        return recommendations

    def _bought(self, row: int | None) -> np.ndarray:
        """Columns of the products customer ``row`` bought (empty for unknown customers)."""
        if row is None:
            return np.empty(0, dtype=np.int64)
        return self.purchases.indices[self.purchases.indptr[row] : self.purchases.indptr[row + 1]].astype(np.int64)

    def _cols(self, product_ids: Iterable[int]) -> np.ndarray:
        """Columns of the known products among ``product_ids`` (unknown ids are ignored)."""
        return np.array([self.columns[p] for p in product_ids if p in self.columns], dtype=np.int64)

    def _context_vector(self, context: np.ndarray, category: str | None) -> np.ndarray | None:
        """Mean "pref:" embedding of the named category and the context products' categories."""
        names = ([category] if category else []) + [self.items[col].category for col in context]
        vectors = [self.category_vectors[c] for c in names if c in self.category_vectors]
        return np.mean(vectors, axis=0) if vectors else None

    def _reasons(
        self, top: np.ndarray, basis: str, context: np.ndarray, bought: np.ndarray, category: str | None
    ) -> list[str]:
        if len(context):
            anchors = context[(self.unit_vectors[top] @ self.unit_vectors[context].T).argmax(axis=1)]
            return [f"goes well with {self.items[a].name}" for a in anchors]
        if basis == "history" and len(bought):
            anchors = bought[(self.unit_vectors[top] @ self.unit_vectors[bought].T).argmax(axis=1)]
            return [f"because you bought {self.items[a].name}" for a in anchors]
        if basis == "popular" and category is None:
            return ["popular right now"] * len(top)
        return [f"popular in {self.items[col].category}" for col in top]


def _standardise(values: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance (all zeros if constant): puts model scores and cosines on one scale."""
    std = values.std()
    return (values - values.mean()) / std if std > 0 else np.zeros_like(values)


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest ``scores``, highest first (argpartition, then sort only those)."""
    if k <= 0 or scores.size == 0:
        return np.empty(0, dtype=np.int64)
    if k < scores.size:
        best = np.argpartition(-scores, k - 1)[:k]
    else:
        best = np.arange(scores.size)
    return best[np.lexsort((best, -scores[best]))]  # ties: lower column first


@lru_cache(maxsize=1)
def get_recommender() -> Recommender | None:
    """The process-wide recommender from ``get_settings().recommender_dir``, or None (with a warning) if not trained.

    Cached: the model is read once per process; call ``get_recommender.cache_clear()`` to reload.
    """
    directory = get_settings().recommender_dir
    try:
        return Recommender.load(directory)
    except FileNotFoundError as error:
        logger.warning(
            "No recommender model in %s (%s); recommendations are disabled. Train one with: "
            "python -m services.recommender.train --final", directory, error.filename,
        )
        return None
