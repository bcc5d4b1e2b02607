"""Rasa's Slack channel, hardened for the Events API and aware of linked store accounts.

credentials.yml (``channels.enabled`` adds it when ``SLACK_BOT_TOKEN`` and ``SLACK_SIGNING_SECRET`` are set)::

    channels.slack.SlackInput:
      slack_token: xoxb-...          # SLACK_BOT_TOKEN
      slack_signing_secret: ...      # SLACK_SIGNING_SECRET
      api_url: http://127.0.0.1:9/api/   # SLACK_API_URL, optional: another Web API base (tests use a local double)

What this adds to :class:`rasa.core.channels.slack.SlackInput` (docs/slack.md):

- every request is checked before anything else: size (413), Slack's v0 signature and a timestamp
  at most 5 minutes old (401), content type (415), shape (400); events that are not a shopper's
  message (bot messages, edits, joins, unknown types) get a 200 and are dropped;
- a message is acknowledged at once and handled in the background (Rasa's ``process_message``);
  redeliveries are dropped by event id and by message (channel + ts), not only by the retry header,
  also when a retry reaches another Sanic worker (``channels.shared_recent_keys``);
- replies go to the thread the shopper wrote in, without the legacy ``as_user`` argument that
  Slack refuses for bot tokens, and a failed post is logged instead of aborting the turn;
- a Slack user linked to a customer (``services.store.linked_accounts``) is sent to Rasa with
  signed identity metadata; anyone else is anonymous and verifies with order number and email;
- conversation ids are an HMAC of the Slack ids, so nobody can join a Slack shopper's
  (possibly verified) conversation through another channel by guessing a Slack user id.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from aiohttp import ClientError
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.slack import SlackBot
from rasa.core.channels.slack import SlackInput as RasaSlackInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from channels.shared_recent_keys import SharedRecentKeys
from services.rasa_launcher import several_workers
from services.settings import get_settings
from services.store.db import session_scope
from services.store.identity import sign_customer_id
from services.store.linked_accounts import linked_customer

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # Slack's event payloads are a few KB; a 40k-character message stays far below this
MAX_TEXT_CHARS = 5000  # as the web chat: a pasted novel costs the classifier and DIET; the bot still answers
# Message subtypes a shopper produces; every other subtype is an edit, a deletion, a join or a bot.
USER_SUBTYPES = frozenset({"file_share", "thread_broadcast"})
INTERACTION_TYPES = frozenset({"block_actions", "interactive_message"})
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


SLACK_LINK = re.compile(r"<(mailto:|https?://)([^<>|]+)(?:\|([^<>]*))?>")  # <mailto:a@b.com|a@b.com>, <https://x|x>, <https://x>


def plain_text(text: str) -> str:
    """Slack's markup undone: a link becomes what the shopper typed, ``&lt;``/``&gt;``/``&amp;`` the characters.

    Rasa's sanitiser unwraps only ``<mailto://...>``, which Slack never sends: an email typed for
    verification would otherwise reach the form as ``<mailto:a@b.com|a@b.com>`` and never match.
    """

    def unlink(match: re.Match) -> str:
        scheme, target, label = match.groups()
        return label or (target if scheme == "mailto:" else scheme + target)

    return SLACK_LINK.sub(unlink, text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class MalformedRequest(ValueError):
    """A signed request that is not a valid Slack payload (answered with 400)."""


@dataclass(frozen=True)
class SlackMessage:
    """A shopper's message or button click, as the channel hands it to Rasa."""

    user: str
    channel: str
    text: str
    thread_ts: str | None  # the thread the shopper wrote in; None for a top-level message
    dedupe_keys: tuple[str, ...]  # any key seen before marks a redelivery
    bot_users: tuple[str, ...] = ()


