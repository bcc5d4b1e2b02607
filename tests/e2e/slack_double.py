"""Slack on loopback, both ways: the Web API the bot posts to, and the Events API requests Slack sends.

- :class:`SlackApiDouble` serves ``chat.postMessage`` on 127.0.0.1 (the channel's ``api_url``), answers
  like Slack (``invalid_auth`` for a wrong token, ``invalid_arguments`` for the legacy ``as_user``
  argument a bot token may not send, ``channel_not_found``, ``no_text``) and records every call.
- :class:`SlackEvents` signs and posts Events API and interactivity payloads to the channel's
  webhook the way Slack does (``v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}")``); the payload
  builders follow the shapes in Slack's Events API and block_actions reference.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode

import requests

BOT_USER = "U0BOTHARB"  # the app's bot user in every payload
BOT_ID = "B0BOTHARB"
TEAM = "T0HARBPINE"
_timestamps = itertools.count(1)


def message_ts() -> str:
    """A fresh Slack message timestamp ("seconds.micro"), unique within the test run."""
    return f"{int(time.time())}.{next(_timestamps):06d}"


@dataclass
class ApiCall:
    """One Web API call the bot made."""

    method: str
    token: str
    args: dict[str, Any]
    ok: bool
    error: str | None
    ts: str | None = None  # the posted message's ts, as Slack returned it
    received_at: float = field(default_factory=time.monotonic)

    @property
    def channel(self) -> str | None:
        return self.args.get("channel")

    @property
    def thread_ts(self) -> str | None:
        return self.args.get("thread_ts")

    @property
    def text(self) -> str:
        return self.args.get("text") or ""

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """The button elements of the message's actions blocks."""
        blocks = self.args.get("blocks") or []
        return [e for b in blocks if b.get("type") == "actions" for e in b.get("elements", []) if e.get("type") == "button"]

    def as_message(self) -> dict[str, Any]:
        """The posted message as Slack shows it in later payloads (e.g. ``block_actions.message``)."""
        message = {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "ts": self.ts, "text": self.text, "blocks": self.args.get("blocks", [])}
        if self.thread_ts:
            message["thread_ts"] = self.thread_ts
        return message


class SlackApiDouble:
    """``chat.postMessage`` on 127.0.0.1; ``url`` is the Web API base (``.../api/``)."""

    def __init__(self, token: str = "xoxb-test") -> None:
        self.token = token
        self.calls: list[ApiCall] = []
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, name="slack-api-double", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    def __enter__(self) -> SlackApiDouble:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def posts(self, channel: str | None = None) -> list[ApiCall]:
        """Successful chat.postMessage calls, oldest first (to ``channel`` only, if given)."""
        with self._changed:
            return [c for c in self.calls if c.ok and c.method == "chat.postMessage" and channel in (None, c.channel)]

    def rejected(self) -> list[ApiCall]:
        with self._changed:
            return [c for c in self.calls if not c.ok]

    def wait_for_posts(self, channel: str, count: int = 1, timeout: float = 90, thread_ts: str | None = None) -> list[ApiCall]:
        """The posts to ``channel`` (and ``thread_ts``, if given) once there are at least ``count``; fails after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [p for p in self.posts(channel) if thread_ts is None or p.thread_ts == thread_ts]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(found)} of {count} posts to {channel} after {timeout} s; all calls: {self.calls}")
                self._changed.wait(left)

    def wait_for_text(self, channel: str, needle: str, timeout: float = 90, thread_ts: str | None = None,
                      after: float = 0.0) -> list[ApiCall]:
        """The posts to ``channel`` (in ``thread_ts``, received after the monotonic time ``after``) once their text contains ``needle``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [p for p in self.posts(channel) if (thread_ts is None or p.thread_ts == thread_ts) and p.received_at > after]
                if needle in "\n".join(p.text for p in found):
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no post to {channel} contains {needle!r} after {timeout} s; posts: {[p.text for p in found]}")
                self._changed.wait(left)

    def _record(self, call: ApiCall) -> None:
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def _answer(self, method: str, token: str, args: dict[str, Any]) -> dict[str, Any]:
        if token != self.token:
            return {"ok": False, "error": "invalid_auth" if token else "not_authed"}
        if method != "chat.postMessage":
            return {"ok": False, "error": "unknown_method"}
        if "as_user" in args:
            return {"ok": False, "error": "invalid_arguments", "deprecated_argument": "as_user"}
        if not isinstance(args.get("channel"), str) or not args["channel"]:
            return {"ok": False, "error": "channel_not_found"}
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            return {"ok": False, "error": "no_text"}
        ts = message_ts()
        message = {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "text": args.get("text", ""), "ts": ts}
        return {"ok": True, "channel": args["channel"], "ts": ts, "message": message}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    args = json.loads(raw or b"{}")
                else:
                    args = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                    for key in ("blocks", "attachments"):
                        if isinstance(args.get(key), str):
                            args[key] = json.loads(args[key])
                auth = self.headers.get("Authorization", "")
                token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else args.pop("token", "")
                method = self.path.removeprefix("/api/")
                answer = double._answer(method, token, args)
                double._record(ApiCall(method, token, args, answer["ok"], answer.get("error"), answer.get("ts")))
                body = json.dumps(answer).encode()
                self.send_response(200)  # Slack answers errors with 200 and ok: false
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's ``X-Slack-Signature`` of ``body`` sent at ``timestamp``."""
    return "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()


