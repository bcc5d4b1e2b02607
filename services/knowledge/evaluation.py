"""Retrieval figures on the evaluation set, and the choice of the abstention threshold.

Given each question's scores over all passages:

- recall@k: answerable questions with an expected passage among the top k;
- answer accuracy: answerable questions answered (top score >= threshold) with an expected passage;
- abstention on unanswerable: unanswerable questions for which the top score is below the threshold;
- false-answer rate: answers given that are wrong (wrong passage, or any answer to an
  unanswerable question), over all questions.

The threshold is the one that gives the most correct answers minus ``WRONG_ANSWER_COST`` times
the wrong ones, among those that refuse at least ``target_abstention`` of the unanswerable
questions. ``cross_validated`` chooses it on k-1 folds and scores the held-out fold, which is
the honest figure for questions the threshold was not tuned on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from services.knowledge.eval_set import EvalQuestion
from services.knowledge.retrieval import Retriever

WRONG_ANSWER_COST = 2.0  # a confident wrong policy costs twice a "let me get you a person"
DEFAULT_TARGET_ABSTENTION = 0.8


@dataclass(frozen=True)
class Ranked:
    """Each question's top score and whether its top 1 / top 3 passages hold an expected one."""

    top_score: np.ndarray  # (n,)
    hit_at_1: np.ndarray  # (n,) bool, False for unanswerable questions
    hit_at_3: np.ndarray
    answerable: np.ndarray  # (n,) bool

    def subset(self, mask: np.ndarray) -> Ranked:
        return Ranked(self.top_score[mask], self.hit_at_1[mask], self.hit_at_3[mask], self.answerable[mask])


@dataclass(frozen=True)
class Figures:
    threshold: float
    recall_at_1: float
    recall_at_3: float
    answer_accuracy: float
    abstention_unanswerable: float
    false_answer_rate: float
    answered: int
    questions: int

    def as_dict(self) -> dict:
        return asdict(self)


def rank(retriever: Retriever, questions: Sequence[EvalQuestion]) -> Ranked:
    """Score every question against every passage once."""
    scores = retriever.scores([q.text for q in questions])
    ids = np.array([p.id for p in retriever.passages])
    order = np.argsort(-scores, axis=1, kind="stable")
    hit1, hit3 = [], []
    for q, row in zip(questions, order):
        top = list(ids[row[:3]])
        hit1.append(bool(q.sections) and top[0] in q.sections)
        hit3.append(bool(q.sections) and any(t in q.sections for t in top))
    return Ranked(scores.max(axis=1), np.array(hit1), np.array(hit3), np.array([q.answerable for q in questions]))


def _ratio(numerator: int | float, denominator: int | float) -> float:
    return float(numerator) / float(denominator) if denominator else 0.0


def figures_at(ranked: Ranked, threshold: float) -> Figures:
    """The figures when questions whose top score is below ``threshold`` abstain."""
    return _figures(ranked, ranked.top_score >= threshold, threshold)


def _figures(ranked: Ranked, answered: np.ndarray, threshold: float) -> Figures:
    answerable, unanswerable = ranked.answerable, ~ranked.answerable
    correct = answered & ranked.hit_at_1
    wrong = answered & ~ranked.hit_at_1  # includes every answer to an unanswerable question
    return Figures(
        threshold=float(threshold),
        recall_at_1=_ratio(ranked.hit_at_1[answerable].sum(), answerable.sum()),
        recall_at_3=_ratio(ranked.hit_at_3[answerable].sum(), answerable.sum()),
        answer_accuracy=_ratio(correct[answerable].sum(), answerable.sum()),
        abstention_unanswerable=_ratio((~answered)[unanswerable].sum(), unanswerable.sum()),
        false_answer_rate=_ratio(wrong.sum(), len(answered)),
        answered=int(answered.sum()),
        questions=len(answered),
    )


def choose_threshold(ranked: Ranked, target_abstention: float = DEFAULT_TARGET_ABSTENTION) -> float:
    """The threshold with the best correct - cost x wrong among those refusing ``target_abstention`` of unanswerables.

    Candidates sit halfway between neighbouring observed top scores, so the choice does not
    hinge on one question's exact score. With no unanswerable questions only the utility counts.
    """
    scores = np.unique(ranked.top_score)
    candidates = np.concatenate([[scores[0] - 1e-6], (scores[:-1] + scores[1:]) / 2, [scores[-1] + 1e-6]])
    best: tuple[float, float] | None = None
    for t in candidates:
        answered = ranked.top_score >= t
        if (~ranked.answerable).any() and (~answered)[~ranked.answerable].mean() < target_abstention:
            continue
        utility = (answered & ranked.hit_at_1).sum() - WRONG_ANSWER_COST * (answered & ~ranked.hit_at_1).sum()
        if best is None or utility > best[0]:
            best = (float(utility), float(t))
    return best[1] if best else float(candidates[-1])


def cross_validated(ranked: Ranked, target_abstention: float = DEFAULT_TARGET_ABSTENTION, folds: int = 5) -> Figures:
    """Figures with each fold's threshold chosen on the other folds (question i is in fold i mod ``folds``)."""
    fold = np.arange(len(ranked.top_score)) % folds
    answered = np.zeros(len(fold), dtype=bool)
    thresholds = []
    for k in range(folds):
        t = choose_threshold(ranked.subset(fold != k), target_abstention)
        thresholds.append(t)
        answered[fold == k] = ranked.top_score[fold == k] >= t
    # The threshold reported is the folds' mean; the figures come from each fold's own decisions.
    return _figures(ranked, answered, float(np.mean(thresholds)))
