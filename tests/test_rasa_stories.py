"""Dialogue test stories (tests/stories/*.yml) against the trained model, via `rasa test core`.

Uses ``models/assistant.tar.gz`` from ``make train``. `rasa test core` runs no custom
action: the stories write out the slots each action sets. ``--fail-on-prediction-errors``
makes Rasa stop at the first wrong prediction without writing ``failed_test_stories.yml``,
so on failure the stories are run once more without it to list every failing story.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MODEL = PROJECT_ROOT / "models" / "assistant.tar.gz"
STORIES = PROJECT_ROOT / "tests" / "stories"
FAILED_STORIES = "failed_test_stories.yml"
TIMEOUT_S = 1800


def rasa_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH")) if p)
    env.update(RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return env


def rasa_test_core(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "rasa", "test", "core", "--model", str(MODEL), "--stories", str(STORIES), "--out", str(out), *extra]
    return subprocess.run(command, cwd=PROJECT_ROOT, env=rasa_env(), capture_output=True, text=True, timeout=TIMEOUT_S)


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def test_story_predictions(tmp_path: Path) -> None:
    if not MODEL.is_file():
        pytest.fail(f"{MODEL.relative_to(PROJECT_ROOT)} is missing: run `make train` first (make test does)", pytrace=False)
    assert any(STORIES.glob("*.yml")), f"no test stories in {STORIES}"

    out = tmp_path / "results"
    result = rasa_test_core(out, "--fail-on-prediction-errors")
    if result.returncode == 0:
        return

    failed = out / FAILED_STORIES
    if not failed.is_file():
        # Rasa stopped at the first wrong prediction; collect every failing story.
        rasa_test_core(tmp_path / "all", "--no-plot")
        failed = tmp_path / "all" / FAILED_STORIES
    failed_text = failed.read_text() if failed.is_file() else f"({FAILED_STORIES} was not written)"
    message = (
        f"`rasa test core` exited with {result.returncode}.\n\n"
        f"--- {FAILED_STORIES} (wrong predictions are marked '# predicted: ...') ---\n{failed_text}\n"
        f"--- rasa output (last lines) ---\n{tail(result.stdout)}\n{tail(result.stderr)}"
    )
    assert result.returncode == 0, message
