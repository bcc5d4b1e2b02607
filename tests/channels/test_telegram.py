"""channels.telegram over real HTTP, without a trained model.

The channel is registered on a Sanic app by Rasa's own ``register`` (as ``rasa run`` does) and served on
127.0.0.1; the agent is a stand-in that records each UserMessage and answers through the channel's
output with text and two buttons, so what Telegram receives is what Rasa's TelegramOutput sends. The
Bot API is the local double (tests/e2e/telegram_double.py); the store is a seeded SQLite file with
linked Telegram chats. tests/e2e/test_telegram.py runs the real model.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from rasa.core.channels.channel import UserMessage, register
from rasa.shared.exceptions import RasaException
from sanic import Sanic

from channels.telegram import EDITED_REPLY, MAX_UPDATE_BYTES, ONLY_TEXT_REPLY, SECRET_HEADER, TelegramInput
from services.settings import PROJECT_ROOT
from services.store.db import session_scope
from services.store.identity import customer_from_metadata, sign_customer_id
from services.store.linked_accounts import link_account
from services.store.seed.run import seed_database
from tests.conftest import TODAY
from tests.e2e.conftest import free_port
from tests.e2e.telegram_double import (
    TelegramDouble,
    button_update,
    edited_update,
    group_text_update,
    member_joined_update,
    photo_update,
    sticker_update,
    text_update,
)

TOKEN, BOT_NAME = "123:test", "harbor_pine_bot"
SECRET = "unit-secret_Token-42"
IDENTITY_SECRET = "unit-identity-secret"
WEBHOOK_URL = "https://example.invalid/webhooks/telegram/webhook"
ALICE_CHAT, BOB_GROUP, STRANGER_CHAT = 700001, -100777, 700099  # Alice's private chat and a group are linked
BUTTONS = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
INLINE_KEYBOARD = {"inline_keyboard": [[{"text": "Yes", "callback_data": "/affirm"}, {"text": "No", "callback_data": "/deny"}]]}


@dataclass(frozen=True)
class Received:
    text: str
    sender_id: str
    input_channel: str
    metadata: dict | None


class RecordingAgent:
    """Stands in for Rasa's agent: records each message and answers with text and buttons through its channel."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.fail = False

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(Received(message.text, message.sender_id, message.input_channel, message.metadata))
        if self.fail:
            raise RuntimeError("the dialogue failed")
        await message.output_channel.send_response(message.sender_id, {"text": f"got: {message.text}", "buttons": list(BUTTONS)})


@dataclass
class Harness:
    url: str
    api: TelegramDouble
    agent: RecordingAgent
    calls_at_start: list
    database_url: str

    def post(self, body: Any, secret: str | None = SECRET, content_type: str = "application/json", path: str = "webhook") -> requests.Response:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": content_type}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        return requests.post(f"{self.url}/webhooks/telegram/{path}", data=data, headers=headers, timeout=30)


@contextmanager
def serving(app: Sanic, port: int) -> Iterator[None]:
    """Serve ``app`` on 127.0.0.1:``port`` from a thread with its own event loop, listeners included."""
    loop = asyncio.new_event_loop()
    ready, state = threading.Event(), {}

    async def start() -> None:
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
        await server.startup()
        await server.before_start()
        await server.after_start()
        await server.start_serving()
        state["server"] = server
        ready.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()

    async def stop() -> None:
        server = state["server"]
        await server.before_stop()
        await server.close()
        await server.after_stop()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(30), "the Sanic app did not start"
    try:
        yield
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)


