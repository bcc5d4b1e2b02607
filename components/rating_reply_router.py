"""A message that is nothing but a 1-5 rating is the ``rate`` intent, whatever DIET's confidence.

Runs after the FallbackClassifier. After "pick a number from 1 to 5", shoppers type a bare
"5" or "four stars". Such one-token messages carry too little for DIET: with fewer epochs its
confidence for ``rate`` fell under the fallback threshold, so the rating was lost and a policy
passage answered instead (docs/results.md). Their form decides: the message becomes ``rate``
with its ``rating`` entity. Longer messages that merely contain a digit are left to DIET.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from services.ratings import bare_rating


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class RatingReplyRouter(GraphComponent, IntentClassifier):
    """Gives a bare rating ("5", "four stars", "3/5") the rating intent and entity."""

    @classmethod
    def required_components(cls) -> list[type]:
        """Runs after an intent classifier (and, in config.yml, after the FallbackClassifier)."""
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The component's default config (see parent class for full docstring)."""
        return {
            # The intent a bare rating gets (the one `action_save_csat`'s rule listens to).
            "intent": "rate",
            # The entity that carries the rating's value, "1" to "5".
            "entity": "rating",
        }

    def __init__(self, config: dict[str, Any]) -> None:
        self.component_config = config

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RatingReplyRouter:
        """Creates the component (see parent class for full docstring)."""
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        """Sets the rating intent and entity on every message of the batch that is a bare rating."""
        for message in messages:
            rating = bare_rating(message.get(TEXT))
            if rating is not None:
                self._mark(message, rating)
        return messages

    def _mark(self, message: Message, rating: int) -> None:
        intent_name, entity_name = self.component_config["intent"], self.component_config["entity"]
        # Confidence 1.0: the form decided, not a classifier; the old winner stays in the ranking.
        chosen = {INTENT_NAME_KEY: intent_name, "confidence": 1.0}
        ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != intent_name]
        message.set(INTENT, chosen, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [chosen, *ranking], add_to_output=True)
        entities = [e for e in message.get(ENTITIES) or [] if e.get("entity") != entity_name]
        text = message.get(TEXT) or ""
        entities.append({"entity": entity_name, "value": str(rating), "start": 0, "end": len(text),
                         "extractor": type(self).__name__})
        message.set(ENTITIES, entities, add_to_output=True)
