"""Hold-out evaluation: ``python -m services.recommender.evaluate``.

Fits LightFM on the time-based training split and scores it, together with the
baselines, with ``lightfm.evaluation`` (precision@5, precision@10, recall@10, AUC),
each customer's training interactions excluded from the ranking:

- popularity: most purchased products in train (the same list for everyone);
- popular in category: popularity, products of the customer's most purchased
  training category first (what serving falls back to when it knows a category);
- random: seeded uniform scores per customer and product.

Slices:

- cold-start: a seeded ``cold_start_share`` of the hold-out customers lose their
  whole training history, and a second model is fitted without it. They are then
  scored as a new shopper who only names a category: their user-feature row is
  just ``pref:<category>`` (their most purchased category in the removed history),
  no identity feature, so the representation is the learnt embedding of that
  category preference; items are represented through their features as usual.
  This is how serving scores an unknown customer.
- few-interaction items: only the held-out products bought at most
  ``rare_item_max_purchases`` times in train (still ranked among all products).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from lightfm import LightFM
from lightfm.evaluation import auc_score, precision_at_k, recall_at_k

from services.recommender.dataset import RecommenderData, load_dataset
from services.recommender.fitting import fit_model
from services.recommender.options import RecommenderOptions
from services.recommender.storage import METRICS_FILE
from services.settings import get_settings

METRICS = ("precision@5", "precision@10", "recall@10", "auc")
RANKERS = ("LightFM", "popularity", "popular in category", "random")


class ScoreRanker:
    """Ranks products by fixed scores, with the ``predict_rank`` contract of LightFM.

    This lets ``lightfm.evaluation`` score the baselines exactly as it scores the
    model: same exclusion of train interactions, same pessimistic ties (an item
    ranks below every other item with an equal or higher score).
    """

    def __init__(self, scores: np.ndarray) -> None:
        """``scores``: float array of shape (n_items,) for everyone, or (n_users, n_items)."""
        self.scores = np.asarray(scores, dtype=np.float64)

    def predict_rank(
        self,
        test_interactions: sp.spmatrix,
        train_interactions: sp.spmatrix | None = None,
        item_features: sp.spmatrix | None = None,
        user_features: sp.spmatrix | None = None,
        num_threads: int = 1,
        check_intersections: bool = True,
    ) -> sp.csr_matrix:
        """float32 CSR of the shape of ``test_interactions``: the 0-based rank of each test pair."""
        test = sp.csr_matrix(test_interactions, dtype=np.float32)
        train = sp.csr_matrix(test.shape, dtype=np.float32) if train_interactions is None else sp.csr_matrix(train_interactions)
        if check_intersections and test.multiply(train).nnz:
            raise ValueError("Test interactions overlap train interactions; remove them from the test matrix.")
        scores = np.broadcast_to(self.scores, test.shape)
        ranks = test.copy()
        for user in np.flatnonzero(np.diff(test.indptr)):
            row = scores[user].copy()
            row[train.indices[train.indptr[user] : train.indptr[user + 1]]] = -np.inf
            start, stop = test.indptr[user], test.indptr[user + 1]
            own = row[test.indices[start:stop]]
            ranks.data[start:stop] = (row[None, :] >= own[:, None]).sum(axis=1) - 1
        return ranks


@dataclass
class Evaluation:
    """Result of :func:`evaluate`: ``metrics`` (JSON-ready), the hold-out ``model`` and its precision@10 ``curve`` per epoch."""

    metrics: dict
    model: LightFM
    curve: list[float] = field(default_factory=list)


def ranking_metrics(
    ranker: LightFM | ScoreRanker,
    test: sp.spmatrix,
    train: sp.spmatrix | None = None,
    user_features: sp.csr_matrix | None = None,
    item_features: sp.csr_matrix | None = None,
    num_threads: int = 1,
) -> dict[str, float]:
    """Mean precision@5, precision@10, recall@10 and AUC over the users with test pairs.

    Also the number of such "users" and of test "pairs"; the means are None when ``test`` is empty.
    """
    test = sp.csr_matrix(test)
    if test.nnz == 0:
        return {**dict.fromkeys(METRICS), "users": 0, "pairs": 0}
    kwargs = {"train_interactions": train, "user_features": user_features, "item_features": item_features,
              "num_threads": num_threads}
    return {
        "precision@5": float(precision_at_k(ranker, test, k=5, **kwargs).mean()),
        "precision@10": float(precision_at_k(ranker, test, k=10, **kwargs).mean()),
        "recall@10": float(recall_at_k(ranker, test, k=10, **kwargs).mean()),
        "auc": float(auc_score(ranker, test, **kwargs).mean()),
        "users": int((test.getnnz(axis=1) > 0).sum()),
        "pairs": int(test.nnz),
    }


def category_matrix(data: RecommenderData) -> tuple[sp.csr_matrix, list[str]]:
    """One-hot float32 CSR (n_items, n_categories) of each product's category, and the category names."""
    categories = sorted({item.category for item in data.items})
    column = {c: j for j, c in enumerate(categories)}
    cols = np.array([column[item.category] for item in data.items])
    onehot = sp.csr_matrix((np.ones(len(cols), dtype=np.float32), (np.arange(len(cols)), cols)),
                           shape=(len(cols), len(categories)))
    return onehot, categories


