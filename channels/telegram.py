"""Rasa's Telegram channel, closed to forged updates and able to start offline.

What changes against ``rasa.core.channels.telegram.TelegramInput`` (whose output channel, aiogram 2.15's
``Bot``, still sends every reply):
- nothing is sent to Telegram at start-up: Rasa's connector calls ``setWebhook`` while the app is built,
  so Rasa could not start without the network; ``python -m channels.telegram_webhook`` does it on purpose;
- every update must carry ``X-Telegram-Bot-Api-Secret-Token`` equal to ``secret_token`` (missing: 401,
  wrong: 403), the header Telegram sends once setWebhook was given the token; nothing else is read first;
- bad requests get a 4xx (415 not JSON, 413 too big, 400 malformed), updates it has no use for a 200;
- ``/start`` is a greeting, a button press is answered (answerCallbackQuery) and its payload handled as
  the shopper's message; stickers, photos and the like get a reply that only text is understood; edited
  messages are not handled again (the shopper is asked to send the correction as a new message);
- a private chat linked to a customer (``services/store/linked_accounts.py``) speaks with signed identity
  metadata (docs/identity.md); every other chat is anonymous and verifies with order number and email;
- the Bot API base URL is ``api_url`` (tests point it at a local double).

credentials.yml (``channels.enabled`` builds it from TELEGRAM_* variables)::

    channels.telegram.TelegramInput:
      access_token: "123456:ABC..."     # from @BotFather
      verify: "harbor_pine_bot"         # the bot's username
      webhook_url: "https://<host>/webhooks/telegram/webhook"
      secret_token: "<1-256 of A-Z a-z 0-9 _ ->"
      api_url: "https://api.telegram.org"   # optional
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.bot.api import TELEGRAM_PRODUCTION, TelegramAPIServer, check_token
from aiogram.utils.exceptions import TelegramAPIError, ValidationError
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.telegram import TelegramInput as RasaTelegramInput
from rasa.core.channels.telegram import TelegramOutput as RasaTelegramOutput
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from services.settings import get_settings
from services.store.db import session_scope
from services.store.identity import sign_customer_id
from services.store.linked_accounts import linked_customer

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what setWebhook accepts
MAX_UPDATE_BYTES = 256 * 1024  # a text message quoting another is some tens of KB at most
ONLY_TEXT_REPLY = "Sorry, I can only read text messages. Please type your question and I'll help."
EDITED_REPLY = "I only read new messages, not edits. Please send the corrected text as a new message."
COMMANDS = {"/start": "/greet"}  # Telegram sends /start when a shopper opens the bot
USER_CONTENT = frozenset({"animation", "audio", "contact", "dice", "document", "game", "location", "photo", "poll",
                          "sticker", "venue", "video", "video_note", "voice"})  # sent by a person; service messages are ignored


class TelegramOutput(RasaTelegramOutput):
    """Rasa's Telegram output (text, inline keyboards, images, custom JSON) talking to a chosen Bot API server."""

    def __init__(self, access_token: str, server: TelegramAPIServer = TELEGRAM_PRODUCTION) -> None:
        Bot.__init__(self, access_token, server=server)  # Rasa's __init__ has no way to pass the server


class BadUpdate(ValueError):
    """A payload that lacks or mistypes a field Telegram always sends."""


@dataclass(frozen=True)
class Incoming:
    """What one update asks for: ``text`` for the assistant and/or a direct ``reply``, in chat ``chat_id``."""

    chat_id: int | None
    private: bool = False
    text: str | None = None
    reply: str | None = None
    callback_query_id: str | None = None


def read_update(payload: object, bot_name: str | None = None) -> Incoming | None:
    """What the Telegram Update ``payload`` (parsed JSON) asks for; None for updates the assistant ignores.

    Raises :class:`BadUpdate` when a field the channel relies on is missing or of the wrong type.
    """
    if not isinstance(payload, dict) or not _is_int(payload.get("update_id")):
        raise BadUpdate("an update is an object with an integer update_id")
    if "callback_query" in payload:
        return _button_press(_object(payload, "callback_query"))
    if "edited_message" in payload:
        chat_id, private = _chat(_object(payload, "edited_message"))
        return Incoming(chat_id, private, reply=EDITED_REPLY)
    if "message" in payload:
        return _message(_object(payload, "message"), bot_name)
    return None  # channel posts, membership changes, inline queries, ...


def _message(message: Mapping[str, Any], bot_name: str | None) -> Incoming | None:
    chat_id, private = _chat(message)
    text = message.get("text")
    if text is None:
        return Incoming(chat_id, private, reply=ONLY_TEXT_REPLY) if USER_CONTENT & message.keys() else None
    if not isinstance(text, str) or not text.strip():
        raise BadUpdate("message.text must be a non-empty string")
    return Incoming(chat_id, private, text=_command(text.strip(), bot_name))


def _command(text: str, bot_name: str | None) -> str:
    """``/start@harbor_pine_bot payload`` -> ``/greet``; other text is unchanged but for the bot's @name."""
    if not text.startswith("/"):
        return text
    word, *rest = text.split(None, 1)
    if bot_name and word.lower().endswith(f"@{bot_name.lower()}"):
        word = word[: -len(bot_name) - 1]
    if word in COMMANDS:
        return COMMANDS[word]
    return " ".join([word, *rest])


def _button_press(query: Mapping[str, Any]) -> Incoming:
    query_id, data, message = query.get("id"), query.get("data"), query.get("message")
    if not isinstance(query_id, str) or not query_id:
        raise BadUpdate("callback_query.id must be a non-empty string")
    if not isinstance(data, str) or not data.strip() or not isinstance(message, dict):
        return Incoming(None, callback_query_id=query_id)  # a game or inline-mode button: acknowledged only
    chat_id, private = _chat(message)
    return Incoming(chat_id, private, text=data.strip(), callback_query_id=query_id)


