"""Rasa's HTTP API on loopback, for desk tests without a trained model.

Serves the calls the desk makes (``GET .../tracker``, ``POST .../tracker/events``, ``POST .../execute``)
with Rasa's shapes and token check (``?token=``, 401 otherwise), keeps trackers in memory and records
every call so a test can see what the desk asked Rasa to do. ``execute action_handback`` answers as
the real action does: a greeting, sent to the output channel or returned as ``messages``.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HANDBACK_TEXT = "Hi again, this is the assistant. My colleague has finished with your ticket. Is there anything else I can help with?"


@dataclass
class Call:
    method: str
    sender_id: str
    path: str
    params: dict[str, str]
    body: Any


@dataclass
class RasaDouble:
    token: str
    trackers: dict[str, dict] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    fail_with: int | None = None  # answer every call with this status

    def __post_init__(self) -> None:
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                double._handle(self, "GET")

            def do_POST(self) -> None:
                double._handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        self._lock = threading.Lock()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_conversation(self, sender_id: str, channel: str, events: list[dict]) -> None:
        self.trackers[sender_id] = {"sender_id": sender_id, "latest_input_channel": channel, "events": list(events), "slots": {}}

    def calls_for(self, sender_id: str, path: str | None = None) -> list[Call]:
        return [c for c in self.calls if c.sender_id == sender_id and (path is None or c.path == path)]

    def _tracker(self, sender_id: str) -> dict:
        return self.trackers.setdefault(sender_id, {"sender_id": sender_id, "latest_input_channel": None, "events": [], "slots": {}})

    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        parsed = urllib.parse.urlsplit(request.path)
        params = dict(urllib.parse.parse_qsl(parsed.query))
        parts = parsed.path.split("/", 3)  # "", "conversations", id, rest
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        if len(parts) < 4 or parts[1] != "conversations":
            return self._reply(request, 404, {"message": "not found"})
        sender_id, path = urllib.parse.unquote(parts[2]), parts[3]
        body = json.loads(raw) if raw else None
        with self._lock:
            self.calls.append(Call(method, sender_id, path, params, body))
        if params.get("token") != self.token:
            return self._reply(request, 401, {"status": "failure", "reason": "NotAuthenticated", "message": "User is not authenticated."})
        if self.fail_with:
            return self._reply(request, self.fail_with, {"message": "the double was told to fail"})
        with self._lock:
            tracker = self._tracker(sender_id)
            if method == "GET" and path == "tracker":
                return self._reply(request, 200, tracker)
            if method == "POST" and path == "tracker/events":
                for event in body if isinstance(body, list) else [body]:
                    tracker["events"].append({**event, "timestamp": time.time()})
                return self._reply(request, 200, {"sender_id": sender_id})
            if method == "POST" and path == "execute":
                tracker["events"].append({"event": "action", "name": body["name"], "timestamp": time.time()})
                messages = []
                if body["name"] == "action_handback":
                    tracker["events"].append({"event": "bot", "text": HANDBACK_TEXT, "timestamp": time.time(), "metadata": {}})
                    messages = [{"recipient_id": sender_id, "text": HANDBACK_TEXT}]
                answer: dict[str, Any] = {"tracker": {"sender_id": sender_id}}
                if not params.get("output_channel"):
                    answer["messages"] = messages
                return self._reply(request, 200, answer)
        return self._reply(request, 404, {"message": f"no route {method} {path}"})

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)


def user_event(text: str, label: str | None = None, confidence: float = 0.9, explanation: list[str] | None = None,
               timestamp: float | None = None, metadata: dict | None = None) -> dict:
    """A Rasa ``user`` event with the emotion classifier's reading in ``parse_data``."""
    parse_data: dict[str, Any] = {"text": text, "intent": {"name": "complaint", "confidence": 0.9}, "entities": []}
    if label:
        parse_data["emotion"] = {"label": label, "confidence": confidence, "confident": confidence >= 0.6,
                                 "explanation": explanation or []}
    return {"event": "user", "text": text, "timestamp": timestamp or time.time(), "parse_data": parse_data,
            "input_channel": "socketio", "metadata": metadata or {}}


def bot_event(text: str) -> dict:
    return {"event": "bot", "text": text, "timestamp": time.time(), "metadata": {}}
