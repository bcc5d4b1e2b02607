"""Per-request latency of the serving path against naive ``model.predict`` + full sort.

``python bench/recommend_latency.py``: builds a seeded synthetic store (10,000
products, 50,000 customers, sparse interactions and item features), trains LightFM
for a few epochs with the real training code, then times, in the same run:

- serving: ``Recommender.recommend`` (precomputed representations, one dot product,
  exclusions of bought and out-of-stock items, argpartition top-k, reasons);
- naive: ``model.predict(user, all items, item_features=..., user_features=...)`` + argsort.

Target: serving p50 <= 5 ms per request.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from lightfm.data import Dataset

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from the repo root

from services.recommender.dataset import ItemMeta, RecommenderData
from services.recommender.fitting import fit_model
from services.recommender.options import RecommenderOptions
from services.recommender.service import Recommender

TARGET_P50_MS = 5.0


def synthetic_data(
    n_items: int = 10_000, n_users: int = 50_000, n_categories: int = 50, mean_interactions: float = 8.0, seed: int = 0
) -> RecommenderData:
    """A seeded random store: each customer mostly buys in one favourite category, skewed to popular items."""
    rng = np.random.default_rng(seed)
    per_category = n_items // n_categories
    item_category = np.arange(n_items) // per_category
    favourite = rng.integers(n_categories, size=n_users)
    counts = 1 + rng.poisson(mean_interactions - 1, size=n_users)
    users = np.repeat(np.arange(n_users), counts)
    in_favourite = rng.random(users.size) < 0.7
    category = np.where(in_favourite, favourite[users], rng.integers(n_categories, size=users.size))
    items = category * per_category + (per_category * rng.random(users.size) ** 2).astype(int)  # low ranks popular

    user_ids = [f"U-{u}" for u in range(n_users)]
    categories = [f"cat{c}" for c in range(n_categories)]
    features = {
        i: [f"category:{categories[item_category[i]]}", f"brand:b{rng.integers(200)}", f"price_band:{rng.integers(4)}"]
        + [f"tag:t{t}" for t in rng.choice(300, size=3, replace=False)]
        for i in range(n_items)
    }
    dataset = Dataset()
    dataset.fit(user_ids, range(n_items), user_features=[f"pref:{c}" for c in categories],
                item_features=sorted({f for names in features.values() for f in names}))
    _, weights = dataset.build_interactions(zip((user_ids[u] for u in users), items.tolist(), np.ones(users.size)))
    train = weights.tocsr()
    train.data[:] = 1.0  # repeated draws of a pair count once
    catalogue = [
        ItemMeta(i, f"Product {i}", float(rng.uniform(5, 500)), categories[item_category[i]], int(rng.random() > 0.05) * 50)
        for i in range(n_items)
    ]
    return RecommenderData(
        dataset=dataset,
        train=train.tocoo(),
        test=sp.coo_matrix(train.shape, dtype=np.float32),
        train_purchases=train,
        user_features=dataset.build_user_features((user_ids[u], [f"pref:{categories[favourite[u]]}"]) for u in range(n_users)),
        item_features=dataset.build_item_features(features.items()),
        user_ids=dataset.mapping()[0],
        item_ids=dataset.mapping()[2],
        items=catalogue,
    )


def percentiles(run: Callable[[int], object], users: np.ndarray) -> tuple[float, float, float]:
    """(p50, p95, mean) in milliseconds of ``run(user)`` over ``users``, after a short warm-up."""
    for user in users[:20]:
        run(int(user))
    timings = np.empty(users.size)
    for n, user in enumerate(users):
        start = time.perf_counter()
        run(int(user))
        timings[n] = time.perf_counter() - start
    timings *= 1000.0
    return float(np.percentile(timings, 50)), float(np.percentile(timings, 95)), float(timings.mean())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="requests per path")
    parser.add_argument("--epochs", type=int, default=3, help="training epochs")
    parser.add_argument("--k", type=int, default=10, help="products per request")
    args = parser.parse_args(argv)
    options = replace(RecommenderOptions(), epochs=args.epochs, fit_threads=2)

    start = time.perf_counter()
    data = synthetic_data(seed=options.seed)
    built = time.perf_counter()
    model = fit_model(data, options)
    trained = time.perf_counter()
    recommender = Recommender.from_model(model, data.user_features, data.item_features, data.user_ids, data.items,
                                         data.train_purchases, data.user_feature_ids)
    loaded = time.perf_counter()
    print(f"synthetic store: {data.shape[1]:,} products, {data.shape[0]:,} customers, {data.train.nnz:,} interactions "
          f"(built {built - start:.1f}s, trained {options.epochs} epochs in {trained - built:.1f}s, "
          f"representations {1000 * (loaded - trained):.0f}ms)")

    users = np.random.default_rng(options.seed).integers(data.shape[0], size=args.requests)
    customer = {row: cid for cid, row in data.user_ids.items()}
    all_items = np.arange(data.shape[1], dtype=np.int32)

    def serving(user: int) -> object:
        return recommender.recommend(customer[user], n=args.k)

    def naive(user: int) -> object:
        scores = model.predict(user, all_items, item_features=data.item_features, user_features=data.user_features,
                               num_threads=options.num_threads)
        return np.argsort(-scores)[: args.k]

    results = {"serving (Recommender.recommend)": percentiles(serving, users),
               "naive (model.predict + argsort)": percentiles(naive, users)}
    print(f"\n{'path':<34}{'p50 ms':>10}{'p95 ms':>10}{'mean ms':>10}")
    for name, (p50, p95, mean) in results.items():
        print(f"{name:<34}{p50:>10.3f}{p95:>10.3f}{mean:>10.3f}")
    (s50, s95, smean), (n50, n95, nmean) = results.values()
    print(f"{'ratio (naive / serving)':<34}{n50 / s50:>9.1f}x{n95 / s95:>9.1f}x{nmean / smean:>9.1f}x")
    verdict = "meets" if s50 <= TARGET_P50_MS else "MISSES"
    print(f"\nserving p50 {s50:.3f} ms {verdict} the {TARGET_P50_MS:g} ms target ({args.requests} requests, top-{args.k})")


if __name__ == "__main__":
    main()
