"""The action server, closed by default: rasa_sdk's app behind a shared secret, on loopback.

    python -m services.action_server --port 5055

Every route but ``/health`` needs ``Authorization: Bearer <ACTION_SERVER_TOKEN>``, the header
Rasa sends through ``endpoints.yml``; anything else gets 401 before an action runs. It listens
on ``ACTIONS_HOST`` (default 127.0.0.1). Without a token it refuses to start.

``/metrics`` (Prometheus text, no personal data) is open like ``/health``; its logs mask
emails, phones, addresses and card numbers (``services/log_masking.py``).
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os

from sanic import Sanic, response
from sanic.request import Request

from services.conversation_metrics import observe_action_response
from services.log_masking import install_log_masking
from services.metrics_http import METRICS_PATH, instrument

OPEN_PATHS = frozenset({"/health", METRICS_PATH})
logger = logging.getLogger(__name__)


def authorised(request: Request, token: str) -> bool:
    """True when the request carries ``Authorization: Bearer <token>`` (constant-time compare)."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


def create_app(token: str, action_package: str = "actions") -> Sanic:
    """rasa_sdk's Sanic app with the shared-secret check in front of every route but /health and /metrics."""
    from rasa_sdk.endpoint import create_app as create_sdk_app

    if not token:
        raise ValueError("ACTION_SERVER_TOKEN is empty: set it (make run generates one into runtime/secrets.mk)")
    app = create_sdk_app(action_package, cors_origins=[])
    instrument(app, "actions", on_response=observe_action_response)  # first, so it times refused calls too

    @app.middleware("request")
    async def require_token(request: Request):
        if request.path not in OPEN_PATHS and not authorised(request, token):
            return response.json({"error": "missing or wrong action server token"}, status=401)
        return None

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--host", default=os.environ.get("ACTIONS_HOST", "127.0.0.1"))
    parser.add_argument("--actions", default="actions", help="package with the actions")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    install_log_masking()
    app = create_app(os.environ.get("ACTION_SERVER_TOKEN", ""), args.actions)
    logger.info("action server on http://%s:%s (token required, /health and /metrics open)", args.host, args.port)
    app.run(args.host, args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