def favourite_categories(purchases: sp.csr_matrix, onehot: sp.csr_matrix) -> np.ndarray:
    """Per user, the column of their most purchased category (int array (n_users,); -1 without purchases)."""
    counts = np.asarray((purchases @ onehot).todense())
    return np.where(counts.sum(axis=1) > 0, counts.argmax(axis=1), -1)


def popularity_scores(purchases: sp.csr_matrix, seed: int) -> np.ndarray:
    """Purchase count per product (float (n_items,)), plus a seeded jitter below 1 that only breaks ties."""
    counts = np.asarray(purchases.sum(axis=0)).ravel()
    return counts + np.random.default_rng(seed).random(counts.shape[0]) * 0.5


def category_popularity_scores(popularity: np.ndarray, onehot: sp.csr_matrix, favourite: np.ndarray) -> np.ndarray:
    """(n_users, n_items) scores: the user's favourite category first, by popularity within each group."""
    in_favourite = np.asarray(onehot.todense())[:, np.maximum(favourite, 0)].T * (favourite >= 0)[:, None]
    return popularity[None, :] + in_favourite * (popularity.max() + 1.0)


def compare(
    model: LightFM,
    data: RecommenderData,
    test: sp.spmatrix,
    options: RecommenderOptions,
    train: sp.spmatrix | None,
    user_features: sp.csr_matrix,
    favourite: np.ndarray,
) -> dict[str, dict[str, float]]:
    """Metrics of the model and the three baselines on ``test`` (same exclusions for all)."""
    onehot, _ = category_matrix(data)
    popularity = popularity_scores(data.train_purchases, options.seed)
    rankers = {
        "LightFM": (model, {"user_features": user_features, "item_features": data.item_features}),
        "popularity": (ScoreRanker(popularity), {}),
        "popular in category": (ScoreRanker(category_popularity_scores(popularity, onehot, favourite)), {}),
        "random": (ScoreRanker(np.random.default_rng(options.seed).random(data.shape)), {}),
    }
    return {
        name: ranking_metrics(ranker, test, train, num_threads=options.num_threads, **features)
        for name, (ranker, features) in rankers.items()
    }


@dataclass
class ColdStart:
    """The cold-start slice: training data without the cold users' history, and how to score them."""

    data: RecommenderData  # train/train_purchases without the cold users' rows
    test: sp.csr_matrix  # (n_users, n_items) held-out pairs of the cold users only
    user_features: sp.csr_matrix  # (n_users, n_user_features) cold rows: just pref:<context category>
    context: np.ndarray  # (n_users,) context category column per user, -1 for warm users


def cold_start_split(data: RecommenderData, options: RecommenderOptions) -> ColdStart:
    """Pick the cold users (seeded) and remove their history; see the module docstring."""
    test = data.test.tocsr()
    candidates = np.flatnonzero((test.getnnz(axis=1) > 0) & (data.train_purchases.getnnz(axis=1) > 0))
    n_cold = max(1, round(len(candidates) * options.cold_start_share))
    cold = np.sort(np.random.default_rng(options.seed).choice(candidates, size=n_cold, replace=False))
    is_cold = np.zeros(data.shape[0], dtype=bool)
    is_cold[cold] = True
    onehot, categories = category_matrix(data)
    context = np.where(is_cold, favourite_categories(data.train_purchases, onehot), -1)

    def prune(matrix: sp.spmatrix) -> sp.csr_matrix:
        return select_rows(matrix, ~is_cold)

    # Cold rows keep only their identity feature in training (they have no interactions to learn from).
    identity = sp.csr_matrix((np.ones(n_cold, dtype=np.float32), (cold, cold)), shape=data.user_features.shape)
    train_data = replace(
        data,
        train=prune(data.train).tocoo(),
        train_purchases=prune(data.train_purchases),
        user_features=prune(data.user_features) + identity,
    )
    pref_columns = [data.user_feature_ids.get(f"pref:{c}") for c in categories]
    if all(col is not None for col in pref_columns):
        cols = np.array(pref_columns)[context[cold]]
        named = sp.csr_matrix((np.ones(n_cold, dtype=np.float32), (cold, cols)), shape=data.user_features.shape)
    else:  # no user features: a new user is the zero vector, scored by item biases alone
        named = sp.csr_matrix(data.user_features.shape, dtype=np.float32)
    return ColdStart(train_data, select_rows(test, is_cold), prune(data.user_features) + named, context)