class RecentKeys:
    """Keys seen in the last ``ttl_s`` seconds (at most ``max_keys``): Slack retries for up to about 5 minutes."""

    def __init__(self, ttl_s: float = 15 * 60, max_keys: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_keys = max_keys
        self._seen: OrderedDict[str, float] = OrderedDict()

    def first_time(self, keys: tuple[str, ...]) -> bool:
        """True if none of ``keys`` was seen recently; records them all either way."""
        now = time.monotonic()
        while self._seen and next(iter(self._seen.values())) < now - self.ttl_s:
            self._seen.popitem(last=False)
        fresh = not any(key in self._seen for key in keys)
        for key in keys:
            self._seen[key] = now
            self._seen.move_to_end(key)
        while len(self._seen) > self.max_keys:
            self._seen.popitem(last=False)
        return fresh


def _field(data: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or (kind is str and not value):
        raise MalformedRequest(f"{where}.{key} is missing or not a {kind.__name__}")
    return value


def parse_json_body(body: bytes) -> dict[str, Any]:
    """The JSON object of an Events API request."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedRequest(f"body is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise MalformedRequest("body is not a JSON object")
    _field(data, "type", str, "body")
    return data


def parse_interaction_body(body: bytes) -> dict[str, Any]:
    """The JSON ``payload`` field of a form-encoded interactivity request (a button click)."""
    try:
        fields = parse_qs(body.decode("utf-8"), strict_parsing=True, max_num_fields=10)
    except (UnicodeDecodeError, ValueError) as error:
        raise MalformedRequest(f"body is not a form: {error}") from None
    if len(fields.get("payload", ())) != 1:
        raise MalformedRequest("the form needs exactly one payload field")
    try:
        payload = json.loads(fields["payload"][0])
    except json.JSONDecodeError as error:
        raise MalformedRequest(f"payload is not JSON: {error}") from None
    if not isinstance(payload, dict):
        raise MalformedRequest("payload is not a JSON object")
    _field(payload, "type", str, "payload")
    return payload


class SlackOutput(SlackBot):
    """Rasa's Slack output, posting to ``api_url`` without ``as_user``; failed posts are logged."""

    @classmethod
    def name(cls) -> str:
        return "slack"

    def __init__(self, token: str, slack_channel: str | None = None, thread_id: str | None = None,
                 proxy: str | None = None, api_url: str | None = None) -> None:
        super().__init__(token, slack_channel, thread_id, proxy)
        if api_url:
            self.client = AsyncWebClient(token, base_url=api_url.rstrip("/") + "/", proxy=proxy)

    async def _post_message(self, channel: str, **kwargs: Any) -> None:
        kwargs.pop("as_user", None)  # Slack answers invalid_arguments to as_user from a bot token
        try:
            await super()._post_message(channel, **kwargs)
        except (SlackApiError, ClientError, asyncio.TimeoutError) as error:
            # Raising here would abort Rasa's turn before the tracker is saved.
            logger.error("Slack chat.postMessage to %s failed: %s", channel, error)

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        """Posts a custom payload that is a Slack message (text, blocks or attachments) to this conversation."""
        message = {k: v for k, v in json_message.items() if k in ("text", "blocks", "attachments")}
        if not message:  # e.g. the web chat's product cards: their text was already posted
            logger.debug("custom payload without Slack message fields not posted: %s", sorted(json_message))
            return
        await self._post_message(channel=self.slack_channel or recipient_id, **message)


def linked_identity(slack_user: str) -> dict[str, str]:
    """Signed ``{"customer_id", "customer_token"}`` for a Slack user linked to a customer, else ``{}``."""
    secret = get_settings().identity_secret
    if not secret:
        return {}
    try:
        with session_scope() as session:
            customer_id = linked_customer(session, "slack", slack_user)
    except SQLAlchemyError as error:
        logger.error("linked account lookup for Slack user %s failed, treating them as anonymous: %s", slack_user, error)
        return {}
    return {"customer_id": customer_id, "customer_token": sign_customer_id(secret, customer_id)} if customer_id else {}


class SlackInput(RasaSlackInput):
    """Rasa's Slack input with the checks, deduplication, threading and identity described above."""

    def __init__(self, *args: Any, api_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.api_url = api_url
        self.recent: RecentKeys | SharedRecentKeys = SharedRecentKeys() if several_workers() else RecentKeys()

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> SlackInput:
        if not credentials:
            cls.raise_missing_credentials_exception()
        # use_threads: answer in the shopper's thread (messages outside a thread carry no thread id here).
        channel = super().from_credentials({"use_threads": True, **credentials})
        channel.api_url = credentials.get("api_url") or None
        return channel

    def get_output_channel(self, channel: str | None = None, thread_id: str | None = None) -> SlackOutput:
        return SlackOutput(self.slack_token, channel or self.slack_channel, thread_id, self.proxy, self.api_url)

    def conversation_id(self, user: str, channel: str, thread_ts: str | None = None) -> str:
        """Rasa's conversation id for these Slack ids (per ``conversation_granularity``), keyed with the signing secret."""
        raw = super()._get_conversation_id(user, channel, thread_ts) or user
        return "slack-" + hmac.new(self.slack_signing_secret.encode(), raw.encode(), hashlib.sha256).hexdigest()[:32]

    def message_from_event(self, body: dict[str, Any]) -> SlackMessage | None:
        """The shopper's message in an ``event_callback``, or None for events the bot does not answer."""
        event = _field(body, "event", dict, "body")
        kind = _field(event, "type", str, "event")
        if kind not in ("message", "app_mention"):
            return None
        if event.get("bot_id") or event.get("subtype", None) not in (None, *USER_SUBTYPES):
            return None
        user = _field(event, "user", str, "event")
        channel = _field(event, "channel", str, "event")
        ts = _field(event, "ts", str, "event")
        text = event.get("text", "")
        if not isinstance(text, str):
            raise MalformedRequest("event.text is not a string")
        if kind == "message" and not self._is_supported_channel(body, {"out_channel": channel}):
            return None  # a channel message; mentions arrive as app_mention
        authed, authorizations = body.get("authed_users"), body.get("authorizations")
        bot_users = authed if isinstance(authed, list) and authed else [
            a.get("user_id") for a in (authorizations if isinstance(authorizations, list) else []) if isinstance(a, dict)]
        thread_ts = event.get("thread_ts") if isinstance(event.get("thread_ts"), str) else None
        keys = (f"message:{channel}:{ts}",) + ((f"event:{body['event_id']}",) if isinstance(body.get("event_id"), str) else ())
        return SlackMessage(user, channel, text, thread_ts, keys, tuple(u for u in bot_users if isinstance(u, str)))

    def message_from_interaction(self, payload: dict[str, Any]) -> SlackMessage | None:
        """The value of a clicked button (or chosen option), or None for interactions the bot does not answer."""
        if payload["type"] not in INTERACTION_TYPES:
            return None  # shortcuts, modal submissions
        actions = payload.get("actions")
        if not isinstance(actions, list) or not actions or not all(isinstance(a, dict) for a in actions):
            raise MalformedRequest("payload.actions is missing or empty")
        if not self._is_interactive_message(payload):
            return None  # an element Rasa cannot read
        try:
            value = self._get_interactive_response(actions[0])
        except (AttributeError, IndexError, KeyError, TypeError):
            raise MalformedRequest("payload.actions[0] has no readable value") from None
        if not isinstance(value, str) or not value:
            return None  # a link button
        user = _field(_field(payload, "user", dict, "payload"), "id", str, "payload.user")
        if not isinstance(payload.get("channel"), dict):
            return None  # a button in a modal or the app home: no conversation to answer in
        channel = _field(payload["channel"], "id", str, "payload.channel")
        message = payload.get("message") if isinstance(payload.get("message"), dict) else {}
        thread_ts = message.get("thread_ts") if isinstance(message.get("thread_ts"), str) else None
        keys = (f"trigger:{payload['trigger_id']}",) if isinstance(payload.get("trigger_id"), str) else ()
        return SlackMessage(user, channel, value, thread_ts, keys)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        slack_webhook = Blueprint("slack_webhook", __name__)

        @slack_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @slack_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            return await self.handle_request(request, on_new_message)

        return slack_webhook

    async def handle_request(self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        """Check, parse, deduplicate and hand one Slack request to Rasa in the background."""
        if len(request.body or b"") > MAX_BODY_BYTES:
            return response.text("payload too large", status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        if not self.is_request_from_slack_authentic(request):
            return response.text("missing, invalid or stale X-Slack-Signature", status=HTTPStatus.UNAUTHORIZED)
        media_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
        try:
            if media_type == JSON:
                body = parse_json_body(request.body)
                if body["type"] == "url_verification":
                    return response.json({"challenge": _field(body, "challenge", str, "body")})
                message = self.message_from_event(body) if body["type"] == "event_callback" else None
            elif media_type == FORM:
                message = self.message_from_interaction(parse_interaction_body(request.body))
            else:
                return response.text(f"expected {JSON} or {FORM}", status=HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
        except MalformedRequest as error:
            return response.text(f"bad Slack payload: {error}", status=HTTPStatus.BAD_REQUEST)
        if message is None:
            return response.text("ignored")
        text = plain_text(self._sanitize_user_message(message.text, list(message.bot_users)))[:MAX_TEXT_CHARS]
        if not text:
            return response.text("ignored")
        if message.dedupe_keys and not self.recent.first_time(message.dedupe_keys):
            return response.text("already received", headers={"X-Slack-No-Retry": "1"})
        metadata = {"out_channel": message.channel, "thread_id": message.thread_ts, "users": list(message.bot_users),
                    "slack_user": message.user}
        sender_id = self.conversation_id(message.user, message.channel, message.thread_ts)
        return await self.process_message(request, self._with_identity(on_new_message, message.user), text, sender_id, metadata)

    @staticmethod
    def _with_identity(on_new_message: Callable[[UserMessage], Awaitable[Any]], slack_user: str) -> Callable[[UserMessage], Awaitable[None]]:
        """``on_new_message`` that first adds the linked customer's signed identity (run in the background)."""

        async def handle(message: UserMessage) -> None:
            # A blocking lookup of one indexed row: awaiting a thread here could reorder a shopper's quick messages.
            message.metadata.update(linked_identity(slack_user))
            try:
                await on_new_message(message)
            except Exception:
                logger.exception("handling the Slack message of %s failed", message.sender_id)

        return handle
