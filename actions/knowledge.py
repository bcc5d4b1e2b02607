"""Questions no intent covers, answered from the store's policy documents, or an honest "I don't know"."""

from __future__ import annotations

import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import intent_name, shopper_tone
from services.knowledge.service import answer

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def quote_for_tone(quote: str, tone: str) -> str:
    """The passage as the tone lays it out: numbered sentences for ``stepwise``, prose otherwise."""
    if tone != "stepwise":
        return quote
    return "\n".join(f"{i}. {s}" for i, s in enumerate(_SENTENCE_END.split(quote), 1))


class ActionAnswerFromKnowledge(Action):
    """Quotes and cites the best policy passage, or says it doesn't know (the rules then offer a person).

    Sets ``knowledge_found``, which the rules in data/rules_knowledge.yml branch on. An
    out-of-scope message with no good passage gets the usual out-of-scope reply instead.
    """

    def name(self) -> str:
        return "action_answer_from_knowledge"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        result = answer((tracker.latest_message or {}).get("text") or "")
        if result.found:
            dispatcher.utter_message(response="utter_knowledge_answer",
                                     quote=quote_for_tone(result.quote, shopper_tone(tracker)), source=result.citation)
            return [SlotSet("knowledge_found", True)]
        if intent_name(tracker) == "out_of_scope":
            dispatcher.utter_message(response="utter_out_of_scope")
        else:
            dispatcher.utter_message(response="utter_knowledge_unknown")
        return [SlotSet("knowledge_found", False)]
