"""``make emotion-retrain``: fine-tune on the authored data plus the labelled feedback, gate, promote.

    python -m services.learning.retrain [--epochs 3 ...any components.emotion.train flag...]

1. Training set: the authored ``train.csv`` plus every ``data/emotion/feedback/*.jsonl`` example
   (the last label of a text wins). Feedback that is, or nearly is, a dev or test message is left
   out, so the figures the gate compares stay honest; an authored training message the feedback
   labels again is replaced by it. Dev and test are the authored splits, untouched.
2. The candidate is fine-tuned by ``components.emotion.train.train`` into ``versions_dir/<version>``.
3. The gate (``services/learning/gate.py``) scores it and the serving model in the same run.
4. Promoted: copied into ``serving_dir``; refused: deleted (unless ``--keep_refused``). Either
   way the registry records the figures. ``make emotion-restore`` goes back one promotion.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from components.emotion.data import (
    AMBIGUOUS_SPLITS,
    SPLITS,
    Example,
    data_fingerprint,
    near_duplicate_groups,
    normalise,
    read_ambiguous,
    read_split,
    write_ambiguous,
    write_splits,
)
from services.learning.feedback import FEEDBACK_DIR, feedback_examples, feedback_files, read_feedback
from services.learning.gate import TOLERANCE, GateDecision, run_gate
from services.learning.registry import REGISTRY_FILE, SERVING_DIR, VERSIONS_DIR, Registry, new_version_id

PROVENANCE_FILE = "learning.json"


@dataclass
class RetrainOptions:
    """Options of the learning loop (the fine-tuning flags are components.emotion.train's; its output_dir is not used)."""

    feedback_dir: str = field(default=str(FEEDBACK_DIR), metadata={"help": "Directory of the labelled feedback *.jsonl files."})
    serving_dir: str = field(default=str(SERVING_DIR), metadata={"help": "The model the assistant serves; a promotion replaces it."})
    versions_dir: str = field(default=str(VERSIONS_DIR), metadata={"help": "Where every candidate and archived model is kept."})
    registry: str = field(default=str(REGISTRY_FILE), metadata={"help": "The model registry (JSON) recording every decision."})
    tolerance: float = field(default=TOLERANCE, metadata={"help": "Largest macro-F1 drop (0-1 scale; 0.005 = 0.5 points) still promoted."})
    gate_backend: str = field(default="auto", metadata={"help": "Backend both models are scored with: auto (onnx-int8 when both have it, else torch)."})
    realtext_dir: str = field(default="", metadata={"help": "Real-text set (default: EMOTION_REALTEXT_DIR or ../shared/eval/goemotions); skipped if absent."})
    dry_run: bool = field(default=False, metadata={"help": "Train and gate, record the decision, but do not promote."})
    keep_refused: bool = field(default=False, metadata={"help": "Keep the directory of a refused candidate (for inspection)."})


@dataclass(frozen=True)
class TrainingSet:
    """The splits a candidate is trained on, and what the feedback did to them."""

    splits: dict[str, list[Example]]
    added: int  # feedback examples in the training split
    replaced: int  # authored training messages dropped because the feedback labels them again
    held_out: int  # feedback examples left out: (near-)duplicates of dev or test messages


@dataclass(frozen=True)
class RetrainResult:
    version: str
    promoted: bool
    decision: GateDecision
    training: TrainingSet
    feedback_labels: int


def build_training_set(data_dir: Path, feedback: list[Example]) -> TrainingSet:
    """Authored splits plus ``feedback`` in training (see the module docstring for the rules)."""
    splits = {name: read_split(name, data_dir) for name in SPLITS}
    held = splits["dev"] + splits["test"]
    held_keys = {normalise(e.text) for e in held}
    kept = [e for e in feedback if normalise(e.text) not in held_keys]
    if kept:
        groups = near_duplicate_groups([e.text for e in held] + [e.text for e in kept])
        held_groups = set(groups[: len(held)])
        kept = [e for e, group in zip(kept, groups[len(held):]) if group not in held_groups]
    feedback_keys = {normalise(e.text) for e in kept}
    train = [e for e in splits["train"] if normalise(e.text) not in feedback_keys]
    return TrainingSet({"train": train + kept, "dev": splits["dev"], "test": splits["test"]},
                       added=len(kept), replaced=len(splits["train"]) - len(train), held_out=len(feedback) - len(kept))


def ambiguous_without(train: list[Example], data_dir: Path) -> dict:
    """The authored ambiguous split minus texts that ``train`` labels (feedback gives them one label)."""
    labelled = {normalise(e.text) for e in train}
    return {name: [e for e in read_ambiguous(name, data_dir) if normalise(e.text) not in labelled] for name in AMBIGUOUS_SPLITS}


def write_provenance(model_dir: Path, authored_dir: Path, training_dir: Path, feedback_dir: Path, built: TrainingSet) -> None:
    """``learning.json`` (what the candidate learnt from), and a training stamp naming the authored splits.

    ``training_fingerprint.json`` then says "trained for these authored splits and options", so the
    Rasa component packs the promoted model instead of fine-tuning again without the feedback.
    """
    files = [{"file": p.name, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()} for p in feedback_files(feedback_dir)]
    provenance = {"authored_data": data_fingerprint(authored_dir), "training_data": data_fingerprint(training_dir),
                  "feedback_files": files, "feedback_examples": built.added, "authored_replaced": built.replaced,
                  "feedback_held_out": built.held_out, "train_size": len(built.splits["train"])}
    (model_dir / PROVENANCE_FILE).write_text(json.dumps(provenance, indent=2))
    stamp_path = model_dir / "training_fingerprint.json"
    stamp = json.loads(stamp_path.read_text())
    stamp_path.write_text(json.dumps({**stamp, "data": provenance["authored_data"]}, indent=2))


def retrain(options: RetrainOptions, training, say=print) -> RetrainResult:
    """One turn of the loop; ``training`` is a ``components.emotion.train.TrainingOptions`` (its output_dir is ignored)."""
    from components.emotion.train import train

    authored, feedback_dir = Path(training.data_dir), Path(options.feedback_dir)
    records = read_feedback(feedback_dir)
    built = build_training_set(authored, feedback_examples(records))
    say(f"feedback: {len(records)} label(s) in {len(feedback_files(feedback_dir))} file(s) -> {built.added} training example(s); "
        f"{built.held_out} left out (near a dev/test message), {built.replaced} authored message(s) relabelled; "
        f"train {len(built.splits['train'])}, dev {len(built.splits['dev'])}, test {len(built.splits['test'])}")
    registry = Registry.load(Path(options.registry), Path(options.serving_dir))
    current = registry.adopt_serving(Path(options.versions_dir))
    registry.save()
    say(f"serving: {current or 'nothing'}")
    version = new_version_id()
    candidate_dir = Path(options.versions_dir) / version
    with tempfile.TemporaryDirectory(prefix="emotion-retrain-") as tmp:
        write_splits(built.splits, Path(tmp))
        write_ambiguous(ambiguous_without(built.splits["train"], authored), Path(tmp))
        say(f"fine-tuning candidate {version} ({training.epochs} epoch(s), seed {training.seed})")
        metrics = train(dataclasses.replace(training, output_dir=str(candidate_dir), data_dir=tmp))
        write_provenance(candidate_dir, authored, Path(tmp), feedback_dir, built)
    say(f"candidate trained in {metrics['train_minutes']} min; gating against {current or 'no current model'}")
    decision = run_gate(candidate_dir, registry.serving_dir if current else None, authored, options.tolerance,
                        options.gate_backend, Path(options.realtext_dir) if options.realtext_dir else None)
    say(f"gate: {decision.summary()}")
    figures = {**decision.figures(), "train_size": len(built.splits["train"]), "feedback_examples": built.added}
    promoted = decision.promote and not options.dry_run
    if promoted or options.keep_refused:
        registry.add_version(version, candidate_dir, origin="retrain", figures=figures, previous=None)
    if promoted:
        registry.promote(version, decision.reason, figures)
        say(f"PROMOTED {version} -> {registry.serving_dir} ({decision.reason}); `make emotion-restore` brings back {current or 'nothing'}")
    else:
        reason = decision.reason if not decision.promote else f"dry run ({decision.reason})"
        registry.log("refused" if not decision.promote else "not-promoted", version, current=current, reason=reason, figures=figures)
        if not options.keep_refused:
            shutil.rmtree(candidate_dir, ignore_errors=True)
        say(f"{'REFUSED' if not decision.promote else 'NOT PROMOTED'} {version}: {reason}; still serving {current or 'nothing'}")
    registry.save()
    return RetrainResult(version, promoted, decision, built, len(records))


def main(argv: list[str] | None = None) -> int:
    from transformers import HfArgumentParser

    from components.emotion.train import TrainingOptions

    parser = HfArgumentParser((RetrainOptions, TrainingOptions), description=__doc__.splitlines()[0])
    options, training = parser.parse_args_into_dataclasses(args=argv)
    retrain(options, training, say=lambda line: print(line, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
