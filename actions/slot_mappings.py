"""After every user message: identity from metadata, mood over time and the escalation decision.

Runs as Rasa's ``action_validate_slot_mappings`` (slots with ``type: custom`` mappings), once per
user message: Rasa runs it again when a form activates on the same message, and that run changes nothing.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from actions.conversation import ORDER_REQUESTS, emotion_history, intent_name, latest_emotion, metadata_customer
from actions.dialogue.config import dialogue_config
from actions.dialogue.escalation import decide, frustration_score
from actions.dialogue.tone import tone_for
from components.emotion.labels import dialogue_label
from services.store.db import session_scope
from services.store.identity import customer_exists


def emotion_turn(emotion: dict, min_confidence: float) -> dict[str, Any]:
    """What the emotion history keeps of one reading (explanation only when there is one).

    A reading without a ``confident`` flag (older models) counts as confident at ``min_confidence``.
    """
    confidence = round(float(emotion.get("confidence", 0.0)), 4)
    turn: dict[str, Any] = {"label": emotion["label"], "confidence": confidence,
                            "confident": bool(emotion.get("confident", confidence >= min_confidence))}
    if emotion.get("explanation"):
        turn["explanation"] = list(emotion["explanation"])
    return turn


def already_counted(tracker: Tracker) -> bool:
    """Whether this action has already set ``emotion_history`` for the latest user message.

    Rasa runs ``action_extract_slots`` (and so this action) again when a form activates. Counting
    the message twice made one angry first message look like two, "angry_unresolved", so the
    form stepped aside and the shopper was told "I didn't understand that".
    """
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "slot" and event.get("name") == "emotion_history":
            return True
    return False


def turn_updates(tracker: Tracker) -> dict[str, Any]:
    """Slot values implied by the latest user message (pure apart from the customer check)."""
    config = dialogue_config()
    updates: dict[str, Any] = {}
    customer = metadata_customer(tracker)
    if customer and customer != tracker.get_slot("customer_id"):
        with session_scope() as session:
            if customer_exists(session, customer):
                updates.update(customer_id=customer, identified=True)

    intent = intent_name(tracker)
    if intent in ORDER_REQUESTS:
        updates["request"] = intent
    elif intent == "complaint" and next(tracker.get_latest_entity_values("order_number"), None):
        updates["request"] = "delivery_problem"  # "my order 100241 is late, you're useless": answer about that order
    failures = int(tracker.get_slot("nlu_failures") or 0)
    failures = failures + 1 if intent == "nlu_fallback" else 0
    updates["nlu_failures"] = float(failures)

    emotion = latest_emotion(tracker)
    turn = emotion_turn(emotion, config.escalation.min_confidence)
    history = (emotion_history(tracker) + [turn])[-config.history_turns :]
    updates["emotion_history"] = history
    updates["tone"] = tone_for(dialogue_label(turn["label"], turn["confident"]))
    updates["frustration_score"] = frustration_score(history, config.escalation)
    if not tracker.get_slot("escalate"):
        decision = decide(history, (tracker.latest_message or {}).get("text"), failures, config.escalation)
        if decision.escalate:
            updates.update(escalate=True, handoff_reason=decision.reason)
    return updates


class ActionValidateSlotMappings(ValidationAction):
    """Fills the custom-mapped slots once per user message."""

    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.latest_message.get("text") is None and not tracker.latest_message.get("intent"):
            return []
        if already_counted(tracker):
            return []
        return [SlotSet(k, v) for k, v in turn_updates(tracker).items() if tracker.get_slot(k) != v]
