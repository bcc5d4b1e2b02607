"""A full turn of the loop with small real models: queue, label, retrain, gate, promote, refuse, restore.

The models are really fine-tuned (a few hundred authored messages, short inputs, one or two
epochs, no ONNX export) and really scored by the gate; nothing about their figures is assumed
beyond "a model trained on permuted labels is worse than one trained on the right ones".
"""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest

from components.emotion.data import Example, normalise, read_split
from components.emotion.inference import EmotionPredictor
from components.emotion.labels import LABELS
from components.emotion.train import TrainingOptions
from demo_site.desk.accounts import create_agent
from demo_site.desk.conversation import Turn
from demo_site.desk.corrections import record_correction
from services.learning import retrain as retrain_module
from services.learning.feedback import FeedbackRecord, FeedbackWriter, read_feedback
from services.learning.gate import TOLERANCE
from services.learning.label_cli import label_items
from services.learning.queue import confidence_threshold, enqueue_if_uncertain, pending_items, queue_counts, sync_corrections
from services.learning.registry import Registry, model_digest
from services.learning.restore import main as restore_main
from services.learning.retrain import RetrainOptions, retrain
from services.pii import mask_text
from tests.conftest import open_session

PII = ["", " my email is sam.ortiz@example.com", " call me on (503) 555-0147", ""]


def small_training(data_dir: Path, **overrides) -> TrainingOptions:
    options = dict(data_dir=str(data_dir), epochs=2, batch_size=16, max_length=32, export_onnx=False, progress=False,
                   num_threads=2, max_minutes=5.0, seed=42)
    return TrainingOptions(**{**options, **overrides})


def loop_options(root: Path, feedback: Path, realtext: Path | None = None) -> RetrainOptions:
    return RetrainOptions(feedback_dir=str(feedback), serving_dir=str(root / "emotion"), versions_dir=str(root / "emotion_versions"),
                          registry=str(root / "emotion_registry.json"), realtext_dir=str(realtext or root / "no-realtext"))


def shopper_messages(small_data: Path, per_label: int = 2) -> list[Example]:
    """Authored training messages that are not in the small splits: what shoppers 'wrote'."""
    used = {normalise(e.text) for name in ("train", "dev", "test") for e in read_split(name, small_data)}
    rng = random.Random(11)
    rows = [e for e in read_split("train") if normalise(e.text) not in used]
    return [e for label in LABELS for e in rng.sample([r for r in rows if r.label == label], per_label)]


def write_realtext(directory: Path, small_data: Path) -> int:
    """A tiny real-text set in the GoEmotions layout, from authored test messages outside the small test split."""
    directory.mkdir()
    names = ["anger", "annoyance", "nervousness", "confusion", "neutral", "joy", "gratitude"]  # one per label, LABELS order
    (directory / "labels.txt").write_text("\n".join(names) + "\n")
    used = {normalise(e.text) for e in read_split("test", small_data)}
    rng = random.Random(5)
    rows = [e for e in read_split("test") if normalise(e.text) not in used]
    sample = [e for label in LABELS for e in rng.sample([r for r in rows if r.label == label], 8)]
    (directory / "dev.tsv").write_text("".join(f"{e.text}\t{LABELS.index(e.label)}\tr{i}\n" for i, e in enumerate(sample)))
    return len(sample)


