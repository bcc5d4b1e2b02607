"""A conversation as the desk shows it, read from a Rasa tracker (or, without one, from the ticket).

Shopper turns carry the classifier's reading from ``parse_data.emotion`` (label, confidence,
the words that drove it); bot messages the desk sent carry ``metadata.source == "desk"`` and are
shown as the agent's. Turn numbers count the conversation's shopper turns from 0, over every
event Rasa kept, so a correction names the same turn the learning loop will find.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.store.models import Ticket

MAX_SHOWN_TURNS = 200
MAX_TURN_CHARS = 5000
DESK_SOURCE = "desk"

ACTION_TEXT = {
    "verification_form": "asked for the order number and the email on the order",
    "address_form": "asked for the new delivery address",
    "action_handle_request": "answered the {request} request",
    "action_execute_change": "made the change the shopper confirmed ({request})",
    "action_decline_change": "left the order unchanged: the shopper said no",
    "action_answer_faq": "answered a store-policy question",
    "action_product_info": "answered a product question",
    "action_offer_recommendations": "offered product recommendations",
    "action_recommend_products": "showed product recommendations",
    "action_save_csat": "stored a satisfaction rating",
    "action_handoff": "opened this ticket and paused itself",
    "action_handback": "took the conversation back from an agent",
}


@dataclass(frozen=True)
class Turn:
    role: str  # "shopper", "bot" or "agent"
    text: str
    timestamp: float | None = None
    index: int | None = None  # shopper turns: 0-based turn number in the conversation
    emotion: str | None = None
    confidence: float | None = None
    confident: bool | None = None
    explanation: tuple[str, ...] = ()
    agent: str | None = None  # agent turns: who wrote it
    while_paused: bool = False  # shopper turns written while the bot was paused
    truncated: bool = False


@dataclass(frozen=True)
class Conversation:
    turns: list[Turn]  # the last MAX_SHOWN_TURNS turns
    hidden_turns: int  # earlier turns not shown
    source: str  # "tracker" or "ticket"
    channel: str | None  # Rasa's latest input channel: socketio, slack, telegram, rest, email, cmdline
    paused: bool
    bot_did: list[str]
    slots: dict[str, Any] = field(default_factory=dict)
    reply_target: dict[str, str] = field(default_factory=dict)  # Slack: {"channel", "thread_ts"} of the latest message
    event_count: int = 0


def _cut(text: object) -> tuple[str, bool]:
    value = "" if text is None else str(text)
    return (value[:MAX_TURN_CHARS], True) if len(value) > MAX_TURN_CHARS else (value, False)


def _number(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def shopper_turn(event: dict, index: int, paused: bool) -> Turn:
    """A user event as a shopper turn with its emotion reading."""
    emotion = (event.get("parse_data") or {}).get("emotion")
    emotion = emotion if isinstance(emotion, dict) else {}
    text, truncated = _cut(event.get("text"))
    words = emotion.get("explanation") if isinstance(emotion.get("explanation"), list) else []
    return Turn("shopper", text, _number(event.get("timestamp")), index,
                str(emotion["label"]) if emotion.get("label") else None, _number(emotion.get("confidence")),
                bool(emotion["confident"]) if "confident" in emotion else None,
                tuple(str(w)[:80] for w in words[:20]), while_paused=paused, truncated=truncated)


def _is_shopper_event(event: dict) -> bool:
    return event.get("event") == "user" and event.get("text") is not None


def from_tracker(tracker: dict, max_turns: int = MAX_SHOWN_TURNS) -> Conversation:
    """The conversation in a tracker from ``GET /conversations/<id>/tracker``."""
    events = [e for e in tracker.get("events") or [] if isinstance(e, dict)]
    turns: list[Turn] = []
    did: list[str] = []
    slots: dict[str, Any] = {}
    paused = False
    shopper_index = 0
    reply_target: dict[str, str] = {}
    for event in events:
        kind = event.get("event")
        if kind == "pause":
            paused = True
        elif kind == "resume":
            paused = False
        elif kind == "slot":
            name, value = event.get("name"), event.get("value")
            if name == "identified" and value is True and not slots.get("identified"):
                did.append("verified the shopper")
            slots[str(name)] = value
        elif kind == "action":
            template = ACTION_TEXT.get(str(event.get("name")))
            if template:
                text = template.format(request=str(slots.get("request") or "shopper's").replace("_", " "))
                if not did or did[-1] != text:
                    did.append(text)
        elif _is_shopper_event(event):
            turns.append(shopper_turn(event, shopper_index, paused))
            shopper_index += 1
            metadata = event.get("metadata") if isinstance(event.get("metadata"), dict) else {}
            if isinstance(metadata.get("out_channel"), str):
                reply_target = {"channel": metadata["out_channel"],
                                **({"thread_ts": metadata["thread_id"]} if isinstance(metadata.get("thread_id"), str) else {})}
        elif kind == "bot" and event.get("text"):
            metadata = event.get("metadata") if isinstance(event.get("metadata"), dict) else {}
            text, truncated = _cut(event.get("text"))
            if metadata.get("source") == DESK_SOURCE:
                turns.append(Turn("agent", text, _number(event.get("timestamp")), agent=str(metadata.get("agent") or "agent"),
                                  truncated=truncated))
            else:
                turns.append(Turn("bot", text, _number(event.get("timestamp")), truncated=truncated))
    shown = turns[-max_turns:]
    return Conversation(shown, len(turns) - len(shown), "tracker", tracker.get("latest_input_channel"), paused, did,
                        {k: slots.get(k, (tracker.get("slots") or {}).get(k)) for k in ("request", "order_number", "customer_id", "identified")},
                        reply_target, len(events))


def shopper_turn_at(tracker: dict, index: int) -> Turn | None:
    """Shopper turn number ``index`` of a tracker (for corrections), or None."""
    if index < 0:
        return None
    seen = 0
    for event in tracker.get("events") or []:
        if isinstance(event, dict) and _is_shopper_event(event):
            if seen == index:
                return shopper_turn(event, index, False)
            seen += 1
    return None


def from_ticket(ticket: Ticket) -> Conversation:
    """What the ticket saved at hand-off: the last turns, emotions matched to shopper turns from the end."""
    transcript = [t for t in (ticket.transcript or []) if isinstance(t, dict)]
    history = [t for t in (ticket.emotion_history or []) if isinstance(t, dict)]
    user_positions = [i for i, t in enumerate(transcript) if t.get("role") == "user"]
    readings = dict(zip(reversed(user_positions), reversed(history)))
    turns: list[Turn] = []
    shopper_index = 0
    for position, entry in enumerate(transcript):
        text, truncated = _cut(entry.get("text"))
        if entry.get("role") == "user":
            reading = readings.get(position, {})
            words = reading.get("explanation") if isinstance(reading.get("explanation"), list) else []
            turns.append(Turn("shopper", text, None, shopper_index, reading.get("label"), _number(reading.get("confidence")),
                              reading.get("confident"), tuple(str(w)[:80] for w in words[:20]), truncated=truncated))
            shopper_index += 1
        else:
            turns.append(Turn("bot", text, truncated=truncated))
    return Conversation(turns, 0, "ticket", None, ticket.status != "resolved", ["opened this ticket and paused itself"])


def ticket_turn_at(ticket: Ticket, index: int) -> Turn | None:
    """Shopper turn ``index`` of the ticket's saved transcript, or None."""
    shoppers = [t for t in from_ticket(ticket).turns if t.role == "shopper"]
    return shoppers[index] if 0 <= index < len(shoppers) else None
