"""A shopper's question answered from the policy documents, or an honest "I don't know".

The answer quotes the best passage and cites its section. When that passage's score is below
the calibrated threshold, the answer abstains instead of guessing: a wrong policy stated with
confidence is worse than handing over to a person.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.knowledge.documents import Passage
from services.knowledge.retrieval import Hit, Retriever, search

MIN_QUESTION_CHARS = 3


@dataclass(frozen=True)
class KnowledgeAnswer:
    question: str
    hits: tuple[Hit, ...]  # best first
    threshold: float
    reason: str = ""  # why it abstained, for logs ("below threshold", "no index", ...)

    @property
    def found(self) -> bool:
        return bool(self.hits) and self.hits[0].score >= self.threshold and not self.reason

    @property
    def passage(self) -> Passage | None:
        return self.hits[0].passage if self.found else None

    @property
    def score(self) -> float:
        return self.hits[0].score if self.hits else 0.0

    @property
    def quote(self) -> str:
        """The passage text, as the answer's body (empty when abstaining)."""
        return self.passage.text if self.passage else ""

    @property
    def citation(self) -> str:
        """``Returns > Return window`` (empty when abstaining)."""
        return self.passage.citation if self.passage else ""


def abstention(question: str, reason: str) -> KnowledgeAnswer:
    return KnowledgeAnswer(question, (), float("inf"), reason)


def answer_question(retriever: Retriever, threshold: float, question: str, k: int = 3) -> KnowledgeAnswer:
    """The top ``k`` passages for ``question`` and whether the best one is good enough to quote."""
    text = " ".join(str(question or "").split())
    if len(text) < MIN_QUESTION_CHARS:
        return abstention(text, "empty question")
    hits = tuple(search(retriever, text, k))
    reason = "" if hits and hits[0].score >= threshold else "below threshold"
    return KnowledgeAnswer(text, hits, threshold, reason)