def test_queue_label_retrain_gate_promote_refuse_restore(sqlite_url: str, small_data: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    root, feedback = tmp_path / "models", tmp_path / "feedback"
    figures: dict = {}

    # 1. A first, weak model: nothing serves yet, so the gate promotes it (the real-text set is absent: skipped).
    argv = ["--feedback_dir", str(feedback), "--serving_dir", str(root / "emotion"), "--versions_dir", str(root / "emotion_versions"),
            "--registry", str(root / "emotion_registry.json"), "--realtext_dir", str(root / "no-realtext"),
            "--data_dir", str(small_data), "--epochs", "1", "--max_train_examples", "21", "--batch_size", "16", "--max_length", "32",
            "--no_export_onnx", "--no_progress", "--seed", "42"]
    assert retrain_module.main(argv) == 0
    assert "PROMOTED" in capsys.readouterr().out
    registry = Registry.load(root / "emotion_registry.json")
    first = registry.current
    assert registry.events[-1]["action"] == "promoted" and registry.events[-1]["reason"] == "no current model"
    assert registry.events[-1]["figures"]["skipped"] == ["real"]

    # 2. Queue: the serving model reads the shoppers' messages; the unsure ones are queued, agents correct the wrong ones.
    messages = shopper_messages(small_data)
    texts = [m.text + PII[i % len(PII)] for i, m in enumerate(messages)]
    readings = EmotionPredictor(root / "emotion", backend="torch", explain=False).predict(texts)
    threshold = confidence_threshold()
    with open_session(sqlite_url) as s:
        agent = create_agent(s, "ann", "a long enough password")
        queued = sum(enqueue_if_uncertain(s, sender_id=f"shopper-{i}", text=text, label=r.label, confidence=r.confidence)
                     for i, (text, r) in enumerate(zip(texts, readings)))
        wrong = [(i, m, r) for i, (m, r) in enumerate(zip(messages, readings)) if r.label != m.label]
        for i, message, reading in wrong[::2]:  # agents catch every other mistake
            record_correction(s, agent, f"shopper-{i}", Turn("shopper", texts[i], 1.0, 0, reading.label, reading.confidence), message.label)
        corrections = sync_corrections(s)
        counts = queue_counts(s)
    assert queued == sum(r.confidence < threshold for r in readings) > 0
    assert counts["pending"] == queued + sum(readings[i].confidence >= threshold for i, _, _ in wrong[::2])
    figures["queue"] = {"messages": len(texts), "uncertain": queued, "corrections": corrections, "pending": counts["pending"]}

    # 3. Label: the labeller answers with the authored label (typed as the label's name).
    gold = {mask_text(t.strip()): m.label for t, m in zip(texts, messages)}
    with open_session(sqlite_url) as s:
        items = pending_items(s)
        answers = "".join(f"{gold[item.text_masked]}\n" for item in items)
        summary = label_items(s, items, labeller="tester", writer=FeedbackWriter(feedback / "20261122T120000Z-tester.jsonl"),
                              stdin=io.StringIO(answers), stdout=io.StringIO())
        assert queue_counts(s)["pending"] == 0
    records = read_feedback(feedback)
    assert summary.labelled == len(records) == counts["pending"]
    assert all("@" not in r.text and "555" not in r.text for r in records)
    assert summary.relabelled == sum(r.label != (r.suggested_label or r.model_label) for r in records)
    figures["labels"] = {"written": len(records), "confirmed": summary.confirmed, "relabelled": summary.relabelled}

    # 4. Retrain on everything plus the feedback; the real-text set is present now. The gate compares with the weak model.
    realtext_size = write_realtext(tmp_path / "realtext", small_data)
    result = retrain(loop_options(root, feedback, tmp_path / "realtext"), small_training(small_data), say=lambda _line: None)
    sets = {s.name: s for s in result.decision.sets}
    assert set(sets) == {"test", "real"} and sets["real"].size == realtext_size
    assert result.training.added == len(records) and result.feedback_labels == len(records)
    assert result.decision.promote == all(s.candidate >= s.current - TOLERANCE for s in sets.values())
    assert result.promoted, result.decision.summary()  # a model trained on 10x the data beats the 21-example one
    registry = Registry.load(root / "emotion_registry.json")
    assert registry.current == result.version and registry.versions[result.version]["previous"] == first
    assert model_digest(root / "emotion") == registry.versions[result.version]["digest"]
    provenance = json.loads((root / "emotion" / "learning.json").read_text())
    assert provenance["feedback_examples"] == len(records) and provenance["feedback_files"][0]["file"] == "20261122T120000Z-tester.jsonl"
    figures["promotion"] = result.decision.figures()["sets"]

    # 5. A deliberately bad candidate: feedback relabels every training message with the next label. The gate refuses it.
    bad = tmp_path / "bad-feedback"
    writer = FeedbackWriter(bad / "20261122T130000Z-saboteur.jsonl")
    for e in read_split("train", small_data):
        wrong_label = LABELS[(LABELS.index(e.label) + 1) % len(LABELS)]
        writer.append(FeedbackRecord(e.text, wrong_label, "relabelled"))
    serving_before = model_digest(root / "emotion")
    refused = retrain(loop_options(root, bad, tmp_path / "realtext"), small_training(small_data), say=lambda _line: None)
    assert not refused.promoted and not refused.decision.promote
    assert any(s.candidate < s.current - TOLERANCE for s in refused.decision.sets)
    assert model_digest(root / "emotion") == serving_before
    assert not (root / "emotion_versions" / refused.version).exists()
    registry = Registry.load(root / "emotion_registry.json")
    assert registry.current == result.version and registry.events[-1]["action"] == "refused"
    assert registry.events[-1]["figures"]["sets"]["test"]["candidate"] == refused.decision.sets[0].candidate
    figures["refusal"] = refused.decision.figures()["sets"]

    # 6. One command brings back the model that served before the promotion.
    assert restore_main(["--registry", str(root / "emotion_registry.json"), "--versions-dir", str(root / "emotion_versions")]) == 0
    registry = Registry.load(root / "emotion_registry.json")
    assert registry.current == first and model_digest(root / "emotion") == registry.versions[first]["digest"]
    with capsys.disabled():
        print("\nlearning cycle figures: " + json.dumps(figures, default=float))