def credentials(api_url: str) -> dict[str, Any]:
    return {"access_token": TOKEN, "verify": BOT_NAME, "webhook_url": WEBHOOK_URL, "secret_token": SECRET, "api_url": api_url}


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    database_url = f"sqlite:///{tmp_path_factory.mktemp('telegram') / 'store.db'}"
    seed_database(database_url, today=TODAY, n_customers=20, progress=False)
    with session_scope(database_url) as session:
        link_account(session, "telegram", str(ALICE_CHAT), "C-1001")
        link_account(session, "telegram", str(BOB_GROUP), "C-1002")
    with pytest.MonkeyPatch.context() as env, TelegramDouble(TOKEN, BOT_NAME) as api:
        env.setenv("STORE_DATABASE_URL", database_url)
        env.setenv("IDENTITY_SECRET", IDENTITY_SECRET)
        env.setattr(Sanic, "test_mode", True)  # lets tests build apps without Sanic's unique-name registry
        app = Sanic("telegram_channel_test")
        agent = RecordingAgent()
        app.ctx.agent = agent
        register([TelegramInput.from_credentials(credentials(api.url))], app, "/webhooks/")
        port = free_port()
        with serving(app, port):
            yield Harness(f"http://127.0.0.1:{port}", api, agent, api.calls(), database_url)


@pytest.fixture
def telegram(harness: Harness) -> Iterator[Harness]:
    """The harness with nothing recorded yet."""
    harness.api.reset()
    harness.agent.received.clear()
    harness.agent.fail = False
    yield harness


def test_starting_the_channel_sends_nothing_to_telegram(harness: Harness) -> None:
    assert harness.calls_at_start == []
    assert requests.get(f"{harness.url}/webhooks/telegram/", timeout=10).json() == {"status": "ok"}
    for method in ("GET", "POST"):  # Rasa's connector let anyone trigger setWebhook here
        assert requests.request(method, f"{harness.url}/webhooks/telegram/set_webhook", timeout=10).status_code in (404, 405)
    assert harness.api.calls("setWebhook") == []


def test_text_reaches_the_assistant_and_its_reply_and_buttons_reach_the_chat(telegram: Harness) -> None:
    response = telegram.post(text_update(STRANGER_CHAT, "  where is my order 100234?  "))
    assert response.status_code == 200
    assert telegram.agent.received == [Received("where is my order 100234?", str(STRANGER_CHAT), "telegram", None)]
    [sent] = telegram.api.calls("sendMessage")
    assert sent.status == 200
    assert sent.params["chat_id"] == STRANGER_CHAT
    assert sent.params["text"] == "got: where is my order 100234?"
    assert sent.params["reply_markup"] == INLINE_KEYBOARD


@pytest.mark.parametrize("command", ["/start", "/start@harbor_pine_bot", "/start order-100234", "/start\norder-100234"])
def test_start_is_a_greeting(telegram: Harness, command: str) -> None:
    assert telegram.post(text_update(STRANGER_CHAT, command)).status_code == 200
    assert [m.text for m in telegram.agent.received] == ["/greet"]
    assert telegram.api.texts(STRANGER_CHAT) == ["got: /greet"]


def test_other_commands_lose_only_the_bots_name(telegram: Harness) -> None:
    telegram.post(text_update(STRANGER_CHAT, "/request_human@harbor_pine_bot"))
    telegram.post(text_update(STRANGER_CHAT, "/restart"))
    telegram.post(text_update(STRANGER_CHAT, '/rate{"rating": "5"}'))
    assert [m.text for m in telegram.agent.received] == ["/request_human", "/restart", '/rate{"rating": "5"}']


def test_a_button_press_is_answered_then_handled_as_its_payload(telegram: Harness) -> None:
    update = button_update(STRANGER_CHAT, "/deny")
    assert telegram.post(update).status_code == 200
    assert [call.method for call in telegram.api.calls()] == ["answerCallbackQuery", "sendMessage"]
    [answer] = telegram.api.calls("answerCallbackQuery")
    assert answer.params["callback_query_id"] == update["callback_query"]["id"] and answer.status == 200
    assert telegram.agent.received == [Received("/deny", str(STRANGER_CHAT), "telegram", None)]
    assert telegram.api.texts(STRANGER_CHAT) == ["got: /deny"]


