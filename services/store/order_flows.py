"""Every order flow as one row: its intent, refusal rule, replies and store operation.

``actions/order_requests.py`` only dispatches through this table. A new flow is one row here
plus its intent, responses and NLU examples (domain.yml, data/nlu/) and its rules (data/).

The replies are response names in domain.yml, each with one variant per tone. Their
placeholders are filled from these keyword arguments: ``{orders}`` (the "which order?" list),
``{n}``, ``{items}`` and ``{total}`` (the order), ``{code}`` (the RMA or claim code),
``{address}`` and ``{option}`` (the new address, the chosen size or colour).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from services.store.claims import create_claim
from services.store.exchanges import create_exchange
from services.store.order_rules import (
    Outcome,
    delivery_problem_refusal,
    exchange_refusal,
    return_refusal,
    unshipped_refusal,
    warranty_refusal,
)
from services.store.order_view import OrderView
from services.store.orders import cancel_order, change_address, create_return

Refusal = Callable[[OrderView, dt.date], Outcome | None]


@dataclass(frozen=True)
class ChangeRequest:
    """A confirmed change: whose order, which one, and the details the shopper gave."""

    customer_id: str
    order_number: int
    today: dt.date
    new_address: str = ""
    option_sku: str = ""  # exchanges: the chosen variant
    description: str = ""  # returns and claims: the shopper's own words


Operation = Callable[[Session, ChangeRequest], tuple[Outcome, str | None]]


@dataclass(frozen=True)
class OrderFlow:
    """One order flow (one row of ``ORDER_FLOWS``)."""

    intent: str = field(metadata={"help": "NLU intent, also the value of the `request` slot."})
    pending: str = field(metadata={"help": "Value of the `pending_change` slot while the yes/no is awaited."})
    refusal: Refusal = field(metadata={"help": "Why the flow is refused for (order, today), or None."})
    ask_which: str = field(metadata={"help": "Response: which of these orders ({orders})?"})
    none_eligible: str = field(metadata={"help": "Response: none of the recent orders qualifies."})
    confirm: str = field(metadata={"help": "Response: the yes/no question ({n}, {items}, {total}; {address}, {option})."})
    operation: Operation | None = field(metadata={"help": "Store operation after the yes; None hands over to a person."})
    done: str | None = field(default=None, metadata={"help": "Response after the operation succeeded ({n}, {code}, ...)."})
    form: str | None = field(default=None, metadata={"help": "Form collecting details first; its validation asks `confirm`."})
    prefer: Refusal | None = field(
        default=None, metadata={"help": "Among several eligible orders, take the first one this picks (truthy)."})
    status_first: bool = field(default=False, metadata={"help": "Show the order's status before the question, and instead of a refusal."})


def _cancel(session: Session, r: ChangeRequest) -> tuple[Outcome, str | None]:
    return cancel_order(session, r.customer_id, r.order_number, r.today), None


def _return(session: Session, r: ChangeRequest) -> tuple[Outcome, str | None]:
    return create_return(session, r.customer_id, r.order_number, r.today, reason=r.description or "requested in chat")


def _address(session: Session, r: ChangeRequest) -> tuple[Outcome, str | None]:
    return change_address(session, r.customer_id, r.order_number, r.new_address, r.today), None


def _exchange(session: Session, r: ChangeRequest) -> tuple[Outcome, str | None]:
    return create_exchange(session, r.customer_id, r.order_number, r.option_sku, r.today)


def _claim(session: Session, r: ChangeRequest) -> tuple[Outcome, str | None]:
    return create_claim(session, r.customer_id, r.order_number, r.today, description=r.description or "requested in chat")


def _is_delayed(order: OrderView, today: dt.date) -> bool:
    return order.is_delayed(today)


ORDER_FLOWS: dict[str, OrderFlow] = {
    flow.intent: flow
    for flow in (
        OrderFlow("cancel_order", "cancel", unshipped_refusal, "utter_which_order_cancel", "utter_no_order_to_cancel",
                  "utter_confirm_cancel", _cancel, done="utter_cancel_done"),
        OrderFlow("return_order", "return", return_refusal, "utter_which_order_return", "utter_no_order_to_return",
                  "utter_confirm_return", _return, done="utter_return_done"),
        OrderFlow("change_address", "address", unshipped_refusal, "utter_which_order_address", "utter_no_order_for_address",
                  "utter_confirm_address", _address, done="utter_address_done", form="address_form"),
        OrderFlow("delivery_problem", "ticket", delivery_problem_refusal, "utter_which_order_delivery",
                  "utter_no_order_for_delivery", "utter_offer_delivery_ticket", None, prefer=_is_delayed, status_first=True),
        OrderFlow("exchange_order", "exchange", exchange_refusal, "utter_which_order_exchange", "utter_no_order_to_exchange",
                  "utter_confirm_exchange", _exchange, done="utter_exchange_done", form="exchange_form"),
        OrderFlow("warranty_claim", "claim", warranty_refusal, "utter_which_order_claim", "utter_no_order_to_claim",
                  "utter_confirm_claim", _claim, done="utter_claim_done"),
    )
}


def flow_for_pending(pending: str | None) -> OrderFlow | None:
    """The flow whose confirmation is awaited (``pending_change``), if any."""
    return next((flow for flow in ORDER_FLOWS.values() if flow.pending == pending), None)
