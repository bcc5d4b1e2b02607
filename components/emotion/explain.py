"""Which words drove a reading: occlusion (Zeiler & Fergus, 2014) over the message's words.

Each word is removed in turn and the message scored again in one batch; a word's weight is how
much the predicted label's log-odds fall without it (log-odds, not probability: an angry message
with three angry words sits near P = 1, where removing one barely moves the probability).
Adjacent weighty words form a phrase; the strongest word is always named when any word counts.
Cost: one batched forward pass of ``min(words, MAX_WORDS)`` variants per explained message.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

MAX_WORDS = 40  # longer messages: only the first MAX_WORDS words are occluded
WORD_RE = re.compile(r"\S+")
EDGE_PUNCTUATION = "\"'.,!?;:()[]{}…“”‘’"


def occlusion_weights(text: str, label_id: int, probabilities: Callable[[list[str]], np.ndarray]) -> list[tuple[str, float]]:
    """``(word, drop in the log-odds of label)`` for each of the first MAX_WORDS words, in text order."""
    spans = [m.span() for m in WORD_RE.finditer(text)][:MAX_WORDS]
    if not spans:
        return []
    variants = [text[:start] + text[end:] for start, end in spans]
    probs = np.clip(probabilities([text, *variants])[:, label_id].astype(np.float64), 1e-6, 1 - 1e-6)
    log_odds = np.log(probs) - np.log1p(-probs)
    return [(text[s:e], float(log_odds[0] - lo)) for (s, e), lo in zip(spans, log_odds[1:])]


def occlusion_explanation(text: str, label_id: int, probabilities: Callable[[list[str]], np.ndarray],
                          top_k: int = 3, min_drop: float = 0.1) -> list[str]:
    """Up to ``top_k`` words or phrases whose removal lowers the label's log-odds by ``min_drop`` or more, strongest first."""
    weights = occlusion_weights(text, label_id, probabilities)
    if not weights:
        return []
    strongest = max(w for _, w in weights)
    keep = [w >= max(min_drop, strongest / 2) for _, w in weights]
    phrases: list[tuple[str, float]] = []
    i = 0
    while i < len(weights):
        if not keep[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(weights) and keep[j + 1]:
            j += 1
        words = " ".join(w for w, _ in weights[i : j + 1]).strip(EDGE_PUNCTUATION)
        if words:
            phrases.append((words, max(w for _, w in weights[i : j + 1])))
        i = j + 1
    phrases.sort(key=lambda p: -p[1])
    return [p for p, _ in phrases[:top_k]]