def rare_item_test(data: RecommenderData, max_purchases: int = 5) -> sp.csr_matrix:
    """The held-out pairs whose product was bought at most ``max_purchases`` times in train."""
    rare = np.asarray(data.train_purchases.sum(axis=0)).ravel() <= max_purchases
    return select_rows(data.test.T, rare).T.tocsr()


def select_rows(matrix: sp.spmatrix, keep: np.ndarray) -> sp.csr_matrix:
    """float32 CSR copy of ``matrix`` with the rows where bool array ``keep`` is False emptied (no stored zeros)."""
    selected = sp.csr_matrix(sp.diags(keep.astype(np.float32)) @ matrix, dtype=np.float32)
    selected.eliminate_zeros()
    return selected


def evaluate(data: RecommenderData, options: RecommenderOptions | None = None, progress: bool = True) -> Evaluation:
    """Fit on ``data.train`` and compute every metric; ``data`` must be built with a hold-out."""
    options = options or RecommenderOptions()
    test = data.test.tocsr()
    if test.nnz == 0:
        raise ValueError("data has no hold-out; build it with build_dataset(..., holdout=True).")
    # Every train interaction (views too) is excluded from the ranking, like lightfm.evaluation expects.
    train = data.train.tocsr()
    curve: list[float] = []

    def record(_epoch: int, model: LightFM) -> None:
        curve.append(float(precision_at_k(model, test, train, k=10, user_features=data.user_features,
                                          item_features=data.item_features, num_threads=options.num_threads).mean()))

    model = fit_model(data, options, progress=progress, on_epoch=record)
    onehot, _ = category_matrix(data)
    favourite = favourite_categories(data.train_purchases, onehot)
    slices = {
        "all": compare(model, data, test, options, train, data.user_features, favourite),
        "few-interaction items": compare(model, data, rare_item_test(data, options.rare_item_max_purchases), options, train,
                                         data.user_features, favourite),
    }
    cold = cold_start_split(data, options)
    cold_model = fit_model(cold.data, options, progress=progress)
    slices["cold-start"] = compare(cold_model, cold.data, cold.test, options, None, cold.user_features, cold.context)
    metrics = {
        "slices": slices,
        "options": options.to_dict(),
        "shape": list(data.shape),
        "train_interactions": int(data.train.nnz),
        "test_pairs": int(test.nnz),
    }
    return Evaluation(metrics=metrics, model=model, curve=curve)


def format_table(metrics: dict) -> str:
    """Side-by-side plain-text table: one row per slice and metric, one column per ranker."""
    header = f"{'slice':<22}{'metric':<14}" + "".join(f"{name:>21}" for name in RANKERS) + f"{'users':>8}{'pairs':>7}"
    lines = [header, "-" * len(header)]
    for slice_name, results in metrics["slices"].items():
        model = results["LightFM"]
        for metric in METRICS:
            cells = "".join(_cell(results[name][metric]) for name in RANKERS)
            lines.append(f"{slice_name:<22}{metric:<14}{cells}{model['users']:>8}{model['pairs']:>7}")
    return "\n".join(lines)


def _cell(value: float | None) -> str:
    return f"{'n/a':>21}" if value is None else f"{value:>21.4f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=None, help="store database URL (default: STORE_DATABASE_URL)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"metrics JSON to write (default: RECOMMENDER_DIR/{METRICS_FILE})")
    args = parser.parse_args(argv)
    options = RecommenderOptions()
    report = evaluate(load_dataset(args.url, options, holdout=True), options)
    print(format_table(report.metrics))
    out = args.out or get_settings().recommender_dir / METRICS_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report.metrics, indent=2, sort_keys=True) + "\n")
    print(f"metrics written to {out}")


if __name__ == "__main__":
    main()
