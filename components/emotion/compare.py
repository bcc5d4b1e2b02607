"""``make emotion-compare``: candidate emotion models side by side, own test split and real text.

    python -m components.emotion.compare --output_dir models/compare

Trains, in one run and on the same train split: TF-IDF + logistic regression; today's
fine-tune; a more strongly regularised fine-tune; LP-FT (head fitted on frozen features first); a frozen sentence-embedding model (MiniLM
mean pooling) with logistic regression; and ensembles of the fine-tunes with TF-IDF and with
the frozen model. Each is scored with temperature scaling fitted on our dev split and the
deployment prior, on our test split and on the real-text dev set (skipped when absent).
Prints a table and writes ``comparison.json`` and ``comparison.md``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from transformers import HfArgumentParser

from components.emotion.baseline import train_baseline
from components.emotion.calibration import Calibration, expected_calibration_error, fit_temperature
from components.emotion.data import DATA_DIR, Example, data_fingerprint, read_split, read_training_set
from components.emotion.labels import LABEL2ID, LABELS
from components.emotion.metrics import classification_metrics, false_alarm_rate
from components.emotion.realtext import load_realtext, skipped_message
from components.emotion.train import TrainingOptions, forward_sorted, predict_logits, train

CONFIDENCE_THRESHOLD = 0.6  # EmotionClassifier's default confidence_threshold
DEFAULT_CANDIDATES: dict[str, dict] = {
    "Fine-tune (today's recipe)": {},
    "Fine-tune, regularised": {"hidden_dropout": 0.2, "attention_dropout": 0.2, "label_smoothing": 0.15, "learning_rate": 6e-5},
    "Fine-tune, LP-FT (linear probe first)": {"linear_probe": True},
}


@dataclass
class CompareOptions:
    """Options of one comparison run."""

    output_dir: str = field(default="models/compare", metadata={"help": "Where candidate models and the table go."})
    data_dir: str = field(default=str(DATA_DIR), metadata={"help": "Directory with train.csv, dev.csv, test.csv and ambiguous.csv (optional)."})
    candidates: str = field(default=json.dumps(DEFAULT_CANDIDATES),
                            metadata={"help": "JSON {name: TrainingOptions overrides} of the fine-tunes to compare."})
    reuse: str = field(default="{}", metadata={"help": "JSON {name: model dir}: fine-tuned directories to score without training (e.g. models/emotion)."})
    skip_finetunes: bool = field(default=False, metadata={"help": "Only the TF-IDF and frozen-embedding candidates (minutes, not tens)."})
    seed: int = field(default=42, metadata={"help": "Seed of every candidate."})


def frozen_embeddings(texts: list[str], batch_size: int = 64) -> np.ndarray:
    """L2-normalised mean-pooled MiniLM embeddings ``(n, 384)`` (sentence-transformers' recipe)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from components.emotion.base_model import base_model_dir

    base = base_model_dir()
    tokenizer, model = AutoTokenizer.from_pretrained(base), AutoModel.from_pretrained(base)

    def mean_pooled(m, enc) -> torch.Tensor:
        mask = enc["attention_mask"].unsqueeze(-1).float()
        pooled = (m(**enc).last_hidden_state * mask).sum(1) / mask.sum(1).clamp(min=1)
        return torch.nn.functional.normalize(pooled, dim=-1)

    return forward_sorted(model, tokenizer, texts, 128, batch_size, model.config.hidden_size, mean_pooled)


def score(name: str, dev_logits: np.ndarray, sets: dict[str, tuple[list[str], np.ndarray]], dev_gold: np.ndarray,
          minutes: float) -> dict:
    """Temperature on dev, deployment prior, then macro-F1, false alarms and ECE per set."""
    calibration = Calibration(temperature=fit_temperature(dev_logits, dev_gold))
    row: dict = {"model": name, "train_minutes": round(minutes, 2), "temperature": round(calibration.temperature, 3)}
    dev_raw = calibration.probabilities(dev_logits, use_prior=False)
    row["dev_ece"] = round(expected_calibration_error(dev_raw, dev_gold), 4)
    for set_name, (gold, logits) in sets.items():
        for suffix, use_prior in (("", True), ("_noprior", False)):
            probs = calibration.probabilities(logits, use_prior)
            predicted = [LABELS[i] for i in probs.argmax(1)]
            metrics = classification_metrics(gold, predicted)
            row[f"{set_name}_macro_f1{suffix}"] = round(metrics["macro_f1"], 4)
            row[f"{set_name}_false_alarm{suffix}"] = round(false_alarm_rate(gold, predicted), 4)
            confident = list(probs.max(1) >= CONFIDENCE_THRESHOLD)
            row[f"{set_name}_confident_false_alarm{suffix}"] = round(false_alarm_rate(gold, predicted, confident), 4)
            if not suffix:
                row[f"{set_name}_per_class_f1"] = {k: round(v["f1"], 3) for k, v in metrics["per_class"].items()}
    return row


def cached_metrics(target: Path, run: TrainingOptions) -> dict | None:
    """metrics.json of an earlier run with the same data and options in ``target`` (no retraining), else None."""
    stamp = target / "training_fingerprint.json"
    if stamp.exists() and json.loads(stamp.read_text()) == {"data": data_fingerprint(Path(run.data_dir)), "options": run.fingerprint()}:
        print(f"reusing {target} (same data and options)")
        return json.loads((target / "metrics.json").read_text())
    return None


def log_probs(probs: np.ndarray) -> np.ndarray:
    return np.log(np.clip(probs, 1e-9, 1.0))


def main() -> None:
    (options,) = HfArgumentParser(CompareOptions).parse_args_into_dataclasses()
    out = Path(options.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    data_dir = Path(options.data_dir)
    train_set, dev_set, test_set = read_training_set(data_dir), read_split("dev", data_dir), read_split("test", data_dir)
    real = load_realtext()
    if real is None:
        print(skipped_message())
    evaluation: dict[str, list[Example]] = {"test": test_set, **({"real": real} if real else {})}
    dev_gold = np.array([LABEL2ID[e.label] for e in dev_set])
    texts = {"dev": [e.text for e in dev_set], **{k: [e.text for e in v] for k, v in evaluation.items()}}
    gold = {k: [e.label for e in v] for k, v in evaluation.items()}
    logits: dict[str, dict[str, np.ndarray]] = {}
    minutes: dict[str, float] = {}

    started = time.monotonic()
    tfidf = train_baseline(train_set, seed=options.seed)
    logits["TF-IDF + LogReg"] = {k: log_probs(tfidf.predict_proba(v)) for k, v in texts.items()}
    minutes["TF-IDF + LogReg"] = (time.monotonic() - started) / 60

    from sklearn.linear_model import LogisticRegression

    started = time.monotonic()
    embedded = {k: frozen_embeddings(v) for k, v in {"train": [e.text for e in train_set], **texts}.items()}
    frozen = LogisticRegression(C=4.0, max_iter=3000, class_weight="balanced", random_state=options.seed)
    frozen.fit(embedded["train"], [e.label for e in train_set])
    assert list(frozen.classes_) == sorted(LABELS)
    reorder = [list(frozen.classes_).index(label) for label in LABELS]
    logits["Frozen MiniLM + LogReg"] = {k: frozen.decision_function(embedded[k])[:, reorder] for k in texts}
    minutes["Frozen MiniLM + LogReg"] = (time.monotonic() - started) / 60
    tfidf_reorder = [list(tfidf.classes_).index(label) for label in LABELS]
    logits["TF-IDF + LogReg"] = {k: v[:, tfidf_reorder] for k, v in logits["TF-IDF + LogReg"].items()}

    if not options.skip_finetunes:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        candidates = json.loads(options.candidates)
        reused = {name: Path(path) for name, path in json.loads(options.reuse).items()}
        for name in [*reused, *candidates]:
            if name in reused:
                target = reused[name]
                metrics = json.loads((target / "metrics.json").read_text())
                run = TrainingOptions(**{k: v for k, v in metrics["options"].items() if k in TrainingOptions.__dataclass_fields__})
            else:
                target = out / "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_")
                run = TrainingOptions(output_dir=str(target), data_dir=str(data_dir), seed=options.seed, export_onnx=False,
                                      tfidf_weight=0.0, **candidates[name])
                metrics = cached_metrics(target, run) or train(run)
            tokenizer = AutoTokenizer.from_pretrained(target)
            model = AutoModelForSequenceClassification.from_pretrained(target)
            logits[name] = {k: predict_logits(model, tokenizer, v, run.max_length) for k, v in texts.items()}
            minutes[name] = metrics["train_minutes"]
        for name in [*reused, *candidates]:
            for partner in ("TF-IDF + LogReg", "Frozen MiniLM + LogReg"):
                blend = {}
                for k in texts:
                    blend[k] = (log_probs(Calibration(fit_temperature(logits[name]["dev"], dev_gold)).probabilities(logits[name][k], False))
                                + log_probs(Calibration(fit_temperature(logits[partner]["dev"], dev_gold)).probabilities(logits[partner][k], False))) / 2
                logits[f"{name} + {partner.split(' +')[0]}"] = blend
                minutes[f"{name} + {partner.split(' +')[0]}"] = minutes[name] + minutes[partner]

    rows = [score(name, v["dev"], {k: (gold[k], v[k]) for k in evaluation}, dev_gold, minutes[name]) for name, v in logits.items()]
    (out / "comparison.json").write_text(json.dumps(rows, indent=2))
    table = format_table(rows, real is not None)
    (out / "comparison.md").write_text(table + "\n")
    print(table)


def format_table(rows: list[dict], with_real: bool) -> str:
    """Markdown: one row per candidate; deployed numbers (deployment prior applied), raw argmax in brackets."""
    head = "| model | test macro-F1 | test false alarms |"
    rule = "|---|---|---|"
    if with_real:
        head += " real macro-F1 | real false alarms | real confident false alarms |"
        rule += "---|---|---|"
    head += " dev ECE | T | train min |"
    rule += "---|---|---|"
    lines = [head, rule]
    for r in rows:
        line = f"| {r['model']} | {r['test_macro_f1']:.4f} ({r['test_macro_f1_noprior']:.4f}) | {r['test_false_alarm']:.1%} |"
        if with_real:
            line += (f" {r['real_macro_f1']:.4f} ({r['real_macro_f1_noprior']:.4f}) | {r['real_false_alarm']:.1%} ({r['real_false_alarm_noprior']:.1%}) |"
                     f" {r['real_confident_false_alarm']:.1%} |")
        line += f" {r['dev_ece']:.4f} | {r['temperature']:.2f} | {r['train_minutes']:.1f} |"
        lines.append(line)
    return "\n".join(lines)


if __name__ == "__main__":
    main()
