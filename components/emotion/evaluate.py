"""``make emotion-eval``: the serving model against the TF-IDF baseline, own test split and real text.

Both are scored in the same run through the production inference path (``EmotionPredictor``:
calibration, deployment prior, sentence handling), for every backend (torch fp32/int8, ONNX
fp32/int8), on our test split and on the real-text dev set (skipped when absent). Also reports
the false-alarm rate (gold neutral read as negative), how often held-out ambiguous messages are
read as confident, and the calibration figures of training.
Writes ``<model_dir>/eval.json`` and ``<model_dir>/confusion_matrix_eval.png``.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

from components.emotion.baseline import train_baseline
from components.emotion.data import DATA_DIR, Example, read_ambiguous, read_split, read_training_set
from components.emotion.inference import BACKENDS, EmotionPredictor
from components.emotion.labels import NEGATIVE
from components.emotion.metrics import classification_metrics, false_alarm_rate, format_side_by_side
from components.emotion.realtext import load_realtext, skipped_message
from components.emotion.report import write_confusion_matrix

BASELINE = "TF-IDF + LogReg"


def evaluation_sets(data_dir: Path = DATA_DIR, split: str = "test") -> dict[str, list[Example]]:
    """Our ``split`` and, when present, the real-text dev set."""
    sets = {split: read_split(split, data_dir)}
    real = load_realtext()
    if real is not None:
        sets["real"] = real
    return sets


@dataclass
class SetPredictions:
    """What each model read on one evaluation set: ``labels[model][i]`` is its label for message ``i``."""

    gold: list[str]
    labels: dict[str, list[str]]
    confident: dict[str, list[bool]]


def predict_sets(model_dir: Path, data_dir: Path = DATA_DIR, split: str = "test",
                 backends: tuple[str, ...] = BACKENDS) -> dict[str, SetPredictions]:
    """The baseline's and each backend's readings on every evaluation set (``evaluation_sets``)."""
    baseline = train_baseline(read_training_set(data_dir))
    predictors = {backend: EmotionPredictor(model_dir, backend=backend, explain=False) for backend in backends}
    out: dict[str, SetPredictions] = {}
    for set_name, examples in evaluation_sets(data_dir, split).items():
        texts = [e.text for e in examples]
        predicted = SetPredictions([e.label for e in examples], {BASELINE: list(baseline.predict(texts))}, {BASELINE: [True] * len(texts)})
        for backend, predictor in predictors.items():
            readings = predictor.predict(texts)
            predicted.labels[f"MiniLM {backend}"] = [r.label for r in readings]
            predicted.confident[f"MiniLM {backend}"] = [r.confident for r in readings]
        out[set_name] = predicted
    return out


def score(predictions: dict[str, SetPredictions]) -> dict[str, dict[str, dict]]:
    """``{set: {model: metrics + false_alarm + confident_false_alarm}}``."""
    return {set_name: {name: {**classification_metrics(p.gold, labels), "false_alarm": false_alarm_rate(p.gold, labels),
                              "confident_false_alarm": false_alarm_rate(p.gold, labels, p.confident[name])}
                       for name, labels in p.labels.items()}
            for set_name, p in predictions.items()}


def ambiguous_readings(predictor: EmotionPredictor, data_dir: Path = DATA_DIR) -> dict | None:
    """On the held-out ambiguous messages: mean confidence, the share read as ``confident`` (and as a
    confident negative), and the share whose label is one of the plausible ones; None without the file."""
    examples = read_ambiguous("heldout", data_dir)
    if not examples:
        return None
    readings = predictor.predict([e.text for e in examples])
    n = len(examples)
    return {"messages": n, "mean_confidence": round(sum(r.confidence for r in readings) / n, 4),
            "confident": round(sum(r.confident for r in readings) / n, 4),
            "confident_negative": round(sum(r.confident and r.label in NEGATIVE for r in readings) / n, 4),
            "plausible_label": round(sum(r.label in e.labels for r, e in zip(readings, examples)) / n, 4)}


def evaluate(model_dir: Path, data_dir: Path = DATA_DIR, split: str = "test",
             backends: tuple[str, ...] = BACKENDS) -> dict[str, dict[str, dict]]:
    """``score`` of ``predict_sets``; writes the first backend's confusion matrix per set into ``model_dir``."""
    predictions = predict_sets(model_dir, data_dir, split, backends)
    serving = f"MiniLM {backends[0]}"
    for set_name, p in predictions.items():
        write_confusion_matrix(p.gold, p.labels[serving], model_dir / f"confusion_matrix_{set_name}.png",
                               title=f"{serving}, {set_name} ({len(p.gold)} messages)")
    return score(predictions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=Path("models/emotion"))
    parser.add_argument("--split", default="test", choices=["dev", "test"])
    args = parser.parse_args()
    results = evaluate(args.model_dir, split=args.split)
    if "real" not in results:
        print(skipped_message())
    for set_name, rows in results.items():
        print(f"\n== {set_name}: {sum(c['support'] for c in rows[BASELINE]['per_class'].values())} messages\n")
        print(format_side_by_side(rows))
        print("false alarms (neutral read as negative): " + ", ".join(f"{k} {v['false_alarm']:.1%}" for k, v in rows.items()))
        print("confident false alarms (what the dialogue acts on): "
              + ", ".join(f"{k} {v['confident_false_alarm']:.1%}" for k, v in rows.items() if k != BASELINE))
        gain = rows["MiniLM onnx-int8"]["macro_f1"] - rows[BASELINE]["macro_f1"]
        print(f"serving (onnx-int8) minus baseline macro-F1: {gain:+.4f}")
    ambiguous = ambiguous_readings(EmotionPredictor(args.model_dir, explain=False))
    if ambiguous:
        print(f"\nheld-out ambiguous messages ({ambiguous['messages']}): mean confidence {ambiguous['mean_confidence']:.3f}, "
              f"{ambiguous['confident']:.1%} confident, "
              f"{ambiguous['confident_negative']:.1%} confident negative, {ambiguous['plausible_label']:.1%} with a plausible label")
        results["ambiguous_heldout"] = ambiguous
    calibration = json.loads((args.model_dir / "metrics.json").read_text()).get("calibration", {})
    if calibration:
        print(f"\ncalibration (our dev split): temperature {calibration['temperature']}, ECE {calibration['dev_ece_before']} -> "
              f"{calibration['dev_ece_after']}, NLL {calibration['dev_nll_before']} -> {calibration['dev_nll_after']}")
    (args.model_dir / "eval.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
