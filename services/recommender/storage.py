"""The files of a persisted recommender and the functions that write and read the model.

Shared by training (``services.recommender.train``), evaluation and serving
(``services.recommender.service``); it imports nothing used only for training.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from lightfm import LightFM

from services.recommender.dataset import RecommenderData
from services.recommender.options import RecommenderOptions

MODEL_FILE = "model.npz"  # the Makefile target of `make recommender-train`
USER_FEATURES_FILE = "user_features.npz"
ITEM_FEATURES_FILE = "item_features.npz"
PURCHASES_FILE = "purchases.npz"
MAPPINGS_FILE = "mappings.json"
ITEMS_FILE = "items.json"
MANIFEST_FILE = "manifest.json"
METRICS_FILE = "metrics.json"
PLOT_FILE = "precision_at_10.png"

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


def write_json(path: Path, payload: object) -> None:
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")


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
    write_json(directory / MAPPINGS_FILE, mappings)
    write_json(directory / ITEMS_FILE, [asdict(item) for item in data.items])
    manifest = {"trained_on": trained_on, "shape": list(data.shape), "interactions": int(data.train.nnz),
                "lightfm_params": lightfm_params(model), "options": options.to_dict()}
    write_json(directory / MANIFEST_FILE, manifest)
    # Written last: make (its target) and the service take this file as "the directory is complete".
    save_lightfm(directory / MODEL_FILE, model)
