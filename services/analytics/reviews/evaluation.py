"""Aspect-level accuracy against the hand-labelled sentences in ``data/reviews/aspect_eval.yml``.

``aspect_holdout.yml`` is a second set written before the cue phrases were (nothing was tuned on it).
Each item is a sentence with the aspects it talks about and the polarity it expresses about each.
Reported: aspect detection (precision, recall, F1, per aspect and micro-averaged), polarity accuracy
on the aspects found correctly, and the joint accuracy (aspect and polarity both right) over all
labelled pairs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from services.analytics.reviews.aspects import ASPECTS, AspectReader, Sentence
from services.analytics.reviews.sentiment import PolarityRule, Scorer, emotion_scorer
from services.settings import PROJECT_ROOT

EVAL_FILE = PROJECT_ROOT / "data" / "reviews" / "aspect_eval.yml"
HOLDOUT_FILE = PROJECT_ROOT / "data" / "reviews" / "aspect_holdout.yml"
POLARITIES = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class LabelledSentence:
    text: str
    aspects: dict[str, str]  # aspect -> polarity


def load_eval(path: Path = EVAL_FILE) -> list[LabelledSentence]:
    items = yaml.safe_load(path.read_text(encoding="utf-8"))["sentences"]
    out = []
    for item in items:
        aspects = dict(item.get("aspects") or {})
        bad = {a: p for a, p in aspects.items() if a not in ASPECTS or p not in POLARITIES}
        if bad:
            raise ValueError(f"{path}: unknown aspect or polarity {bad} in {item['text']!r}")
        out.append(LabelledSentence(item["text"], aspects))
    return out


@dataclass(frozen=True)
class AspectScores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class EvalReport:
    sentences: int
    pairs: int  # labelled (sentence, aspect) pairs
    detection: dict[str, AspectScores]  # per aspect and "micro"
    polarity_accuracy: float  # on correctly detected pairs
    polarity_correct: int
    detected_pairs: int
    joint_accuracy: float  # aspect found and polarity right, over all labelled pairs
    sentence_polarity_accuracy: float  # the sentence's polarity against its (single-polarity) labels
    confusion: dict[tuple[str, str], int]  # (gold, predicted) polarity on detected pairs


def _scores(tp: int, fp: int, fn: int) -> AspectScores:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return AspectScores(round(p, 4), round(r, 4), round(2 * p * r / (p + r), 4) if p + r else 0.0, tp + fn)


def evaluate(items: list[LabelledSentence], reader: AspectReader, scorer: Scorer, rule: PolarityRule | None = None) -> EvalReport:
    rule = rule or PolarityRule()
    readings = scorer([i.text for i in items])
    counts = {a: Counter() for a in ASPECTS}
    confusion: Counter = Counter()
    joint = detected_correct = polarity_right = sentence_right = sentence_total = 0
    for item, reading in zip(items, readings):
        sentence = Sentence(item.text, reader.aspects(item.text))
        found = set(sentence.aspects)
        per_aspect = rule.aspect_polarities(reading, sentence)
        predicted = rule.sentence_polarity(reading, sentence)
        for aspect in ASPECTS:
            gold = aspect in item.aspects
            counts[aspect]["tp"] += gold and aspect in found
            counts[aspect]["fp"] += not gold and aspect in found
            counts[aspect]["fn"] += gold and aspect not in found
        for aspect, polarity in item.aspects.items():
            if aspect in found:
                detected_correct += 1
                polarity_right += per_aspect[aspect] == polarity
                joint += per_aspect[aspect] == polarity
                confusion[(polarity, per_aspect[aspect])] += 1
        if len(set(item.aspects.values())) == 1:
            sentence_total += 1
            sentence_right += predicted == next(iter(item.aspects.values()))
    detection = {a: _scores(c["tp"], c["fp"], c["fn"]) for a, c in counts.items()}
    totals = [sum(c[k] for c in counts.values()) for k in ("tp", "fp", "fn")]
    detection["micro"] = _scores(*totals)
    pairs = sum(len(i.aspects) for i in items)
    return EvalReport(len(items), pairs, detection, round(polarity_right / detected_correct, 4) if detected_correct else 0.0,
                      polarity_right, detected_correct, round(joint / pairs, 4) if pairs else 0.0,
                      round(sentence_right / sentence_total, 4) if sentence_total else 0.0, dict(confusion))


def format_report(report: EvalReport, rule: PolarityRule) -> str:
    lines = [f"{report.sentences} sentences, {report.pairs} labelled (aspect, polarity) pairs "
             f"(min_confidence={rule.min_confidence}, cue phrases {'on' if rule.use_cues else 'off'})",
             f"{'aspect':<14}{'precision':>10}{'recall':>8}{'F1':>7}{'support':>9}"]
    for aspect, s in report.detection.items():
        lines.append(f"{aspect:<14}{s.precision:>10.3f}{s.recall:>8.3f}{s.f1:>7.3f}{s.support:>9}")
    lines.append(f"polarity accuracy on detected aspects: {report.polarity_accuracy:.3f} ({report.polarity_correct}/{report.detected_pairs})")
    lines.append(f"joint accuracy (aspect found and polarity right): {report.joint_accuracy:.3f}")
    lines.append(f"sentence polarity accuracy: {report.sentence_polarity_accuracy:.3f}")
    gold_pred = ", ".join(f"{g}->{p}: {n}" for (g, p), n in sorted(report.confusion.items()))
    lines.append(f"polarity confusion (gold->predicted): {gold_pred}")
    return "\n".join(lines)


def print_evaluation(min_confidence: float = PolarityRule.min_confidence, reader: AspectReader | None = None) -> None:
    """Both hand-labelled sets: the classifier alone (serving and review prior) and with the cue phrases."""
    reader = reader or AspectReader()
    serving, review = emotion_scorer(deployment_prior=None), emotion_scorer()
    for path in (EVAL_FILE, HOLDOUT_FILE):
        items = load_eval(path)
        for name, scorer, rule in (("classifier only, serving prior", serving, PolarityRule(0.0, use_cues=False)),
                                   ("classifier only, review prior", review, PolarityRule(0.0, use_cues=False)),
                                   ("classifier + cue phrases", review, PolarityRule(min_confidence))):
            print(f"\n{path.name}: {name}\n" + format_report(evaluate(items, reader, scorer, rule), rule))


if __name__ == "__main__":
    print_evaluation()
