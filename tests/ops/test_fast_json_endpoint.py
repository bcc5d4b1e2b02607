"""orjson request bodies: what reaches a real HTTP server parses as Rasa's own body does, with the same auth."""

from __future__ import annotations

import asyncio
import json

from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from services.fast_json_endpoint import FastJSONEndpointConfig, dumps
from services.remote_action_schema import CompiledSchemaRemoteAction
from tests.action_server_double import action_server

BODY = {"tracker": {"events": [{"event": "user", "text": "naïve café ☕", "parse_data": {"intent": {"confidence": 0.9812345678}}}],
                    "slots": {"emotion_history": [{"label": "anxious", "confidence": 0.71, "confident": True}], "n": None}},
        "domain": {"responses": {"utter_x": [{"text": "hi {name}"}]}}, "counts": {1: "one"}}


async def captured_requests(send: list[EndpointConfig]) -> list[dict]:
    """POST ``BODY`` through each endpoint to a local server; what the server got, in order."""
    seen: list[dict] = []

    async def handle(request: web.Request) -> web.Response:
        raw = await request.text()
        seen.append({"json": json.loads(raw), "raw": raw, "auth": request.headers.get("Authorization"),
                     "token": request.query.get("token"), "type": request.headers.get("Content-Type")})
        return web.json_response({"events": [], "responses": []})

    async with action_server(handle) as url:
        for endpoint in send:
            endpoint.url = url
            assert await endpoint.request(json=BODY, method="post") == {"events": [], "responses": []}
    return seen


def test_the_body_parses_as_rasas_and_auth_is_kept() -> None:
    rasa = EndpointConfig("x", headers={"Authorization": "Bearer s3cret"}, token="t0k")
    rasa_seen, ours_seen = asyncio.run(captured_requests([rasa, FastJSONEndpointConfig.of(rasa)]))
    assert ours_seen["json"] == rasa_seen["json"] == json.loads(json.dumps(BODY))  # {1: ...} -> {"1": ...}
    assert ours_seen["raw"] == dumps(BODY) != rasa_seen["raw"]  # really sent by orjson
    assert ours_seen["auth"] == rasa_seen["auth"] == "Bearer s3cret"
    assert ours_seen["token"] == rasa_seen["token"] == "t0k"
    assert ours_seen["type"] == rasa_seen["type"] == "application/json"


def test_of_copies_every_setting() -> None:
    config = EndpointConfig("http://h/webhook", params={"a": "1"}, headers={"H": "v"}, basic_auth={"username": "u", "password": "p"},
                            token="t", token_name="tn", cafile="/ca.pem", type="t1", enable_selective_domain=True)
    fast = FastJSONEndpointConfig.of(config)
    assert vars(fast) == vars(config) and FastJSONEndpointConfig.of(fast) is fast


def test_the_installed_remote_action_sends_through_orjson() -> None:
    tracker = DialogueStateTracker.from_events("s", [ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet"}),
                                                     SlotSet("tone", "warm")])
    action = CompiledSchemaRemoteAction("action_x", EndpointConfig("x"))
    assert isinstance(action.action_endpoint, FastJSONEndpointConfig)
    body = action._action_call_format(tracker, Domain.empty())  # a real tracker's body: same JSON either way
    assert body["tracker"]["events"] and json.loads(dumps(body)) == json.loads(json.dumps(body))
    assert RemoteAction("action_x", None).action_endpoint is None and CompiledSchemaRemoteAction("action_x", None).action_endpoint is None
