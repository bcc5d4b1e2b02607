"""``make emotion-eval``: the fine-tuned model against the TF-IDF baseline on the test split.

Both are scored in the same run; the fine-tuned model through the production inference
path (``EmotionPredictor``, sentence handling included), also with int8 quantization.
Writes ``<model_dir>/eval.json`` and ``<model_dir>/confusion_matrix_eval.png``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from components.emotion.baseline import train_baseline
from components.emotion.data import DATA_DIR, read_split
from components.emotion.inference import EmotionPredictor
from components.emotion.metrics import classification_metrics, format_side_by_side
from components.emotion.report import write_confusion_matrix


def evaluate(model_dir: Path, data_dir: Path = DATA_DIR, split: str = "test") -> dict[str, dict]:
    """Metrics of the baseline, the fine-tuned model (fp32) and its int8 variant on ``split``."""
    train_set, test_set = read_split("train", data_dir), read_split(split, data_dir)
    texts, gold = [e.text for e in test_set], [e.label for e in test_set]
    baseline = train_baseline(train_set)
    results = {"TF-IDF + LogReg": classification_metrics(gold, list(baseline.predict(texts)))}
    for name, quantize in (("MiniLM fine-tuned", False), ("MiniLM int8", True)):
        predictor = EmotionPredictor(model_dir, quantize=quantize)
        predicted = [r.label for r in predictor.predict(texts)]
        results[name] = classification_metrics(gold, predicted)
        if not quantize:
            write_confusion_matrix(gold, predicted, model_dir / "confusion_matrix_eval.png",
                                   title=f"Fine-tuned MiniLM, {split} split (inference path)")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-dir", type=Path, default=Path("models/emotion"))
    parser.add_argument("--split", default="test", choices=["dev", "test"])
    args = parser.parse_args()
    results = evaluate(args.model_dir, split=args.split)
    print(f"Emotion classifier, {args.split} split ({results['TF-IDF + LogReg']['per_class']['neutral']['support']} neutral, "
          f"{sum(c['support'] for c in results['TF-IDF + LogReg']['per_class'].values())} messages)\n")
    print(format_side_by_side(results))
    gain = results["MiniLM fine-tuned"]["macro_f1"] - results["TF-IDF + LogReg"]["macro_f1"]
    print(f"\nfine-tuned minus baseline macro-F1: {gain:+.4f}")
    (args.model_dir / "eval.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
