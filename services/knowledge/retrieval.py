"""What every retriever returns, and the ranking helper they share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from services.knowledge.documents import Passage


@dataclass(frozen=True)
class Hit:
    """A passage and how well it matches the question (higher is better; the scale is the retriever's)."""

    passage: Passage
    score: float


class Retriever(Protocol):
    name: str
    passages: Sequence[Passage]

    def scores(self, questions: Sequence[str]) -> np.ndarray:
        """(questions, passages) matrix of match scores."""
        ...


def top_hits(passages: Sequence[Passage], scores: np.ndarray, k: int) -> list[Hit]:
    """The ``k`` best passages for one row of scores, best first (ties keep document order)."""
    order = np.argsort(-scores, kind="stable")[:k]
    return [Hit(passages[i], float(scores[i])) for i in order]


def search(retriever: Retriever, question: str, k: int = 3) -> list[Hit]:
    """The ``k`` passages that best match ``question``, best first."""
    return top_hits(retriever.passages, retriever.scores([question])[0], k)
