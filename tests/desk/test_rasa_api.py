"""The desk's Rasa API client against the local double: token in the query, limits, errors without the token."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from services.rasa_api import RasaApi, RasaApiError
from tests.desk.rasa_double import RasaDouble, user_event

TOKEN = "api-client-secret-token"


@pytest.fixture()
def rasa() -> Iterator[RasaDouble]:
    double = RasaDouble(TOKEN)
    yield double
    double.close()


def test_calls_carry_the_token_and_quote_the_conversation_id(rasa: RasaDouble) -> None:
    sender = "web chat/../odd id?&x=1"
    rasa.add_conversation(sender, "socketio", [user_event("hi", "neutral")])
    tracker = asyncio.run(RasaApi(rasa.url, TOKEN).tracker(sender))
    assert tracker["events"][0]["text"] == "hi"
    [call] = rasa.calls
    assert call.sender_id == sender and call.params == {"include_events": "ALL", "token": TOKEN}


def test_a_wrong_token_or_a_failing_server_raises_without_the_token_in_the_message(rasa: RasaDouble) -> None:
    with pytest.raises(RasaApiError, match="HTTP 401: User is not authenticated") as wrong:
        asyncio.run(RasaApi(rasa.url, "not-the-token").tracker("s"))
    rasa.fail_with = 500
    with pytest.raises(RasaApiError, match="HTTP 500") as failing:
        asyncio.run(RasaApi(rasa.url, TOKEN).append_events("s", [{"event": "resume"}]))
    with pytest.raises(RasaApiError, match="is the Rasa server up") as down:
        asyncio.run(RasaApi("http://127.0.0.1:9", TOKEN, timeout_s=5).execute("s", "action_handback"))
    for error in (wrong, failing, down):
        assert TOKEN not in str(error.value) and "not-the-token" not in str(error.value)
    assert TOKEN not in repr(RasaApi(rasa.url, TOKEN))


def test_an_oversized_answer_is_refused(rasa: RasaDouble) -> None:
    rasa.add_conversation("big", "socketio", [user_event("x" * 50_000, "neutral")])
    with pytest.raises(RasaApiError, match="more than"):
        asyncio.run(RasaApi(rasa.url, TOKEN, max_bytes=10_000).tracker("big"))
    assert len(asyncio.run(RasaApi(rasa.url, TOKEN).tracker("big"))["events"]) == 1
