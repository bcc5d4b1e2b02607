"""The action-server fallback: refused, slow, failing and rejecting action servers, over real HTTP."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from rasa.core.actions import action as rasa_action
from rasa.core.actions import forms as rasa_forms
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, FollowupAction, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig

from ops.processes import free_port
from services.action_fallback import TROUBLE_TEXT, TroubleReplyingRemoteAction, install
from tests.action_server_double import action_server

DOMAIN = Domain.empty()


def tracker() -> DialogueStateTracker:
    return DialogueStateTracker.from_events("s-1", [ActionExecuted("action_listen"), UserUttered("where is my order 100234?")])


async def run(name: str, url: str, state: DialogueStateTracker | None = None) -> list:
    remote = TroubleReplyingRemoteAction(name, EndpointConfig(url))
    return await remote.run(CollectingOutputChannel(), TemplatedNaturalLanguageGenerator({}), state or tracker(), DOMAIN)


def is_trouble(events: list) -> bool:
    return (len(events) == 2 and isinstance(events[0], BotUttered) and events[0].text == TROUBLE_TEXT
            and events[1] == FollowupAction("action_listen"))


def test_refused_connection_gets_the_trouble_message() -> None:
    assert is_trouble(asyncio.run(run("action_handle_request", f"http://127.0.0.1:{free_port()}/webhook")))


def test_server_error_gets_the_trouble_message() -> None:
    async def boom(_: web.Request) -> web.Response:
        return web.Response(status=500, text="boom")

    async def scenario() -> list:
        async with action_server(boom) as url:
            return await run("action_handle_request", url)

    assert is_trouble(asyncio.run(scenario()))


def test_slow_server_is_cut_at_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTION_CALL_TIMEOUT_S", "0.5")

    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response({"events": [], "responses": []})

    async def scenario() -> tuple[list, float]:
        async with action_server(slow) as url:
            loop = asyncio.get_running_loop()
            started = loop.time()
            events = await run("action_handle_request", url)
            return events, loop.time() - started

    events, took = asyncio.run(scenario())
    assert is_trouble(events) and took < 2


def test_only_one_trouble_message_per_turn() -> None:
    state = tracker()
    state.update(BotUttered(TROUBLE_TEXT, metadata={"utter_action": "utter_service_trouble"}))
    events = asyncio.run(run("action_handle_request", f"http://127.0.0.1:{free_port()}/webhook", state))
    assert events == [FollowupAction("action_listen")]


def test_slot_mapping_validation_fails_quietly() -> None:
    with pytest.raises(RasaException):
        asyncio.run(run("action_validate_slot_mappings", f"http://127.0.0.1:{free_port()}/webhook"))


def test_rejection_is_not_a_failure() -> None:
    async def reject(_: web.Request) -> web.Response:
        return web.json_response({"action_name": "validate_order_form", "error": "no"}, status=400)

    async def scenario() -> None:
        async with action_server(reject) as url:
            await run("validate_order_form", url)

    with pytest.raises(ActionExecutionRejection):
        asyncio.run(scenario())


def test_a_working_server_answers_as_usual() -> None:
    async def ok(_: web.Request) -> web.Response:
        return web.json_response({"events": [{"event": "slot", "name": "x", "value": 1}], "responses": [{"text": "Order 100234 is on its way."}]})

    async def scenario() -> list:
        async with action_server(ok) as url:
            return await run("action_handle_request", url)

    events = asyncio.run(scenario())
    assert [type(e).__name__ for e in events] == ["BotUttered", "SlotSet"] and events[0].text == "Order 100234 is on its way."


def test_install_replaces_the_class_rasa_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rasa_action, "RemoteAction", RemoteAction)
    monkeypatch.setattr(rasa_forms, "RemoteAction", RemoteAction)
    install()
    built = rasa_action.action_for_name_or_text("action_handle_request", Domain.from_dict({"actions": ["action_handle_request"]}),
                                                EndpointConfig("http://127.0.0.1:1/webhook"))
    assert isinstance(built, TroubleReplyingRemoteAction)
    assert rasa_forms.RemoteAction is TroubleReplyingRemoteAction
