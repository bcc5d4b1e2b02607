"""A tiny emotion dataset and a model fine-tuned on it once per test session (about a minute)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from components.emotion.data import read_split
from components.emotion.labels import LABELS
from components.emotion.train import TrainingOptions, train

TINY_TRAINING = {"epochs": 3, "batch_size": 16, "learning_rate": 1e-4, "progress": False}


@pytest.fixture(scope="session")
def tiny_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 training and 12 dev/test messages per label from the committed splits."""
    out = tmp_path_factory.mktemp("emotion_data")
    rng = random.Random(0)
    for name, per_label in (("train", 60), ("dev", 12), ("test", 12)):
        rows = read_split(name)
        chosen = [e for label in LABELS for e in rng.sample([r for r in rows if r.label == label], per_label)]
        with (out / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["text", "label"])
            writer.writerows((e.text, e.label) for e in chosen)
    return out


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("emotion_model") / "model"
    train(TrainingOptions(output_dir=str(out), data_dir=str(tiny_data_dir), **TINY_TRAINING))
    return out
