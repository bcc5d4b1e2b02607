"""A Telegram Bot API double on loopback, and Update payloads shaped as Telegram sends them.

    with TelegramDouble("123:test", "harbor_pine_bot") as api:   # TELEGRAM_API_URL=api.url
        ...
        api.calls("sendMessage", chat_id=700001)

The double serves ``/bot<token>/<method>`` like https://api.telegram.org: it checks the token, the
parameters Telegram requires (chat_id and 1-4096 characters of text, inline buttons with 1-64 bytes of
callback_data, an https webhook URL, a valid secret_token) and answers ``{"ok": ..., "result": ...}``.
Every call is recorded, refused ones too. ``refuse(method, code, description)`` makes a method fail.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
JSON_PARAMS = ("reply_markup", "allowed_updates", "entities")


@dataclass(frozen=True)
class ApiCall:
    """One request to the double: the method, its parameters (JSON ones decoded) and the status answered."""

    method: str
    params: dict[str, Any]
    status: int


class ApiRefusal(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code, self.description = code, description


@dataclass
class TelegramDouble:
    """The Bot API of one bot, served on 127.0.0.1 from a thread."""

    token: str
    bot_name: str
    _calls: list[ApiCall] = field(default_factory=list, init=False)
    _refusals: dict[str, tuple[int, str]] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _message_ids: itertools.count = field(default_factory=lambda: itertools.count(5000), init=False)
    _webhook_url: str = field(default="", init=False)

    def __enter__(self) -> TelegramDouble:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def calls(self, method: str | None = None, chat_id: int | None = None) -> list[ApiCall]:
        """Recorded calls, optionally of one method (case-insensitive) and to one chat."""
        with self._lock:
            calls = list(self._calls)
        return [c for c in calls if (method is None or c.method.lower() == method.lower())
                and (chat_id is None or c.params.get("chat_id") == chat_id)]

    def texts(self, chat_id: int) -> list[str]:
        """The texts of the messages sent to ``chat_id``, in order."""
        return [c.params["text"] for c in self.calls("sendMessage", chat_id) if c.status == 200]

    def wait_for(self, method: str, chat_id: int | None = None, count: int = 1, timeout: float = 30) -> list[ApiCall]:
        """The calls once at least ``count`` arrived (replies are sent before the webhook answers; this is a safety net)."""
        deadline = time.monotonic() + timeout
        while len(calls := self.calls(method, chat_id)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return calls

    def refuse(self, method: str, code: int, description: str) -> None:
        """Make every later call of ``method`` fail as Telegram would (e.g. 403 'Forbidden: bot was blocked by the user')."""
        with self._lock:
            self._refusals[method.lower()] = (code, description)

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._refusals.clear()

    def answer(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Status and body for one call, recorded."""
        try:
            if token != self.token:
                raise ApiRefusal(401, "Unauthorized")
            with self._lock:
                refusal = self._refusals.get(method.lower())
            if refusal:
                raise ApiRefusal(*refusal)
            result = self._result(method.lower(), params)
            status, body = 200, {"ok": True, "result": result}
        except ApiRefusal as refusal:
            status, body = refusal.code, {"ok": False, "error_code": refusal.code, "description": refusal.description}
        with self._lock:
            self._calls.append(ApiCall(method, params, status))
        return status, body

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getme":
            return {"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "Harbor & Pine", "username": self.bot_name,
                    "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
        if method == "sendmessage":
            return self._send_message(params)
        if method == "answercallbackquery":
            if not params.get("callback_query_id"):
                raise ApiRefusal(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
            return True
        if method == "setwebhook":
            url = params.get("url", "")
            if not url.startswith("https://"):
                raise ApiRefusal(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
            if "secret_token" in params and not SECRET_TOKEN_RE.fullmatch(params["secret_token"]):
                raise ApiRefusal(400, "Bad Request: secret token contains unallowed characters")
            self._webhook_url = url
            return True
        if method == "getwebhookinfo":
            return {"url": self._webhook_url, "has_custom_certificate": False, "pending_update_count": 0}
        raise ApiRefusal(404, "Not Found")

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, text = params.get("chat_id"), params.get("text", "")
        if not isinstance(chat_id, int):
            raise ApiRefusal(400, "Bad Request: chat not found")
        if not text.strip():
            raise ApiRefusal(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            raise ApiRefusal(400, "Bad Request: message is too long")
        markup = params.get("reply_markup")
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                if not button.get("text") or not 1 <= len(button.get("callback_data", "").encode()) <= 64:
                    raise ApiRefusal(400, "Bad Request: BUTTON_DATA_INVALID")
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "text": text,
                   "from": {"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "Harbor & Pine", "username": self.bot_name},
                   "chat": {"id": chat_id, "type": "private"}}
        if markup:
            message["reply_markup"] = markup
        return message


def _handler_for(double: TelegramDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self._serve(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

        def do_GET(self) -> None:
            self._serve(b"")

        def _serve(self, body: bytes) -> None:
            match = re.fullmatch(r"/bot([^/]+)/(\w+)", self.path.split("?")[0])
            try:
                params = _params(self.headers.get("Content-Type", ""), body)
            except ValueError as error:
                status, answer = 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {error}"}
            else:
                status, answer = double.answer(*match.groups(), params) if match else (404, {"ok": False, "error_code": 404,
                                                                                            "description": "Not Found"})
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: Any) -> None:
            pass

    return Handler


def _params(content_type: str, body: bytes) -> dict[str, Any]:
    """Form or JSON parameters, JSON-valued ones decoded and integer chat ids made integers, as Telegram reads them."""
    kind = content_type.split(";")[0].strip().lower()
    if not body:
        params: dict[str, Any] = {}
    elif kind == "application/x-www-form-urlencoded":
        params = dict(parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True))
    elif kind == "application/json":
        params = json.loads(body)
    else:
        raise ValueError(f"unsupported content type {kind!r}")
    for key in JSON_PARAMS:
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    if isinstance(params.get("chat_id"), str) and re.fullmatch(r"-?[0-9]+", params["chat_id"]):
        params["chat_id"] = int(params["chat_id"])
    return params


# --- Update payloads, as Telegram POSTs them to the webhook -------------------------------------------

_next_update_id = itertools.count(800_000_000)
_next_message_id = itertools.count(100)
BOT_USER = {"id": 123, "is_bot": True, "first_name": "Harbor & Pine", "username": "harbor_pine_bot"}


def person(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Alice", "last_name": "Chen", "username": f"shopper{chat_id}", "language_code": "en"}


def private_chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "first_name": "Alice", "last_name": "Chen", "username": f"shopper{chat_id}", "type": "private"}


def _message(chat_id: int, **content: Any) -> dict[str, Any]:
    return {"message_id": next(_next_message_id), "from": person(chat_id), "chat": private_chat(chat_id), "date": int(time.time()), **content}


def text_update(chat_id: int, text: str) -> dict[str, Any]:
    """A shopper typed ``text`` (commands carry a bot_command entity, as Telegram marks them)."""
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        content["entities"] = [{"offset": 0, "length": len(text.split(" ")[0]), "type": "bot_command"}]
    return {"update_id": next(_next_update_id), "message": _message(chat_id, **content)}


def group_text_update(group_id: int, from_id: int, text: str) -> dict[str, Any]:
    """``text`` written in a group the bot is in."""
    message = {"message_id": next(_next_message_id), "from": person(from_id), "date": int(time.time()), "text": text,
               "chat": {"id": group_id, "title": "Harbor & Pine fans", "type": "group", "all_members_are_administrators": True}}
    return {"update_id": next(_next_update_id), "message": message}


def button_update(chat_id: int, data: str, bot_message: dict[str, Any] | None = None) -> dict[str, Any]:
    """The shopper pressed the inline button with callback_data ``data`` under ``bot_message`` (as the double returned it)."""
    message = bot_message or {"message_id": next(_next_message_id), "from": BOT_USER, "chat": private_chat(chat_id), "date": int(time.time()),
                              "text": "Shall I?", "reply_markup": {"inline_keyboard": [[{"text": "Yes", "callback_data": data}]]}}
    query = {"id": f"{chat_id}{next(_next_update_id)}", "from": person(chat_id), "message": message,
             "chat_instance": "-7123456789012345678", "data": data}
    return {"update_id": next(_next_update_id), "callback_query": query}


def edited_update(chat_id: int, text: str) -> dict[str, Any]:
    """The shopper edited an earlier message to ``text``."""
    return {"update_id": next(_next_update_id), "edited_message": {**_message(chat_id, text=text), "edit_date": int(time.time())}}


def sticker_update(chat_id: int) -> dict[str, Any]:
    sticker = {"width": 512, "height": 512, "emoji": "\U0001f44d", "set_name": "HotCherry", "is_animated": False, "is_video": False,
               "type": "regular", "thumbnail": {"file_id": "AAMCAgADGQEAAxFlsticker-thumb", "file_unique_id": "AQADthumb", "file_size": 5416,
                                                "width": 128, "height": 128},
               "file_id": "CAACAgIAAxkBAAMRZbsticker", "file_unique_id": "AgADsticker", "file_size": 22104}
    return {"update_id": next(_next_update_id), "message": _message(chat_id, sticker=sticker)}


def photo_update(chat_id: int, caption: str | None = None) -> dict[str, Any]:
    sizes = [{"file_id": f"AgACAgQAAxkBAAMSZbphoto{w}", "file_unique_id": f"AQADphoto{w}", "file_size": w * 40, "width": w, "height": w * 3 // 4}
             for w in (90, 320, 800)]
    content: dict[str, Any] = {"photo": sizes}
    if caption:
        content["caption"] = caption
    return {"update_id": next(_next_update_id), "message": _message(chat_id, **content)}


def member_joined_update(group_id: int, member_id: int) -> dict[str, Any]:
    """A service message: someone joined a group the bot is in."""
    message = {"message_id": next(_next_message_id), "from": person(member_id), "date": int(time.time()),
               "chat": {"id": group_id, "title": "Harbor & Pine fans", "type": "group"}, "new_chat_members": [person(member_id)]}
    return {"update_id": next(_next_update_id), "message": message}
