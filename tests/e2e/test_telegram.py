"""The trained assistant behind the Telegram channel, with a Bot API double on loopback.

Rasa runs with ``channels.telegram.TelegramInput`` enabled from TELEGRAM_* variables (as ``make run``
does) and its API URL pointed at the double; updates are POSTed to the webhook as Telegram sends them,
and the replies are read from what the double received. One Rasa start for the module.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from channels.telegram import SECRET_HEADER
from services.store.db import session_scope
from services.store.linked_accounts import link_account
from services.store.models import Order
from tests.e2e.conftest import SECRETS, Assistant, running_assistant
from tests.e2e.telegram_double import ApiCall, TelegramDouble, button_update, private_chat, text_update

TOKEN, BOT_NAME, SECRET = "123:test", "harbor_pine_bot", "e2e-telegram-secret"
ALICE_CHAT, ALICE_OTHER_CHAT, STRANGER_CHAT, FORGED_CHAT = 810001, 810004, 810002, 810003  # Alice's two chats are linked to C-1001
TRACKING = "1Z4A7F390312448861"  # of Alice's order 100234


@dataclass
class TelegramRun:
    assistant: Assistant
    api: TelegramDouble
    calls_at_start: list[ApiCall]

    def post(self, update: dict[str, Any], secret: str | None = SECRET) -> requests.Response:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        return requests.post(f"{self.assistant.base_url}/webhooks/telegram/webhook", json=update, headers=headers, timeout=120)

    def say(self, chat_id: int, update: dict[str, Any]) -> list[ApiCall]:
        """POST ``update`` and return the messages the bot sent to ``chat_id`` in answer."""
        before = len(self.api.calls("sendMessage", chat_id))
        response = self.post(update)
        assert response.status_code == 200, response.text
        return self.api.calls("sendMessage", chat_id)[before:]

    def user_events(self, chat_id: int) -> list[dict]:
        return [e for e in self.assistant.tracker(str(chat_id))["events"] if e["event"] == "user"]


@pytest.fixture(scope="module")
def telegram(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TelegramRun]:
    with TelegramDouble(TOKEN, BOT_NAME) as api:
        env = {"TELEGRAM_TOKEN": TOKEN, "TELEGRAM_BOT_NAME": BOT_NAME, "TELEGRAM_WEBHOOK_URL": "https://example.invalid/webhooks/telegram/webhook",
               "TELEGRAM_SECRET_TOKEN": SECRET, "TELEGRAM_API_URL": api.url}
        with running_assistant(tmp_path_factory.mktemp("telegram"), extra_env=env, with_site=False, workers=1) as assistant:
            calls_at_start = api.calls()
            with session_scope(assistant.database_url) as session:
                link_account(session, "telegram", str(ALICE_CHAT), "C-1001")
                link_account(session, "telegram", str(ALICE_OTHER_CHAT), "C-1001")
            yield TelegramRun(assistant, api, calls_at_start)


def texts(calls: list[ApiCall]) -> str:
    return "\n".join(c.params["text"] for c in calls)


def test_rasa_starts_with_the_connector_without_calling_set_webhook(telegram: TelegramRun) -> None:
    assert requests.get(f"{telegram.assistant.base_url}/webhooks/telegram/", timeout=30).json() == {"status": "ok"}  # the channel is served
    assert [c.method for c in telegram.calls_at_start] == []
    assert telegram.api.calls("setWebhook") == []


def test_a_linked_chat_sees_its_own_order_with_signed_identity(telegram: TelegramRun) -> None:
    reply = texts(telegram.say(ALICE_CHAT, text_update(ALICE_CHAT, "where is my order 100234?")))
    assert "UPS" in reply and TRACKING in reply
    event = telegram.user_events(ALICE_CHAT)[-1]
    assert (event["text"], event["input_channel"]) == ("where is my order 100234?", "telegram")
    assert event["metadata"]["customer_id"] == "C-1001"


def test_an_unlinked_chat_is_greeted_then_asked_to_verify(telegram: TelegramRun) -> None:
    greeting = texts(telegram.say(STRANGER_CHAT, text_update(STRANGER_CHAT, "/start")))
    assert "Harbor & Pine assistant" in greeting
    reply = texts(telegram.say(STRANGER_CHAT, text_update(STRANGER_CHAT, "where is my order 100234?")))
    assert "email" in reply.lower()
    assert "UPS" not in reply and TRACKING not in reply
    assert all(not e.get("metadata", {}).get("customer_id") for e in telegram.user_events(STRANGER_CHAT))


def test_a_button_press_confirms_a_cancellation(telegram: TelegramRun) -> None:
    [*_, question] = telegram.say(ALICE_OTHER_CHAT, text_update(ALICE_OTHER_CHAT, "please cancel order 100235"))
    assert "Shall I cancel order 100235" in question.params["text"]
    assert question.params["reply_markup"] == {"inline_keyboard": [[{"text": "Yes", "callback_data": "/affirm"},
                                                                    {"text": "No", "callback_data": "/deny"}]]}
    bot_message = {"message_id": 9001, "from": {"id": 123, "is_bot": True, "first_name": "Harbor & Pine", "username": BOT_NAME},
                   "chat": private_chat(ALICE_OTHER_CHAT), "date": 1, "text": question.params["text"], "reply_markup": question.params["reply_markup"]}
    press = button_update(ALICE_OTHER_CHAT, "/affirm", bot_message)
    with session_scope(telegram.assistant.database_url) as session:
        assert session.get(Order, 100235).status == "placed"
    done = texts(telegram.say(ALICE_OTHER_CHAT, press))
    assert [c.params["callback_query_id"] for c in telegram.api.calls("answerCallbackQuery")] == [press["callback_query"]["id"]]
    assert "cancelled" in done.lower()
    with session_scope(telegram.assistant.database_url) as session:
        order = session.get(Order, 100235)
        assert (order.status, order.payment_status) == ("cancelled", "refunded")


def test_a_forged_update_is_refused_before_the_assistant_sees_it(telegram: TelegramRun) -> None:
    for secret, status in ((None, 401), ("guessed", 403), (SECRETS["IDENTITY_SECRET"], 403)):
        response = telegram.post(text_update(FORGED_CHAT, "where is my order 100234?"), secret=secret)
        assert response.status_code == status
    assert telegram.api.calls("sendMessage", FORGED_CHAT) == []
    assert telegram.user_events(FORGED_CHAT) == []
