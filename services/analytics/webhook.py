"""Alerts to a Slack incoming webhook (``{"text", "blocks"}``; any service that accepts that format works)."""

from __future__ import annotations

import logging
import os

import requests

logger = logging.getLogger(__name__)

WEBHOOK_ENV = "ANALYTICS_ALERT_WEBHOOK_URL"
TIMEOUT_S = 5.0


def slack_escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as markup (``&``, ``<``, ``>``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(headline: str, details: list[str]) -> dict:
    """A Slack incoming-webhook payload: ``text`` for notifications, ``blocks`` for the message itself."""
    headline = slack_escape(headline)
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{headline}*"}}]
    if details:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": slack_escape(d)} for d in details[:10]]})
    return {"text": headline, "blocks": blocks}


class SlackWebhook:
    """Posts payloads to one webhook URL; a failure is logged and reported, never raised."""

    def __init__(self, url: str | None, timeout: float = TIMEOUT_S) -> None:
        self.url = url or None
        self.timeout = timeout

    @classmethod
    def from_env(cls) -> SlackWebhook:
        """The webhook in ``ANALYTICS_ALERT_WEBHOOK_URL``; without it alerts are only logged and stored."""
        return cls(os.environ.get(WEBHOOK_ENV))

    def post(self, payload: dict) -> bool:
        """True when the webhook accepted the payload (or none is configured: nothing left to deliver)."""
        if self.url is None:
            logger.warning("alert (no %s set): %s", WEBHOOK_ENV, payload.get("text"))
            return True
        try:
            response = requests.post(self.url, json=payload, timeout=self.timeout)
        except requests.RequestException as exc:
            logger.error("alert webhook unreachable (%s); will retry: %s", exc, payload.get("text"))
            return False
        if response.status_code >= 300:
            logger.error("alert webhook answered %s %s; will retry", response.status_code, response.text[:200])
            return False
        return True
