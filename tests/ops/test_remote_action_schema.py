"""The compiled answer check accepts and refuses exactly what Rasa's own check does, with the same message."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from services.remote_action_schema import CompiledSchemaRemoteAction

ENDPOINT = EndpointConfig("http://127.0.0.1:9/webhook")
ANSWERS = [
    {"events": [{"event": "slot", "name": "tone", "value": "neutral"}], "responses": [{"text": "hi"}]},
    {"events": [], "responses": []},
    {},
    {"events": "not a list"},
    {"events": [{"name": "no event key"}]},
    {"events": [{"event": "slot", "name": "x"}], "responses": "nope"},
    {"events": [{"event": 3}]},
]


def rasa_verdict(answer: dict) -> str:
    try:
        RemoteAction("action_x", ENDPOINT)._validate_action_result(answer)
        return "ok"
    except ValidationError as error:
        return error.message


@pytest.mark.parametrize("answer", ANSWERS, ids=[str(i) for i in range(len(ANSWERS))])
def test_same_verdict_and_message_as_rasa(answer: dict) -> None:
    try:
        verdict = "ok" if CompiledSchemaRemoteAction("action_x", ENDPOINT)._validate_action_result(answer) else "false"
    except ValidationError as error:
        verdict = error.message
    assert verdict == rasa_verdict(answer)


def test_a_bad_answer_names_the_docs() -> None:
    with pytest.raises(ValidationError, match="custom-actions"):
        CompiledSchemaRemoteAction("action_x", ENDPOINT)._validate_action_result({"events": "not a list"})