def test_a_button_without_a_message_is_only_answered(telegram: Harness) -> None:
    update = button_update(STRANGER_CHAT, "/affirm")
    del update["callback_query"]["message"]  # pressed under an inline-mode message: Telegram sends inline_message_id
    update["callback_query"]["inline_message_id"] = "AgAAAN0sAAB"
    assert telegram.post(update).status_code == 200
    assert [call.method for call in telegram.api.calls()] == ["answerCallbackQuery"]
    assert telegram.agent.received == []


def test_an_edited_message_is_not_handled_again(telegram: Harness) -> None:
    assert telegram.post(edited_update(STRANGER_CHAT, "cancel order 100235")).status_code == 200
    assert telegram.agent.received == []
    assert telegram.api.texts(STRANGER_CHAT) == [EDITED_REPLY]


@pytest.mark.parametrize("update", [sticker_update(STRANGER_CHAT), photo_update(STRANGER_CHAT), photo_update(STRANGER_CHAT, "is this broken?")],
                         ids=["sticker", "photo", "photo-with-caption"])
def test_stickers_and_photos_get_a_reply_that_only_text_is_understood(telegram: Harness, update: dict) -> None:
    assert telegram.post(update).status_code == 200
    assert telegram.agent.received == []
    assert telegram.api.texts(STRANGER_CHAT) == [ONLY_TEXT_REPLY]


@pytest.mark.parametrize("update", [
    member_joined_update(BOB_GROUP, 700050),
    {"update_id": 900001, "channel_post": {"message_id": 1, "chat": {"id": -100200, "type": "channel"}, "date": 1, "text": "sale!"}},
    {"update_id": 900002, "my_chat_member": {"chat": {"id": STRANGER_CHAT, "type": "private"}, "date": 1}},
    {"update_id": 900003},
], ids=["member-joined", "channel-post", "my-chat-member", "empty"])
def test_updates_with_nothing_for_the_assistant_are_ignored(telegram: Harness, update: dict) -> None:
    response = telegram.post(update)
    assert response.status_code == 200 and response.json() == {"status": "ignored"}
    assert telegram.agent.received == [] and telegram.api.calls() == []


def test_a_linked_private_chat_speaks_with_signed_identity(telegram: Harness) -> None:
    telegram.post(text_update(ALICE_CHAT, "where is my order 100234?"))
    telegram.post(button_update(ALICE_CHAT, "/affirm"))
    telegram.post(text_update(STRANGER_CHAT, "where is my order 100234?"))
    alice_text, alice_button, stranger = telegram.agent.received
    expected = {"customer_id": "C-1001", "customer_token": sign_customer_id(IDENTITY_SECRET, "C-1001")}
    assert alice_text.metadata == expected and alice_button.metadata == expected
    assert customer_from_metadata(alice_text.metadata, IDENTITY_SECRET) == "C-1001"  # what the actions will accept
    assert stranger.metadata is None


def test_a_linked_group_stays_anonymous(telegram: Harness) -> None:
    telegram.post(group_text_update(BOB_GROUP, 700050, "where is my order 100241?"))
    [message] = telegram.agent.received
    assert message.sender_id == str(BOB_GROUP) and message.metadata is None
    assert telegram.api.texts(BOB_GROUP) == ["got: where is my order 100241?"]


