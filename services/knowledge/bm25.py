"""The lexical baseline: Okapi BM25 (rank_bm25) over the same passages."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from rank_bm25 import BM25Okapi

from services.knowledge.documents import Passage

_WORD = re.compile(r"[a-z0-9]+")
# Function words only: BM25's idf already discounts common words, but "I", "my" and "the"
# in every question would otherwise match every passage a little.
STOPWORDS = frozenset(
    "a an and are as at be but by can could do does for from had has have how i if in is it its me my "
    "of on or our so that the their them there this to was we what when where which who why will with "
    "would you your yours".split()
)


def tokenize(text: str) -> list[str]:
    """Lower-case alphanumeric words without stop words."""
    return [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


class Bm25Retriever:
    name = "BM25 (rank_bm25)"

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.passages = list(passages)
        self.model = BM25Okapi([tokenize(p.embedding_text()) for p in self.passages])

    def scores(self, questions: Sequence[str]) -> np.ndarray:
        return np.array([self.model.get_scores(tokenize(q)) for q in questions], dtype=np.float64).reshape(
            len(questions), len(self.passages)
        )
