"""Customer satisfaction: a 1-5 rating at the end of a resolved conversation."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import current_customer, emotion_history
from services.ratings import parse_rating
from services.store.db import session_scope
from services.store.tickets import save_csat


class ActionSaveCsat(Action):
    def name(self) -> str:
        return "action_save_csat"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        entity = next(tracker.get_latest_entity_values("rating"), None)
        rating = parse_rating(entity) or parse_rating(tracker.latest_message.get("text"))
        if rating is None:
            dispatcher.utter_message(response="utter_ask_rating")
            return []
        with session_scope() as session:
            save_csat(session, tracker.sender_id, rating, emotion_history(tracker), current_customer(tracker))
        dispatcher.utter_message(response="utter_thanks_for_rating" if rating >= 4 else "utter_sorry_for_rating")
        return [SlotSet("resolved", False)]
