"""Classification metrics (scikit-learn) in the shape metrics.json and the reports use."""

from __future__ import annotations

from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from components.emotion.labels import LABELS, NEGATIVE


def classification_metrics(y_true: list[str], y_pred: list[str]) -> dict:
    """Per-class precision/recall/F1/support, macro-F1 and accuracy over ``LABELS``."""
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=list(LABELS), zero_division=0)
    return {
        "per_class": {
            label: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
            for i, label in enumerate(LABELS)
        },
        "macro_f1": float(f.mean()),
        "accuracy": float(accuracy_score(y_true, y_pred)) if y_true else 0.0,
    }


def label_confusion(y_true: list[str], y_pred: list[str]):
    """Confusion matrix, rows = true label, columns = predicted, in ``LABELS`` order (int64 array 7x7)."""
    return confusion_matrix(y_true, y_pred, labels=list(LABELS))


def format_side_by_side(results: dict[str, dict]) -> str:
    """A text table: one row per class, P/R/F1 columns for each named result, macro-F1 last."""
    names = list(results)
    header = f"{'label':12s}" + "".join(f"| {n[:22]:^22s} " for n in names)
    sub = f"{'':12s}" + "".join(f"| {'P':>6s} {'R':>6s} {'F1':>7s} " for _ in names)
    lines = [header, sub, "-" * len(sub)]
    for label in LABELS:
        row = f"{label:12s}"
        for n in names:
            c = results[n]["per_class"][label]
            row += f"| {c['precision']:6.3f} {c['recall']:6.3f} {c['f1']:7.3f} "
        lines.append(row)
    lines.append("-" * len(sub))
    lines.append(f"{'macro-F1':12s}" + "".join(f"| {results[n]['macro_f1']:>22.4f} " for n in names))
    lines.append(f"{'accuracy':12s}" + "".join(f"| {results[n]['accuracy']:>22.4f} " for n in names))
    return "\n".join(lines)


def false_alarm_rate(gold: list[str], predicted: list[str], confident: list[bool] | None = None) -> float:
    """Share of gold-neutral messages read as negative (angry, frustrated or anxious).

    With ``confident``, only confident negative readings count: those are the ones the dialogue acts on.
    """
    confident = confident if confident is not None else [True] * len(gold)
    neutral = [(p, c) for g, p, c in zip(gold, predicted, confident) if g == "neutral"]
    return sum(p in NEGATIVE and c for p, c in neutral) / len(neutral) if neutral else 0.0
