"""Serving never loads training code: the emotion component and the action server, in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from services.settings import PROJECT_ROOT

TRAINING_ONLY = ("matplotlib", "components.emotion.train", "components.emotion.report",
                 "services.recommender.train", "services.recommender.evaluate", "services.recommender.fitting")

# Imports what `rasa run` loads for the pipeline component, and every module of the action server
# (services.action_server registers the `actions` package the same way), then lists what got loaded.
PROBE = """
import json, sys
import components.emotion_classifier
import services.action_server
from rasa_sdk.executor import ActionExecutor
executor = ActionExecutor()
executor.register_package("actions")
print(json.dumps({"modules": sorted(sys.modules), "actions": sorted(executor.actions)}))
"""


def test_component_and_action_server_import_no_training_code() -> None:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "TF_CPP_MIN_LOG_LEVEL": "3", "RASA_TELEMETRY_ENABLED": "false"}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                            timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    # The probe really loaded the server: the order-flow actions are registered.
    assert {"action_handle_request", "action_ask_exchange_option", "validate_exchange_form"} <= set(loaded["actions"])
    assert "components.emotion_classifier" in loaded["modules"] and "services.recommender.service" in loaded["modules"]
    leaked = [m for m in loaded["modules"] if m.split(".")[0] == "matplotlib" or m in TRAINING_ONLY]
    assert leaked == []
