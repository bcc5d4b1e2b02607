"""Sentence and aspect sentiment: the emotion classifier (``components/emotion/inference.py``) sentence by sentence,
with the aspect's cue phrases (``aspects.CUES``) deciding which way each aspect goes.

The emotion model was trained on chat messages, where a factual complaint ("the zip broke within a
month") reads as neutral; a review sentence's polarity is therefore the classifier's when it is
confident and not neutral, else the polarity of its cue phrases, else neutral. An aspect with cue
phrases of its own takes theirs, so "great quality, far too expensive" is positive on quality and
negative on price.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from components.emotion.labels import LABELS
from services.analytics.reviews.aspects import Sentence
from services.settings import get_settings

# Reviews are opinions, not chat traffic: the serving model's neutral-heavy deployment prior is left out.
REVIEW_PRIOR = {label: 1 / len(LABELS) for label in LABELS}


class Reading(Protocol):
    """What the classifier returns per text (``components.emotion.inference.EmotionResult``)."""

    label: str
    confidence: float
    polarity: str
    valence: float


Scorer = Callable[[Sequence[str]], Sequence[Reading]]


@dataclass(frozen=True)
class PolarityRule:
    """How a sentence's emotion reading and its cue phrases become negative / neutral / positive."""

    min_confidence: float = field(default=0.6, metadata={
        "help": "calibrated confidence from which the classifier's non-neutral reading decides the sentence"})
    use_cues: bool = field(default=True, metadata={"help": "let cue phrases decide aspects and otherwise-neutral sentences"})

    def sentence_polarity(self, reading: Reading, sentence: Sentence) -> str:
        if reading.polarity != "neutral" and reading.confidence >= self.min_confidence:
            return reading.polarity
        return (sentence.cue_polarity if self.use_cues else None) or "neutral"

    def aspect_polarities(self, reading: Reading, sentence: Sentence) -> dict[str, str]:
        overall = self.sentence_polarity(reading, sentence)
        return {aspect: (cue if self.use_cues and cue else overall) for aspect, cue in sentence.aspects.items()}


def emotion_scorer(model_dir: Path | None = None, batch_size: int = 32,
                   deployment_prior: dict[str, float] | None = REVIEW_PRIOR) -> Scorer:
    """The serving emotion model (ONNX int8, no explanations); ``deployment_prior=None`` keeps the serving (chat) prior."""
    from components.emotion.inference import EmotionPredictor

    directory = model_dir or get_settings().models_dir / "emotion"
    if not (directory / "config.json").exists():
        raise FileNotFoundError(f"{directory} has no trained emotion model: run `make emotion-train` (or `make train`)")
    predictor = EmotionPredictor(directory, explain=False, deployment_prior=deployment_prior)
    return lambda texts: predictor.predict(list(texts), batch_size)
