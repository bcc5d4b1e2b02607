"""Train the recommender: ``python -m services.recommender.train [--final]``.

Fits the hybrid LightFM model on the time-based training split, evaluates it on
the hold-out (see :mod:`services.recommender.evaluate`) and persists it under
``get_settings().recommender_dir``. ``--final`` then refits on every interaction,
so the served model knows the newest purchases; the metrics stay those of the hold-out.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from lightfm import LightFM
from tqdm import tqdm

from services.recommender.dataset import RecommenderData, load_dataset
from services.recommender.options import RecommenderOptions
from services.settings import get_settings

# Files of a persisted recommender, read back by services.recommender.service.
MODEL_FILE = "model.npz"  # the Makefile target of `make recommender-train`
USER_FEATURES_FILE = "user_features.npz"
ITEM_FEATURES_FILE = "item_features.npz"
PURCHASES_FILE = "purchases.npz"
MAPPINGS_FILE = "mappings.json"
ITEMS_FILE = "items.json"
MANIFEST_FILE = "manifest.json"
METRICS_FILE = "metrics.json"
PLOT_FILE = "precision_at_10.png"


def new_model(options: RecommenderOptions) -> LightFM:
    """An unfitted LightFM model with the hyper-parameters of ``options``."""
    return LightFM(
        no_components=options.no_components,
        loss=options.loss,
        learning_rate=options.learning_rate,
        item_alpha=options.item_alpha,
        user_alpha=options.user_alpha,
        random_state=options.seed,
    )


# LightFM's fitted state: parameters and their adagrad/adadelta accumulators (public attributes).
_STATE = tuple(
    f"{side}_{part}"
    for side in ("item", "user")
    for part in ("embeddings", "embedding_gradients", "embedding_momentum", "biases", "bias_gradients", "bias_momentum")
)


def lightfm_params(model: LightFM) -> dict:
    """JSON-serialisable hyper-parameters of ``model`` (the random state is not needed to predict)."""
    return {k: v for k, v in model.get_params().items() if k != "random_state"}


def save_lightfm(path: Path, model: LightFM) -> None:
    """Write the fitted arrays of ``model`` to ``path`` (.npz)."""
    np.savez(path, **{name: getattr(model, name) for name in _STATE})


def load_lightfm(path: Path, params: dict) -> LightFM:
    """The model saved by :func:`save_lightfm` with ``params`` from :func:`lightfm_params`.

    It predicts (and could resume fitting) exactly like the original.
    """
    model = LightFM(**params)
    with np.load(path) as arrays:
        for name in _STATE:
            setattr(model, name, arrays[name])
    return model


def fit_model(
    data: RecommenderData,
    options: RecommenderOptions,
    progress: bool = True,
    on_epoch: Callable[[int, LightFM], None] | None = None,
) -> LightFM:
    """Fit a model on ``data.train`` (weights as ``sample_weight``) with user and item features.

    One ``fit_partial`` call per epoch, so ``on_epoch(epoch, model)`` (epochs count from 1)
    can record learning curves.
    """
    model = new_model(options)
    interactions = data.interactions()
    for epoch in tqdm(range(1, options.epochs + 1), desc="training", unit="epoch", disable=not progress):
        model.fit_partial(
            interactions,
            user_features=data.user_features,
            item_features=data.item_features,
            sample_weight=data.train,
            epochs=1,
            num_threads=options.fit_threads,
        )
        if on_epoch is not None:
            on_epoch(epoch, model)
    return model


def save_model(
    directory: Path, model: LightFM, data: RecommenderData, options: RecommenderOptions, trained_on: str
) -> None:
    """Write everything :class:`services.recommender.service.Recommender` loads into ``directory``.

    ``trained_on`` ("all interactions" or "training split") is recorded in the manifest.
    """
    directory.mkdir(parents=True, exist_ok=True)
    sp.save_npz(directory / USER_FEATURES_FILE, data.user_features)
    sp.save_npz(directory / ITEM_FEATURES_FILE, data.item_features)
    sp.save_npz(directory / PURCHASES_FILE, data.train_purchases)
    mappings = {
        "user_ids": data.user_ids,
        "item_ids": {str(pid): col for pid, col in data.item_ids.items()},  # JSON keys are strings
        "user_feature_ids": {k: v for k, v in data.user_feature_ids.items() if k.startswith("pref:")},
    }
    _write_json(directory / MAPPINGS_FILE, mappings)
    _write_json(directory / ITEMS_FILE, [asdict(item) for item in data.items])
    manifest = {"trained_on": trained_on, "shape": list(data.shape), "interactions": int(data.train.nnz),
                "lightfm_params": lightfm_params(model), "options": options.to_dict()}
    _write_json(directory / MANIFEST_FILE, manifest)
    # Written last: make (its target) and the service take this file as "the directory is complete".
    save_lightfm(directory / MODEL_FILE, model)


def save_report(directory: Path, metrics: dict, curve: list[float]) -> None:
    """Write ``metrics.json`` and the precision@10-per-epoch plot (baselines as horizontal lines)."""
    # Imported here so the action server (which imports this module's file names) never loads matplotlib;
    # Figure rather than pyplot: no GUI backend is needed to write a PNG.
    from matplotlib.figure import Figure

    directory.mkdir(parents=True, exist_ok=True)
    _write_json(directory / METRICS_FILE, metrics)
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    ax.plot(range(1, len(curve) + 1), curve, marker="o", markersize=3, label="LightFM")
    overall = metrics["slices"]["all"]
    for name, style in (("popularity", "--"), ("popular in category", "-."), ("random", ":")):
        if name in overall:
            ax.axhline(overall[name]["precision@10"], linestyle=style, color="grey", label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("precision@10 (hold-out)")
    ax.set_title("Recommender: hold-out precision@10 per epoch")
    ax.legend()
    fig.tight_layout()
    fig.savefig(directory / PLOT_FILE, dpi=120)


def _write_json(path: Path, payload: object) -> None:
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> None:
    # Imported here: evaluate uses fit_model from this module.
    from services.recommender.evaluate import evaluate, format_table

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=None, help="store database URL (default: STORE_DATABASE_URL)")
    parser.add_argument("--out", type=Path, default=None, help="output directory (default: RECOMMENDER_DIR)")
    parser.add_argument("--final", action="store_true", help="after evaluating, refit on all interactions for serving")
    args = parser.parse_args(argv)
    options = RecommenderOptions()
    directory = args.out or get_settings().recommender_dir

    data = load_dataset(args.url, options, holdout=True)
    report = evaluate(data, options)
    print(format_table(report.metrics))
    model = report.model
    if args.final:
        data = load_dataset(args.url, options, holdout=False)
        model = fit_model(data, options)
    trained_on = "all interactions" if args.final else "training split"
    save_model(directory, model, data, options, trained_on)
    save_report(directory, report.metrics, report.curve)
    print(f"saved to {directory} (served model trained on {trained_on})")


if __name__ == "__main__":
    main()