def _chat(message: Mapping[str, Any]) -> tuple[int, bool]:
    chat = message.get("chat")
    if not isinstance(chat, dict) or not _is_int(chat.get("id")):
        raise BadUpdate("a message has a chat with an integer id")
    return chat["id"], chat.get("type") == "private"


def _object(payload: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = payload[key]
    if not isinstance(value, dict):
        raise BadUpdate(f"{key} must be an object")
    return value


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def linked_identity(chat_id: int, secret: str, database_url: str | None = None) -> dict[str, str] | None:
    """Signed ``{customer_id, customer_token}`` for a chat linked to a customer; None if unlinked or no secret."""
    if not secret:
        return None
    with session_scope(database_url) as session:
        customer_id = linked_customer(session, "telegram", str(chat_id))
    if customer_id is None:
        return None
    return {"customer_id": customer_id, "customer_token": sign_customer_id(secret, customer_id)}


class TelegramInput(RasaTelegramInput):
    """Rasa's Telegram input with a secret-token check, tolerant parsing, linked identities and no start-up calls."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TelegramInput:
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(credentials.get("access_token"), credentials.get("verify"), credentials.get("webhook_url"),
                   secret_token=credentials.get("secret_token"), api_url=credentials.get("api_url"))

    def __init__(self, access_token: str | None, verify: str | None, webhook_url: str | None, secret_token: str | None,
                 api_url: str | None = None, database_url: str | None = None) -> None:
        try:
            check_token(access_token)
        except ValidationError as error:
            raise RasaException(f"telegram: access_token is not a bot token from @BotFather ({error})") from None
        if not isinstance(secret_token, str) or not SECRET_TOKEN_RE.fullmatch(secret_token):
            raise RasaException("telegram: secret_token is required: 1-256 characters from A-Z, a-z, 0-9, _ and -")
        api_url = api_url or DEFAULT_API_URL
        if not api_url.startswith(("https://", "http://")):
            raise RasaException(f"telegram: api_url must be an http(s) URL, not {api_url!r}")
        super().__init__(access_token, verify, webhook_url, debug_mode=False)
        self.secret_token = secret_token
        self.api_url = api_url
        self.database_url = database_url  # None: the store database of the settings
        self._output: TelegramOutput | None = None

    def get_output_channel(self) -> TelegramOutput:
        """The Bot API client, made once; unlike Rasa's, making it sends nothing to Telegram."""
        if self._output is None:
            self._output = TelegramOutput(self.access_token, TelegramAPIServer.from_base(self.api_url))
        return self._output

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """``GET /`` (health) and ``POST /webhook`` (updates); Rasa's unauthenticated ``/set_webhook`` is gone."""
        telegram_webhook = Blueprint("telegram_webhook", __name__)
        output = self.get_output_channel()

        @telegram_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @telegram_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            refusal = self.refusal(request)
            if refusal is not None:
                return refusal
            try:
                incoming = read_update(json.loads(request.body), self.verify)
            except (ValueError, RecursionError) as error:  # bad JSON or encoding, BadUpdate, absurd nesting
                return response.json({"error": f"not a Telegram update: {error}"}, status=400)
            if incoming is None:
                return response.json({"status": "ignored"})
            await self.handle(incoming, output, on_new_message)
            return response.json({"status": "ok"})

        @telegram_webhook.listener("after_server_stop")
        async def close_session(*_: Any) -> None:
            await output.session.close()  # Bot.close() is deprecated: it will mean the Bot API's close

        return telegram_webhook

    def refusal(self, request: Request) -> HTTPResponse | None:
        """The 4xx for a request that is not an update from Telegram for this bot, or None."""
        given = request.headers.get(SECRET_HEADER)
        if not given:
            return response.json({"error": f"missing {SECRET_HEADER}"}, status=401)
        if not hmac.compare_digest(given.encode(), self.secret_token.encode()):
            return response.json({"error": f"wrong {SECRET_HEADER}"}, status=403)
        if request.content_type.split(";")[0].strip().lower() != "application/json":
            return response.json({"error": "an update is sent as application/json"}, status=415)
        if len(request.body) > MAX_UPDATE_BYTES:
            return response.json({"error": f"an update is at most {MAX_UPDATE_BYTES} bytes"}, status=413)
        return None

    async def handle(self, incoming: Incoming, output: TelegramOutput, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Answer the button, send the direct reply, then pass the text to the assistant with the chat's identity."""
        if incoming.callback_query_id:
            await _try(output.answer_callback_query(incoming.callback_query_id), "answer a button press")
        if incoming.reply:
            await _try(output.send_message(incoming.chat_id, incoming.reply), f"reply to chat {incoming.chat_id}")
        if incoming.text is None:
            return
        metadata = None
        if incoming.private:  # a group's id is every member's: nobody in it speaks as the linked customer
            metadata = await asyncio.to_thread(linked_identity, incoming.chat_id, get_settings().identity_secret, self.database_url)
        message = UserMessage(incoming.text, output, str(incoming.chat_id), input_channel=self.name(), metadata=metadata)
        try:
            await on_new_message(message)
        except Exception:  # an error status makes Telegram deliver the update again, and the dialogue would run twice
            logger.exception("telegram: handling a message from chat %s failed", incoming.chat_id)


async def _try(call: Awaitable[Any], what: str) -> None:
    try:
        await call
    except TelegramAPIError as error:
        logger.warning("telegram: could not %s: %s", what, error)
