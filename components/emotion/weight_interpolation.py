"""Weight-space interpolation of the fine-tuned encoder with its pretrained start (WiSE-FT).

Wortsman et al. (2022, "Robust fine-tuning of zero-shot models") found that averaging the weights
of a fine-tuned model with those of the model it started from keeps most of the in-domain gain
and recovers much of the robustness to new kinds of text that fine-tuning loses. Here:
``encoder = (1 - alpha) * pretrained + alpha * fine_tuned``, layer by layer; the classification
head (which has no pretrained counterpart) is the fine-tuned one. ``alpha = 1`` is the plain
fine-tune.

    python -m components.emotion.weight_interpolation --model_dir models/emotion --alphas 0.5,0.7,0.85,1.0

prints, per ``alpha``, macro-F1 and false alarms on our test split and on the real-text dev set
(skipped when absent), with the model's TF-IDF half when it has one. ``train.py`` applies the
chosen ``alpha`` (``--wise_alpha``) before calibration and export.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer, HfArgumentParser

from components.emotion.base_model import base_model_dir


def interpolate_encoder(model: torch.nn.Module, pretrained_dir: Path | str, alpha: float) -> torch.nn.Module:
    """Set ``model``'s encoder to ``(1 - alpha) * pretrained + alpha * model`` in place and return it.

    Only tensors that exist with the same shape in the pretrained checkpoint are mixed (the
    classifier head stays as trained). Raises ValueError for ``alpha`` outside [0, 1].
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1] (1 = the fine-tune unchanged), got {alpha}")
    if alpha == 1.0:
        return model
    from transformers import AutoModel

    pretrained = AutoModel.from_pretrained(str(pretrained_dir)).state_dict()
    prefix = model.base_model_prefix + "."
    state = model.state_dict()
    mixed = 0
    for key, value in state.items():
        source = pretrained.get(key[len(prefix):]) if key.startswith(prefix) else None
        if source is not None and source.shape == value.shape and value.is_floating_point():
            state[key] = (1 - alpha) * source.to(value.dtype) + alpha * value
            mixed += 1
    if mixed == 0:
        raise ValueError(f"no encoder tensor of {pretrained_dir} matches the model: is it the model's base?")
    model.load_state_dict(state)
    return model


@dataclass
class InterpolationOptions:
    """Options of one interpolation sweep."""

    model_dir: str = field(default="models/emotion", metadata={"help": "A fine-tuned directory written by train.py."})
    alphas: str = field(default="0.5,0.6,0.7,0.8,0.9,1.0", metadata={"help": "Comma-separated alphas to score (1 = the fine-tune)."})
    num_threads: int = field(default=2, metadata={"help": "torch CPU threads."})
    output: str = field(default="", metadata={"help": "Also write the rows as JSON here."})


def main() -> None:
    from components.emotion.calibration import fit_temperature
    from components.emotion.compare import format_table, score
    from components.emotion.data import read_split
    from components.emotion.ensemble import EnsembleWeights, TfidfEnsemble
    from components.emotion.labels import LABEL2ID
    from components.emotion.realtext import load_realtext, skipped_message
    from components.emotion.train import predict_logits

    (options,) = HfArgumentParser(InterpolationOptions).parse_args_into_dataclasses()
    torch.set_num_threads(options.num_threads)
    model_dir = Path(options.model_dir)
    trained = json.loads((model_dir / "metrics.json").read_text())["options"]
    data_dir = Path(trained["data_dir"])
    dev_set, test_set = read_split("dev", data_dir), read_split("test", data_dir)
    real = load_realtext()
    if real is None:
        print(skipped_message())
    sets = {"dev": dev_set, "test": test_set, **({"real": real} if real else {})}
    texts = {k: [e.text for e in v] for k, v in sets.items()}
    gold = {k: [e.label for e in v] for k, v in sets.items()}
    dev_gold = np.array([LABEL2ID[label] for label in gold["dev"]])
    ensemble = TfidfEnsemble.load(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    rows = []
    for alpha in (float(a) for a in options.alphas.split(",")):
        model = interpolate_encoder(AutoModelForSequenceClassification.from_pretrained(model_dir), base_model_dir(), alpha)
        logits = {k: predict_logits(model, tokenizer, v, trained["max_length"]) for k, v in texts.items()}
        evaluation = {k: (gold[k], logits[k]) for k in sets if k != "dev"}
        rows.append(score(f"alpha {alpha:.2f}", logits["dev"], evaluation, dev_gold, 0.0))
        if ensemble is not None:
            weights = EnsembleWeights(ensemble.weights.tfidf_weight, fit_temperature(logits["dev"], dev_gold),
                                      ensemble.weights.tfidf_temperature)
            blend = TfidfEnsemble(ensemble.pipeline, weights)
            combined = {k: blend.combine(logits[k], texts[k]) for k in sets}
            rows.append(score(f"alpha {alpha:.2f} + TF-IDF", combined["dev"],
                              {k: (gold[k], combined[k]) for k in sets if k != "dev"}, dev_gold, 0.0))
        print(" | ".join(f"{k} {v}" for k, v in rows[-1].items() if not isinstance(v, dict)), flush=True)
    print(format_table(rows, real is not None))
    if options.output:
        Path(options.output).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
