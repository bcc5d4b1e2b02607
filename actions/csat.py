"""Customer satisfaction: a 1-5 rating at the end of a resolved conversation."""

from __future__ import annotations

import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import current_customer, emotion_history
from services.store.db import session_scope
from services.store.tickets import save_csat

WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}


def parse_rating(value: object) -> int | None:
    """1-5 from "4", "4 stars", "four", "⭐⭐⭐"; None otherwise."""
    if value is None:
        return None
    text = str(value).strip().lower()
    stars = text.count("⭐")
    if 1 <= stars <= 5 and not re.search(r"\d", text):
        return stars
    found = re.findall(r"\b([1-5])\b", text) or [WORDS[w] for w in re.findall(r"\b(one|two|three|four|five)\b", text)]
    values = {int(v) for v in found}
    return values.pop() if len(values) == 1 else None


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
