"""Emotion mix and escalations, counted from the action calls Rasa sends the action server.

Rasa runs ``action_validate_slot_mappings`` exactly once per user message (inside
``action_extract_slots``), with the tracker whose ``latest_message`` is that message and its
``emotion``; counting there counts each message once, however many action servers share the
load. ``action_handoff`` runs once per handoff, with the reason in the ``handoff_reason`` slot.
Only calls the action server answered with 200 are counted.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from sanic.request import Request
from sanic.response import HTTPResponse

from components.emotion.labels import LABELS
from services.metrics import ACTION_LATENCY, EMOTIONS, ESCALATIONS, USER_MESSAGES, label_value

TURN_ACTION = "action_validate_slot_mappings"
HANDOFF_ACTION = "action_handoff"
DEFAULT_HANDOFF_REASON = "requested"  # what action_handoff assumes when the slot is empty


def record_action_call(call: dict[str, Any]) -> None:
    """Count what one successful action call tells about the conversation (see the module docstring)."""
    action = call.get("next_action")
    tracker = call.get("tracker") or {}
    if action == TURN_ACTION:
        USER_MESSAGES.inc()
        emotion = (tracker.get("latest_message") or {}).get("emotion")
        if isinstance(emotion, dict) and emotion.get("confident") is True and emotion.get("label") in LABELS:
            EMOTIONS.labels(emotion["label"]).inc()
    elif action == HANDOFF_ACTION:
        reason = (tracker.get("slots") or {}).get("handoff_reason") or DEFAULT_HANDOFF_REASON
        ESCALATIONS.labels(label_value(reason)).inc()


def action_call_of(request: Request) -> dict[str, Any] | None:
    """The JSON action call in ``request`` (deflate-compressed when Rasa compresses it), or None."""
    try:
        if request.headers.get("content-encoding") == "deflate":
            return json.loads(zlib.decompress(request.body))
        call = request.json
    except (ValueError, zlib.error):
        return None
    return call if isinstance(call, dict) else None


async def observe_action_response(request: Request, response: HTTPResponse, elapsed: float) -> None:
    """The action server's response hook: per-action latency, emotions and escalations of answered calls."""
    if request.path != "/webhook" or getattr(response, "status", None) != 200:
        return
    call = action_call_of(request)
    if call is None:
        return
    ACTION_LATENCY.labels(label_value(call.get("next_action"))).observe(elapsed)
    record_action_call(call)

