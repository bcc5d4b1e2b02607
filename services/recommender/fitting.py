"""Fitting the hybrid LightFM model (used by training, evaluation and the benchmark)."""

from __future__ import annotations

from collections.abc import Callable

from lightfm import LightFM
from tqdm import tqdm

from services.recommender.dataset import RecommenderData
from services.recommender.options import RecommenderOptions


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
