"""Batched emotion inference: calibrated probabilities, valence, explanations, long messages.

Serving runs the ONNX Runtime int8 graph (``model.int8.onnx``, written by ``make train``),
averaged with the TF-IDF model when the directory has one (``ensemble.py``); ``torch`` and
``torch-int8`` remain for comparison (``bench/emotion_latency.py``).

Messages up to ``long_message_tokens`` tokens are scored whole: the model was trained on
messages of that length, several sentences included, and overriding it sentence by sentence
cost 6 points of macro-F1 on the test split (a thank-you that mentions an old problem turned
"frustrated"). Longer messages are scored as the mean of their sentences (the first
MAX_SENTENCES), and if that mean reads non-negative while one sentence is confidently
negative, the most negative sentence wins: one angry sentence inside a long polite message is
what an agent must react to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from components.emotion.calibration import Calibration
from components.emotion.ensemble import TfidfEnsemble
from components.emotion.explain import occlusion_explanation
from components.emotion.labels import LABELS, NEGATIVE, polarity, valence
from components.emotion.onnx_export import CALIBRATION_FILE, INPUT_NAMES, ONNX_FP32, ONNX_INT8

SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?…])\s+|\n+")
NEGATIVE_IDS = [LABELS.index(label) for label in LABELS if label in NEGATIVE]
MAX_SENTENCES = 64  # bounds the work a 10,000-character paste can cause
BACKENDS = ("onnx-int8", "onnx", "torch", "torch-int8")


@dataclass(frozen=True)
class EmotionResult:
    label: str
    confidence: float
    scores: dict[str, float]
    polarity: str
    confident: bool
    valence: float = 0.5
    explanation: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"label": self.label, "confidence": self.confidence, "scores": self.scores,
                "polarity": self.polarity, "confident": self.confident, "valence": self.valence,
                "explanation": list(self.explanation)}


def unknown_result() -> EmotionResult:
    """What empty or missing text gets: neutral, not confident."""
    scores = {label: (1.0 if label == "neutral" else 0.0) for label in LABELS}
    return EmotionResult("neutral", 0.0, scores, "neutral", False, 0.5, [])


def quantize_feed_forward(model) -> None:
    """Dynamic int8 (torch) for the feed-forward Linear layers of every BERT layer, in place.

    They hold two thirds of the encoder's multiply-adds; quantizing the attention projections
    too gave no further speed-up on 2 cores and doubled the macro-F1 loss.
    """
    import torch

    for layer in model.bert.encoder.layer:
        layer.intermediate = torch.quantization.quantize_dynamic(layer.intermediate, {torch.nn.Linear}, dtype=torch.qint8)
        layer.output = torch.quantization.quantize_dynamic(layer.output, {torch.nn.Linear}, dtype=torch.qint8)


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_SPLIT_RE.split(text) if s and s.strip()]


class _OnnxLogits:
    def __init__(self, path: Path, num_threads: int) -> None:
        import onnxruntime as ort

        if not path.exists():
            raise FileNotFoundError(f"{path} missing: run `make emotion-train` (or `python -m components.emotion.onnx_export {path.parent}`)")
        options = ort.SessionOptions()
        options.intra_op_num_threads = num_threads or 2
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}

    def __call__(self, encoded: dict) -> np.ndarray:
        feed = {n: encoded[n].astype(np.int64) for n in INPUT_NAMES if n in self.inputs}
        return self.session.run(["logits"], feed)[0]


class _TorchLogits:
    def __init__(self, model_dir: Path, quantize: bool, num_threads: int) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification

        if num_threads:
            torch.set_num_threads(num_threads)
        self.torch = torch
        self.model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
        if quantize:
            quantize_feed_forward(self.model)

    def __call__(self, encoded: dict) -> np.ndarray:
        with self.torch.inference_mode():
            tensors = {k: self.torch.from_numpy(v) for k, v in encoded.items()}
            return self.model(**tensors).logits.numpy()


class EmotionPredictor:
    """Loads a directory written by ``components.emotion.train`` and scores messages.

    Args:
        model_dir: the fine-tuned directory (weights, tokenizer, ``calibration.json``, ONNX graphs).
        backend: ``onnx-int8`` (serving), ``onnx``, ``torch`` or ``torch-int8``.
        quantize: legacy switch; True with backend ``torch`` means ``torch-int8``.
        max_length: tokens per forward pass; longer messages are chunked by sentence.
        confidence_threshold: calibrated top probability from which a reading is ``confident``.
        sentence_negative_threshold: probability at which a single negative sentence overrides.
        num_threads: CPU threads (0: 2 for ONNX Runtime, torch's default for torch).
        long_message_tokens: messages longer than this are scored sentence by sentence.
        deployment_prior: label weights of real traffic (None: the one in ``calibration.json``).
        explain: compute ``explanation`` for confident negative readings.
    """

    def __init__(
        self,
        model_dir: str | Path,
        backend: str = "onnx-int8",
        quantize: bool = False,
        max_length: int = 128,
        confidence_threshold: float = 0.6,
        sentence_negative_threshold: float = 0.7,
        num_threads: int = 0,
        long_message_tokens: int = 96,
        deployment_prior: dict[str, float] | None = None,
        explain: bool = True,
    ) -> None:
        from transformers import AutoConfig, AutoTokenizer

        model_dir = Path(model_dir)
        if not (model_dir / "config.json").exists():
            raise FileNotFoundError(f"{model_dir} is not a trained emotion model: run `make emotion-train`")
        if backend not in BACKENDS:
            raise ValueError(f"unknown emotion backend {backend!r}; expected one of {', '.join(BACKENDS)}")
        if quantize and backend == "torch":
            backend = "torch-int8"
        config = AutoConfig.from_pretrained(model_dir)
        labels = [config.id2label[i] for i in range(config.num_labels)]
        if tuple(labels) != LABELS:
            raise ValueError(f"{model_dir} predicts {labels}, expected {list(LABELS)}; retrain it")
        self.backend = backend
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        if backend.startswith("onnx"):
            self._logits = _OnnxLogits(model_dir / (ONNX_INT8 if backend == "onnx-int8" else ONNX_FP32), num_threads)
        else:
            self._logits = _TorchLogits(model_dir, backend == "torch-int8", num_threads)
        self.ensemble = TfidfEnsemble.load(model_dir)
        self.calibration = Calibration.load(model_dir / CALIBRATION_FILE).with_deployment_prior(deployment_prior)
        self.max_length = max_length
        self.confidence_threshold = confidence_threshold
        self.sentence_negative_threshold = sentence_negative_threshold
        self.long_message_tokens = long_message_tokens
        self.explain = explain

    def logits(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Serving logits ``(len(texts), 7)``: the encoder's, combined with TF-IDF when the model has an ensemble."""
        encoder = self.encoder_logits(texts, batch_size)
        return self.ensemble.combine(encoder, texts) if self.ensemble is not None else encoder

    def encoder_logits(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """The encoder's raw logits, shape ``(len(texts), 7)``, float32, texts truncated to ``max_length``."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths pad less
        result = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            enc = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                 max_length=self.max_length, return_tensors="np")
            result[idx] = self._logits(dict(enc))
        return result

    def probabilities(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Calibrated probabilities (temperature, then deployment prior), shape ``(len(texts), 7)``."""
        if not texts:
            return np.zeros((0, len(LABELS)), dtype=np.float32)
        return self.calibration.probabilities(self.logits(texts, batch_size)).astype(np.float32)

    def predict(self, texts: list[str | None], batch_size: int = 32) -> list[EmotionResult]:
        """One result per text; empty or non-string input gets :func:`unknown_result`."""
        valid = [i for i, t in enumerate(texts) if isinstance(t, str) and t.strip()]
        results: list[EmotionResult] = [unknown_result()] * len(texts)
        if not valid:
            return results
        whole = self.probabilities([texts[i] for i in valid], batch_size)
        for row, i in enumerate(valid):
            probs = whole[row]
            if len(texts[i]) > 2 * self.long_message_tokens and len(self.tokenizer.tokenize(texts[i])) > self.long_message_tokens:
                sentences = split_sentences(texts[i])[:MAX_SENTENCES]
                if len(sentences) > 1:
                    probs = self._aggregate(sentences, batch_size)
            results[i] = self._result(texts[i], probs)
        return results

    def _aggregate(self, sentences: list[str], batch_size: int) -> np.ndarray:
        per_sentence = self.probabilities(sentences, batch_size)
        whole = per_sentence.mean(axis=0)
        if LABELS[int(whole.argmax())] in NEGATIVE:
            return whole
        negative = per_sentence[:, NEGATIVE_IDS]
        s, k = np.unravel_index(int(negative.argmax()), negative.shape)
        if negative[s, k] >= self.sentence_negative_threshold:
            return per_sentence[s]
        return whole

    def _result(self, text: str, probs: np.ndarray) -> EmotionResult:
        top = int(probs.argmax())
        label, confidence = LABELS[top], float(probs[top])
        confident = confidence >= self.confidence_threshold
        explanation: list[str] = []
        if self.explain and confident and label in NEGATIVE:
            explanation = occlusion_explanation(text, top, self.probabilities)
        return EmotionResult(
            label=label,
            confidence=round(confidence, 4),
            scores={name: round(float(p), 4) for name, p in zip(LABELS, probs)},
            polarity=polarity(label),
            confident=confident,
            valence=round(valence(probs), 4),
            explanation=explanation,
        )