def event_callback(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """An Events API envelope around ``event``."""
    return {"token": "verification-token-unused", "team_id": TEAM, "api_app_id": "A0HARBPINE", "event": event,
            "type": "event_callback", "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}", "event_time": int(time.time()),
            "authorizations": [{"enterprise_id": None, "team_id": TEAM, "user_id": BOT_USER, "is_bot": True, "is_enterprise_install": False}],
            "is_ext_shared_channel": False, "event_context": f"4-{uuid.uuid4().hex}"}


def direct_message(user: str, channel: str, text: str, ts: str | None = None, thread_ts: str | None = None) -> dict[str, Any]:
    """A ``message`` event in the bot's DM with ``user`` (``message.im``)."""
    event = {"client_msg_id": str(uuid.uuid4()), "type": "message", "text": text, "user": user, "ts": ts or message_ts(),
             "team": TEAM, "channel": channel, "channel_type": "im",
             "blocks": [{"type": "rich_text", "block_id": "b1", "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}]}
    if thread_ts:
        event["thread_ts"] = thread_ts
    event["event_ts"] = event["ts"]
    return event


def app_mention(user: str, channel: str, text: str, ts: str | None = None, thread_ts: str | None = None) -> dict[str, Any]:
    """An ``app_mention`` event: ``text`` starts with the bot's mention, as Slack writes it."""
    event = {"client_msg_id": str(uuid.uuid4()), "type": "app_mention", "text": f"<@{BOT_USER}> {text}", "user": user,
             "ts": ts or message_ts(), "team": TEAM, "channel": channel}
    if thread_ts:
        event["thread_ts"] = thread_ts
    event["event_ts"] = event["ts"]
    return event


def bot_message(channel: str, text: str) -> dict[str, Any]:
    """The echo of the bot's own post that Slack sends to a ``message.im`` subscriber."""
    ts = message_ts()
    return {"type": "message", "subtype": "bot_message", "text": text, "ts": ts, "event_ts": ts, "bot_id": BOT_ID,
            "user": BOT_USER, "channel": channel, "channel_type": "im"}


def block_actions(user: str, channel: str, button: dict[str, Any], message: dict[str, Any] | None = None) -> dict[str, Any]:
    """The interactivity payload of a click on ``button`` (an element the bot posted) in ``channel``."""
    message = message or {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "ts": message_ts(), "text": ""}
    action = {"action_id": button.get("action_id", "a1"), "block_id": "b1", "text": button["text"], "value": button.get("value"),
              "type": "button", "action_ts": f"{time.time():.6f}"}
    container = {"type": "message", "message_ts": message["ts"], "channel_id": channel, "is_ephemeral": False}
    if message.get("thread_ts"):
        container["thread_ts"] = message["thread_ts"]
    return {"type": "block_actions", "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
            "api_app_id": "A0HARBPINE", "token": "verification-token-unused", "container": container,
            "trigger_id": f"{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex[:12]}", "team": {"id": TEAM, "domain": "harborpine"},
            "enterprise": None, "is_enterprise_install": False, "channel": {"id": channel, "name": "directmessage"},
            "message": message, "state": {"values": {}}, "response_url": "http://127.0.0.1:9/actions/unused", "actions": [action]}


class SlackEvents:
    """Posts signed requests to the channel's webhook as Slack does."""

    def __init__(self, webhook_url: str, signing_secret: str) -> None:
        self.webhook_url = webhook_url
        self.signing_secret = signing_secret

    def post(self, body: bytes, content_type: str, timestamp: int | None = None, signed: bool = True,
             headers: dict[str, str] | None = None) -> requests.Response:
        """``body`` signed at ``timestamp`` (default: now); ``signed=False`` sends no signature headers."""
        timestamp_text = str(int(time.time()) if timestamp is None else timestamp)
        sent = {"Content-Type": content_type, **(headers or {})}
        if signed:
            sent.update({"X-Slack-Request-Timestamp": timestamp_text,
                         "X-Slack-Signature": slack_signature(self.signing_secret, timestamp_text, body)})
        return requests.post(self.webhook_url, data=body, headers=sent, timeout=30)

    def event(self, envelope: dict[str, Any], **kwargs: Any) -> requests.Response:
        return self.post(json.dumps(envelope).encode(), "application/json", **kwargs)

    def interaction(self, payload: dict[str, Any], **kwargs: Any) -> requests.Response:
        return self.post(urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded", **kwargs)