def test_without_an_identity_secret_nobody_is_signed_in(telegram: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDENTITY_SECRET", "")
    telegram.post(text_update(ALICE_CHAT, "where is my order 100234?"))
    assert [m.metadata for m in telegram.agent.received] == [None]


@pytest.mark.parametrize("secret, status", [(None, 401), ("", 401), ("wrong", 403), (SECRET.upper(), 403), (SECRET + "x", 403), (SECRET[:-1], 403)],
                         ids=["missing", "empty", "wrong", "other-case", "longer", "shorter"])
def test_an_update_without_the_secret_token_is_refused(telegram: Harness, secret: str | None, status: int) -> None:
    response = telegram.post(text_update(ALICE_CHAT, "where is my order 100234?"), secret=secret)
    assert response.status_code == status
    assert telegram.agent.received == [] and telegram.api.calls() == []


def _nested(depth: int) -> bytes:
    return b'{"update_id": 1, "message": ' + b"[" * depth + b"]" * depth + b"}"


BAD_REQUESTS = {
    "malformed-json": (b'{"update_id": 1, "message": {', "application/json", 400),
    "not-utf8": (b'{"update_id": 1, "message": {"text": "\xff\xfe"}}', "application/json", 400),
    "text-plain": (json.dumps(text_update(ALICE_CHAT, "hi")).encode(), "text/plain", 415),
    "form": (b"update_id=1&text=hi", "application/x-www-form-urlencoded", 415),
    "json-array": (b"[1, 2]", "application/json", 400),
    "json-null": (b"null", "application/json", 400),
    "empty-body": (b"", "application/json", 400),
    "no-update-id": (json.dumps({"message": text_update(ALICE_CHAT, "hi")["message"]}).encode(), "application/json", 400),
    "update-id-string": (json.dumps({**text_update(ALICE_CHAT, "hi"), "update_id": "1"}).encode(), "application/json", 400),
    "message-string": (b'{"update_id": 1, "message": "hi"}', "application/json", 400),
    "no-chat": (b'{"update_id": 1, "message": {"message_id": 1, "date": 1, "text": "hi"}}', "application/json", 400),
    "chat-id-string": (b'{"update_id": 1, "message": {"message_id": 1, "chat": {"id": "700001"}, "text": "hi"}}', "application/json", 400),
    "chat-id-bool": (b'{"update_id": 1, "message": {"message_id": 1, "chat": {"id": true}, "text": "hi"}}', "application/json", 400),
    "text-number": (b'{"update_id": 1, "message": {"message_id": 1, "chat": {"id": 700001}, "text": 42}}', "application/json", 400),
    "text-blank": (b'{"update_id": 1, "message": {"message_id": 1, "chat": {"id": 700001}, "text": "  "}}', "application/json", 400),
    "callback-without-id": (b'{"update_id": 1, "callback_query": {"data": "/affirm", "message": {"chat": {"id": 700001}}}}', "application/json", 400),
    "callback-chat-missing": (b'{"update_id": 1, "callback_query": {"id": "q1", "data": "/affirm", "message": {}}}', "application/json", 400),
    "edited-string": (b'{"update_id": 1, "edited_message": "hi"}', "application/json", 400),
    "deeply-nested": (_nested(100_000), "application/json", 400),
    "oversized": (json.dumps({**text_update(ALICE_CHAT, "hi"), "padding": "x" * MAX_UPDATE_BYTES}).encode(), "application/json", 413),
}


@pytest.mark.parametrize("name", BAD_REQUESTS)
def test_bad_requests_get_a_4xx_and_nothing_is_processed(telegram: Harness, name: str) -> None:
    body, content_type, status = BAD_REQUESTS[name]
    response = telegram.post(body, content_type=content_type)
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text
    assert telegram.agent.received == [] and telegram.api.calls() == []


def test_get_on_the_webhook_is_not_allowed(telegram: Harness) -> None:
    response = requests.get(f"{telegram.url}/webhooks/telegram/webhook", headers={SECRET_HEADER: SECRET}, timeout=10)
    assert response.status_code == 405
    assert telegram.agent.received == [] and telegram.api.calls() == []


def test_a_failing_reply_or_dialogue_still_answers_telegram_200(telegram: Harness) -> None:
    # Any other status makes Telegram deliver the same update again, and the dialogue would run twice.
    telegram.api.refuse("sendMessage", 403, "Forbidden: bot was blocked by the user")
    assert telegram.post(sticker_update(STRANGER_CHAT)).status_code == 200
    assert telegram.post(text_update(STRANGER_CHAT, "hello")).status_code == 200
    assert [c.status for c in telegram.api.calls("sendMessage", STRANGER_CHAT)] == [403, 403]
    telegram.api.reset()
    telegram.agent.fail = True
    assert telegram.post(text_update(STRANGER_CHAT, "hello again")).status_code == 200
    assert [m.text for m in telegram.agent.received][-1] == "hello again"


@pytest.mark.parametrize("overrides, complaint", [
    ({"secret_token": None}, "secret_token is required"),
    ({"secret_token": ""}, "secret_token is required"),
    ({"secret_token": "has spaces in it"}, "secret_token is required"),
    ({"secret_token": "x" * 257}, "secret_token is required"),
    ({"access_token": "not-a-token"}, "access_token"),
    ({"access_token": None}, "access_token"),
    ({"api_url": "ftp://127.0.0.1"}, "api_url"),
])
def test_bad_credentials_stop_rasa_with_a_clear_error(overrides: dict, complaint: str) -> None:
    with pytest.raises(RasaException, match=complaint):
        TelegramInput.from_credentials({**credentials("http://127.0.0.1:9"), **overrides})
    with pytest.raises(RasaException):
        TelegramInput.from_credentials(None)


# --- channels.telegram_webhook: the one place setWebhook is called ----------------------------------

def run_webhook_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    return subprocess.run([sys.executable, "-m", "channels.telegram_webhook", *args], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=120, env={**base, "PYTHONPATH": str(PROJECT_ROOT), **env})


def telegram_env(api_url: str, **overrides: str) -> dict[str, str]:
    return {"TELEGRAM_TOKEN": TOKEN, "TELEGRAM_BOT_NAME": BOT_NAME, "TELEGRAM_WEBHOOK_URL": WEBHOOK_URL,
            "TELEGRAM_SECRET_TOKEN": SECRET, "TELEGRAM_API_URL": api_url, **overrides}


def test_webhook_cli_checks_the_bot_then_sets_url_secret_and_updates(tmp_path: Path) -> None:
    with TelegramDouble(TOKEN, BOT_NAME) as api:
        done = run_webhook_cli(telegram_env(api.url), "--drop-pending-updates")
        assert done.returncode == 0, done.stderr
        assert [c.method for c in api.calls()] == ["getMe", "setWebhook", "getWebhookInfo"]
        [call] = api.calls("setWebhook")
        assert call.status == 200
        assert call.params == {"url": WEBHOOK_URL, "secret_token": SECRET, "allowed_updates": ["message", "edited_message", "callback_query"],
                               "drop_pending_updates": "true"}
        assert WEBHOOK_URL in done.stdout


@pytest.mark.parametrize("env, code, complaint", [
    ({"TELEGRAM_BOT_NAME": "someone_elses_bot"}, 1, "belongs to @harbor_pine_bot"),
    ({"TELEGRAM_WEBHOOK_URL": "http://example.invalid/webhooks/telegram/webhook"}, 2, "https"),
    ({"TELEGRAM_SECRET_TOKEN": ""}, 2, "TELEGRAM_SECRET_TOKEN"),
    ({"TELEGRAM_SECRET_TOKEN": "not allowed!"}, 2, "secret_token"),
    ({"TELEGRAM_TOKEN": "999:other"}, 1, "Unauthorized"),
], ids=["other-bot", "http-url", "no-secret", "bad-secret", "wrong-token"])
def test_webhook_cli_refuses_a_wrong_setup_without_setting_anything(env: dict, code: int, complaint: str) -> None:
    with TelegramDouble(TOKEN, BOT_NAME) as api:
        done = run_webhook_cli(telegram_env(api.url, **env))
        assert done.returncode == code, (done.stdout, done.stderr)
        assert complaint in done.stderr and "Traceback" not in done.stderr
        assert [c for c in api.calls("setWebhook") if c.status == 200] == []


def test_webhook_cli_reports_telegram_refusing_the_webhook() -> None:
    with TelegramDouble(TOKEN, BOT_NAME) as api:
        api.refuse("setWebhook", 400, "Bad Request: bad webhook: Failed to resolve host: Name or service not known")
        done = run_webhook_cli(telegram_env(api.url))
        assert done.returncode == 1 and "failed to resolve host" in done.stderr.lower() and "Traceback" not in done.stderr
        assert [c.status for c in api.calls("setWebhook")] == [400]
