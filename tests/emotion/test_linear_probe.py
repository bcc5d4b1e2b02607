"""LP-FT's linear probe: the head it writes predicts exactly what the fitted probe predicts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from components.emotion.base_model import base_model_dir
from components.emotion.data import read_split
from components.emotion.labels import LABEL2ID, LABELS
from components.emotion.train import TrainingOptions, fit_linear_probe, predict_logits


def test_the_probe_becomes_the_head(tiny_data_dir: Path) -> None:
    base = base_model_dir()
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=len(LABELS))
    train_set = read_split("train", tiny_data_dir)
    gold = np.array([LABEL2ID[e.label] for e in train_set])

    probe_accuracy = fit_linear_probe(model, tokenizer, train_set, TrainingOptions(max_length=64))
    head_accuracy = float((predict_logits(model, tokenizer, [e.text for e in train_set], 64).argmax(1) == gold).mean())

    assert probe_accuracy > 2 / len(LABELS)  # well above chance on frozen features
    assert abs(head_accuracy - probe_accuracy) < 1e-9  # same predictions: weights copied in label order
