"""Batched emotion inference with sentence-level handling of long messages.

A long message is scored whole (up to ``max_length`` tokens) and sentence by sentence.
If the whole message reads non-negative but one sentence is confidently negative, the
most negative sentence wins: one angry sentence inside a polite paragraph is what an
agent must react to. Messages longer than ``max_length`` tokens are scored as the mean
of their sentences (the first MAX_SENTENCES).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from components.emotion.labels import LABELS, NEGATIVE, polarity

SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?…])\s+|\n+")
NEGATIVE_IDS = [LABELS.index(label) for label in LABELS if label in NEGATIVE]
MAX_SENTENCES = 64  # bounds the work a 10,000-character paste can cause


@dataclass(frozen=True)
class EmotionResult:
    label: str
    confidence: float
    scores: dict[str, float]
    polarity: str
    confident: bool

    def as_dict(self) -> dict:
        return {"label": self.label, "confidence": self.confidence, "scores": self.scores,
                "polarity": self.polarity, "confident": self.confident}


def unknown_result() -> EmotionResult:
    """What empty or missing text gets: neutral, not confident."""
    scores = {label: (1.0 if label == "neutral" else 0.0) for label in LABELS}
    return EmotionResult("neutral", 0.0, scores, "neutral", False)


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_SPLIT_RE.split(text) if s and s.strip()]


class EmotionPredictor:
    """Loads a fine-tuned directory (``save_pretrained`` output) and scores messages.

    Args:
        model_dir: directory written by ``components.emotion.train``.
        quantize: apply dynamic int8 quantization to the Linear layers.
        max_length: tokens per forward pass; longer messages are chunked by sentence.
        confidence_threshold: below this top probability a result is ``confident: False``.
        sentence_negative_threshold: probability at which a single negative sentence overrides.
        num_threads: torch CPU threads (0 leaves torch's default).
    """

    def __init__(
        self,
        model_dir: str | Path,
        quantize: bool = False,
        max_length: int = 128,
        confidence_threshold: float = 0.5,
        sentence_negative_threshold: float = 0.7,
        num_threads: int = 0,
    ) -> None:
        model_dir = Path(model_dir)
        if not (model_dir / "config.json").exists():
            raise FileNotFoundError(f"{model_dir} is not a trained emotion model: run `make emotion-train`")
        if num_threads:
            torch.set_num_threads(num_threads)
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
        labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
        if tuple(labels) != LABELS:
            raise ValueError(f"{model_dir} predicts {labels}, expected {list(LABELS)}; retrain it")
        if quantize:
            model = torch.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        self.model = model
        self.max_length = max_length
        self.confidence_threshold = confidence_threshold
        self.sentence_negative_threshold = sentence_negative_threshold

    @torch.inference_mode()
    def probabilities(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Softmax probabilities, shape ``(len(texts), 7)``, float32, texts truncated to ``max_length``."""
        out = []
        for start in range(0, len(texts), batch_size):
            enc = self.tokenizer(texts[start : start + batch_size], padding=True, truncation=True,
                                 max_length=self.max_length, return_tensors="pt")
            out.append(torch.softmax(self.model(**enc).logits, dim=-1).numpy())
        return np.concatenate(out) if out else np.zeros((0, len(LABELS)), dtype=np.float32)

    def predict(self, texts: list[str | None], batch_size: int = 32) -> list[EmotionResult]:
        """One result per text; empty or non-string input gets :func:`unknown_result`."""
        valid = [i for i, t in enumerate(texts) if isinstance(t, str) and t.strip()]
        results: list[EmotionResult] = [unknown_result()] * len(texts)
        if not valid:
            return results
        whole = self.probabilities([texts[i] for i in valid], batch_size)
        for row, i in enumerate(valid):
            sentences = split_sentences(texts[i])[:MAX_SENTENCES]
            probs = whole[row]
            if len(sentences) > 1:
                probs = self._aggregate(texts[i], probs, sentences, batch_size)
            results[i] = self._result(probs)
        return results

    def _aggregate(self, text: str, whole: np.ndarray, sentences: list[str], batch_size: int) -> np.ndarray:
        per_sentence = self.probabilities(sentences, batch_size)
        if len(self.tokenizer.tokenize(text)) > self.max_length - 2:
            whole = per_sentence.mean(axis=0)
        if LABELS[int(whole.argmax())] in NEGATIVE:
            return whole
        negative = per_sentence[:, NEGATIVE_IDS]
        s, k = np.unravel_index(int(negative.argmax()), negative.shape)
        if negative[s, k] >= self.sentence_negative_threshold:
            return per_sentence[s]
        return whole

    def _result(self, probs: np.ndarray) -> EmotionResult:
        top = int(probs.argmax())
        label, confidence = LABELS[top], float(probs[top])
        return EmotionResult(
            label=label,
            confidence=round(confidence, 4),
            scores={name: round(float(p), 4) for name, p in zip(LABELS, probs)},
            polarity=polarity(label),
            confident=confidence >= self.confidence_threshold,
        )
