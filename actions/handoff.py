"""Human handoff (ticket + paused conversation) and the agent's hand-back."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import current_customer, emotion_history, transcript
from actions.dialogue.config import dialogue_config
from services.store.db import session_scope
from services.store.identity import parse_order_number
from services.store.tickets import create_ticket, open_ticket_for, resolve_tickets

REASON_TEXT = {
    "requested": "you asked for a person",
    "threat": "this needs a person's attention",
    "angry_unresolved": "I haven't been able to fix this for you",
    "sustained_frustration": "this has been frustrating and a person can do more than I can",
    "nlu_failures": "I'm having trouble understanding, and I don't want to waste your time",
    "verification_failed": "I couldn't verify the order details",
    "delivery_problem": "the delivery needs chasing",
    "complaint": "your complaint deserves a proper look",
    "payment_problem": "payment issues need our payments team",
}


class ActionHandoff(Action):
    """Opens a ticket with the context an agent needs and pauses the bot for this conversation."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reason = tracker.get_slot("handoff_reason") or "requested"
        customer = current_customer(tracker)
        with session_scope() as session:
            existing = open_ticket_for(session, tracker.sender_id)
            ticket = existing or create_ticket(
                session,
                sender_id=tracker.sender_id,
                reason=reason,
                emotion_history=emotion_history(tracker),
                transcript=transcript(tracker, 10),
                customer_id=customer,
                order_id=parse_order_number(tracker.get_slot("order_number")) if customer else None,
            )
        because = REASON_TEXT.get(reason, "a person can help best")
        dispatcher.utter_message(
            response="utter_handoff",
            ticket_id=ticket.id,
            because=because,
            expected_wait=dialogue_config().expected_wait,
        )
        return [
            ActiveLoop(None),
            SlotSet("ticket_id", str(ticket.id)),
            SlotSet("pending_change", None),
            ConversationPaused(),
        ]


class ActionHandback(Action):
    """Runs when an agent resumes the bot (intent ``EXTERNAL_handback``): picks the conversation up."""

    def name(self) -> str:
        return "action_handback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        with session_scope() as session:
            resolved = resolve_tickets(session, tracker.sender_id)
        ticket = tracker.get_slot("ticket_id") or (str(resolved[-1]) if resolved else None)
        dispatcher.utter_message(response="utter_handback", ticket_id=ticket or "your ticket")
        return [
            SlotSet("escalate", False),
            SlotSet("handoff_reason", None),
            SlotSet("emotion_history", []),
            SlotSet("frustration_score", 0.0),
            SlotSet("nlu_failures", 0.0),
            SlotSet("ticket_id", None),
            SlotSet("resolved", True),
        ]
