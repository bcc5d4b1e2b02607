"""Typo repair for questions, toward the words the store's own documents and catalogue use.

A word is repaired only when it is unknown both to the encoder's vocabulary and to the store's
words, and only to a store word that is close enough (difflib ratio >= ``cutoff``): "retrun
windw" becomes "return window", while "amex" or "bitcoin" stay as typed rather than turning
into some frequent English word.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

_TOKEN = re.compile(r"[A-Za-z]+|[^A-Za-z]+")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
MIN_LENGTH = 4  # shorter words have too many close neighbours to repair safely


def store_words(texts: Iterable[str]) -> set[str]:
    """Lower-case words of ``texts`` that can be repair targets (no contractions, at least MIN_LENGTH letters)."""
    return {w for text in texts for w in _WORD.findall(text.lower()) if "'" not in w and len(w) >= MIN_LENGTH}


class SpellingCorrector:
    def __init__(self, targets: Iterable[str], known: Iterable[str], cutoff: float = 0.8) -> None:
        self.targets = sorted(set(targets))
        self.known = set(known) | set(self.targets)
        self.cutoff = cutoff

    def correct(self, text: str) -> str:
        """``text`` with unknown words replaced by their closest store word, when one is close enough."""
        out: list[str] = []
        for token in _TOKEN.findall(text):
            word = token.lower()
            if token.isalpha() and len(word) >= MIN_LENGTH and word not in self.known:
                close = difflib.get_close_matches(word, self.targets, n=1, cutoff=self.cutoff)
                if close:
                    out.append(close[0])
                    continue
            out.append(token)
        return "".join(out)
