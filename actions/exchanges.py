"""The exchange form: which size or colour the shopper wants, checked against the item's options and stock."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecutionRejected, EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.conversation import current_customer, intent_name
from services.store.db import session_scope
from services.store.exchanges import ExchangeOption, exchange_options, match_option, options_text
from services.store.identity import parse_order_number
from services.store.order_flows import ORDER_FLOWS
from services.store.orders import Outcome

EXCHANGE = ORDER_FLOWS["exchange_order"]


def order_options(tracker: Tracker) -> list[ExchangeOption]:
    """The exchange options of the order in focus (none for an unverified shopper or a missing order)."""
    customer = current_customer(tracker)
    number = parse_order_number(tracker.get_slot("order_number"))
    if customer is None or number is None:
        return []
    with session_scope() as session:
        return exchange_options(session, customer, number)


class ActionAskExchangeOption(Action):
    """The form's question: which size or colour, listing the ones in stock."""

    def name(self) -> str:
        return "action_ask_exchange_option"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_ask_exchange_option", n=tracker.get_slot("order_number"),
                                 options=options_text(order_options(tracker)))
        return []


class ValidateExchangeForm(FormValidationAction):
    def name(self) -> str:
        return "validate_exchange_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Step aside for a person: a request for one, or a due escalation, rejects the form."""
        if tracker.get_slot("escalate") or intent_name(tracker) == "request_human":
            return [ActionExecutionRejected(self.form_name())]
        return await super().run(dispatcher, tracker, domain)

    def validate_exchange_option(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept one in-stock option of the order's items (its SKU), then ask the flow's yes/no question."""
        outcome, option = match_option(order_options(tracker), str(value or ""))
        if outcome is Outcome.NO_SUCH_OPTION or option is None:
            dispatcher.utter_message(response="utter_exchange_option_unknown")
            return {"exchange_option": None}
        if outcome is Outcome.OUT_OF_STOCK:
            dispatcher.utter_message(response="utter_exchange_option_out_of_stock", option=option.label)
            return {"exchange_option": None}
        dispatcher.utter_message(response=EXCHANGE.confirm, n=tracker.get_slot("order_number"), items=option.product_name,
                                 option=option.label)
        return {"exchange_option": option.sku}
