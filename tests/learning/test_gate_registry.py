"""The gate rule, the training set built from feedback, the registry and restore (no training here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.emotion.data import Example, normalise, read_split
from services.learning import restore
from services.learning.gate import TOLERANCE, decide, evaluation_sets
from services.learning.registry import Registry, model_digest
from services.learning.retrain import build_training_set

SIZES = {"test": 100, "real": 50}


def test_gate_allows_at_most_half_a_point_of_drop() -> None:
    assert TOLERANCE == 0.005
    ok = decide({"test": 0.800, "real": 0.496}, {"test": 0.805, "real": 0.50}, SIZES)
    assert ok.promote and all(s.passed for s in ok.sets)
    worse_real = decide({"test": 0.90, "real": 0.494}, {"test": 0.80, "real": 0.50}, SIZES)
    assert not worse_real.promote and [s.name for s in worse_real.sets if not s.passed] == ["real"]
    assert "real" in worse_real.reason
    assert not decide({"test": 0.7949}, {"test": 0.80}, {"test": 100}).promote
    first = decide({"test": 0.3}, None, {"test": 100}, skipped=("real",))
    assert first.promote and first.reason == "no current model" and first.figures()["skipped"] == ["real"]


def test_evaluation_sets_with_and_without_real_text(small_data: Path, tmp_path: Path) -> None:
    sets, skipped = evaluation_sets(small_data, tmp_path / "absent")
    assert list(sets) == ["test"] and skipped == ("real",)
    (tmp_path / "labels.txt").write_text("anger\ngratitude\nneutral\n")
    (tmp_path / "dev.tsv").write_text("you are useless\t0\tid1\nthanks a lot\t1\tid2\nboth\t0,1\tid3\n")
    sets, skipped = evaluation_sets(small_data, tmp_path)
    assert skipped == () and [(e.text, e.label) for e in sets["real"]] == [("you are useless", "angry"), ("thanks a lot", "grateful")]


def test_training_set_keeps_held_out_text_out(small_data: Path) -> None:
    train, test = read_split("train", small_data), read_split("test", small_data)
    relabel = Example(train[0].text, "grateful" if train[0].label != "grateful" else "angry")
    feedback = [relabel, Example(test[0].text.upper(), test[0].label), Example(test[1].text + "!", test[1].label),
                Example("a message nobody authored, about a blue kettle", "neutral")]
    built = build_training_set(small_data, feedback)
    assert (built.added, built.replaced, built.held_out) == (2, 1, 2)
    keys = {normalise(e.text): e.label for e in built.splits["train"]}
    assert keys[normalise(relabel.text)] == relabel.label and len(built.splits["train"]) == len(train) + 1
    assert built.splits["test"] == test


def fake_model(path: Path, weights: bytes) -> Path:
    path.mkdir(parents=True)
    (path / "config.json").write_text("{}")
    (path / "model.safetensors").write_bytes(weights)
    return path


def test_adopt_promote_restore(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    registry_file, serving, versions = tmp_path / "emotion_registry.json", tmp_path / "emotion", tmp_path / "emotion_versions"
    fake_model(serving, b"hand-trained")
    registry = Registry.load(registry_file, serving)
    adopted = registry.adopt_serving(versions)
    assert registry.events[-1]["action"] == "adopted" and registry.adopt_serving(versions) == adopted  # once
    fake_model(versions / "v2", b"retrained")
    registry.add_version("v2", versions / "v2", origin="retrain")
    registry.promote("v2", "better", {"sets": {"test": {"current": 0.5, "candidate": 0.6}}})
    registry.save()
    assert model_digest(serving) == model_digest(versions / "v2")
    assert json.loads(registry_file.read_text())["current"] == "v2"

    assert restore.main(["--registry", str(registry_file), "--versions-dir", str(versions)]) == 0
    assert (serving / "model.safetensors").read_bytes() == b"hand-trained"
    reloaded = Registry.load(registry_file)
    assert reloaded.current == adopted and reloaded.serving_dir == serving
    assert [e["action"] for e in reloaded.events] == ["adopted", "promoted", "restored"]
    assert restore.main(["--registry", str(registry_file), "--versions-dir", str(versions)]) == 1  # nothing before it
    assert "no previous emotion model" in capsys.readouterr().err
    assert restore.main(["--registry", str(registry_file), "--to", "v2"]) == 0
    assert (serving / "model.safetensors").read_bytes() == b"retrained"
    assert restore.main(["--registry", str(registry_file), "--list"]) == 0
    assert "test 0.5000->0.6000" in capsys.readouterr().out
