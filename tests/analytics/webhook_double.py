"""A Slack incoming webhook on loopback: records every payload; can refuse the first few (to test retries)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WebhookDouble:
    """``url`` accepts POSTs of JSON like hooks.slack.com does (``ok`` on success, 400 ``invalid_payload``)."""

    def __init__(self, fail_first: int = 0) -> None:
        self.payloads: list[dict] = []
        self.refused = 0
        self.fail_first = fail_first
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    payload = json.loads(body)
                    valid = isinstance(payload, dict) and isinstance(payload.get("text"), str) and payload["text"]
                except json.JSONDecodeError:
                    valid = False
                if not valid:
                    return self._answer(400, b"invalid_payload")
                if double.refused < double.fail_first:
                    double.refused += 1
                    return self._answer(500, b"internal_error")
                double.payloads.append(payload)
                self._answer(200, b"ok")

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T0/B0/secret"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookDouble:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def texts(self) -> list[str]:
        return [p["text"] for p in self.payloads]
