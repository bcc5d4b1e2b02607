"""EmotionPredictor on a model fine-tuned in this session."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from components.emotion.inference import EmotionPredictor, split_sentences
from components.emotion.labels import LABELS, polarity


@pytest.fixture(scope="module")
def predictor(tiny_model_dir: Path) -> EmotionPredictor:
    return EmotionPredictor(tiny_model_dir)


def test_training_writes_the_documented_artefacts(tiny_model_dir: Path) -> None:
    for name in ("config.json", "label_map.json", "metrics.json", "confusion_matrix.png", "MODEL_CARD.md", "training_fingerprint.json",
                 "calibration.json", "model.onnx", "model.int8.onnx"):
        assert (tiny_model_dir / name).exists(), name
    metrics = json.loads((tiny_model_dir / "metrics.json").read_text())
    assert set(metrics["test"]["per_class"]) == set(LABELS)
    assert json.loads((tiny_model_dir / "label_map.json").read_text())["label2id"]["angry"] == 0


def test_separates_clearly_angry_from_clearly_grateful(predictor: EmotionPredictor) -> None:
    angry = ["THIS IS A SCAM. I want my money back or I'm filing a chargeback today.",
             "You people are useless, worst store ever, I'm reporting you."]
    grateful = ["Thank you so much for your help, really appreciate it!", "thanks a lot, you're a lifesaver 🙏"]
    results = predictor.predict(angry + grateful)
    for r in results[:2]:
        assert r.scores["angry"] > r.scores["grateful"]
        assert r.polarity == "negative"
    for r in results[2:]:
        assert r.scores["grateful"] > r.scores["angry"]
        assert r.polarity == "positive"


def test_result_shape(predictor: EmotionPredictor) -> None:
    (result,) = predictor.predict(["where is my order 100234?"])
    assert set(result.scores) == set(LABELS)
    assert abs(sum(result.scores.values()) - 1) < 1e-3
    assert result.label == max(result.scores, key=result.scores.get)
    assert result.polarity == polarity(result.label)
    assert result.confident == (result.confidence >= predictor.confidence_threshold)


@pytest.mark.parametrize("text", ["", "   ", None])
def test_empty_text_is_neutral_and_not_confident(predictor: EmotionPredictor, text) -> None:
    (result,) = predictor.predict([text])
    assert (result.label, result.confident, result.confidence) == ("neutral", False, 0.0)


def test_batch_keeps_order_and_mixes_empty(predictor: EmotionPredictor) -> None:
    texts = ["thank you!!", "", "I'm furious, this is a scam"]
    batched = predictor.predict(texts)
    assert [r.label for r in batched] == [predictor.predict([t])[0].label for t in texts]
    assert batched[1].label == "neutral" and not batched[1].confident


def test_very_long_and_non_english_text(predictor: EmotionPredictor) -> None:
    long_text = "I ordered a jacket last month and it was lovely. " * 400
    (result,) = predictor.predict([long_text[:10000]])
    assert result.label in LABELS
    (result,) = predictor.predict(["¿Dónde está mi pedido? 我的订单在哪里"])
    assert result.label in LABELS


def _one_hot(label: str, p: float) -> np.ndarray:
    rest = (1 - p) / (len(LABELS) - 1)
    return np.array([p if name == label else rest for name in LABELS], dtype=np.float32)


def test_one_negative_sentence_in_a_polite_message_wins(predictor: EmotionPredictor, monkeypatch) -> None:
    """Aggregation rule with controlled per-text probabilities (the model itself is not under test here)."""
    polite = "Hello, I hope you are well and that the weather is nice where you are today, it has rained a lot here."
    angry, bye = "I will sue you for this.", "Anyway, thank you for reading all of this and have a very nice day."
    whole = f"{polite} {angry} {bye}"
    monkeypatch.setattr(predictor, "long_message_tokens", 20)
    monkeypatch.setattr(predictor, "explain", False)
    table = {whole: _one_hot("satisfied", 0.6), polite: _one_hot("neutral", 0.8),
             angry: _one_hot("angry", 0.85), bye: _one_hot("grateful", 0.9)}
    monkeypatch.setattr(predictor, "probabilities", lambda texts, batch_size=32: np.stack([table[t] for t in texts]))
    (result,) = predictor.predict([whole])
    assert (result.label, result.polarity) == ("angry", "negative")

    table[angry] = _one_hot("angry", 0.5)  # below sentence_negative_threshold: the sentence mean decides
    (result,) = predictor.predict([whole])
    assert result.label == "grateful"

    monkeypatch.setattr(predictor, "long_message_tokens", 96)  # a short message is scored whole
    table[angry] = _one_hot("angry", 0.99)
    (result,) = predictor.predict([whole])
    assert result.label == "satisfied"


def test_split_sentences() -> None:
    assert split_sentences("Hi. Where is it?! Thanks\nbye") == ["Hi.", "Where is it?!", "Thanks", "bye"]


@pytest.mark.parametrize("backend", ["torch", "torch-int8", "onnx"])
def test_every_backend_agrees_mostly_with_the_serving_graph(tiny_model_dir: Path, predictor: EmotionPredictor, backend: str) -> None:
    texts = ["thank you so much", "WHERE IS MY REFUND", "what does pending mean?", "love it!", "is it lost??"]
    assert predictor.backend == "onnx-int8"
    other = EmotionPredictor(tiny_model_dir, backend=backend)
    agree = sum(a.label == b.label for a, b in zip(predictor.predict(texts), other.predict(texts)))
    assert agree >= 4


def test_unknown_backend_is_refused(tiny_model_dir: Path) -> None:
    with pytest.raises(ValueError, match="onnx-int8"):
        EmotionPredictor(tiny_model_dir, backend="tensorrt")


def test_wrong_directory_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="make emotion-train"):
        EmotionPredictor(tmp_path)
