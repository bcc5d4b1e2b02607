"""Exchanges: another size or colour of the same product, scoped to the customer like every order query.

The shopper names the option in their own words ("a size 10", "the navy one in medium");
:func:`match_option` turns that into one variant of an item of the order, and
:func:`create_exchange` checks the order's exchange rule and the stock again before it
reserves the item and opens the exchange RMA.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.store.models import Exchange, ProductVariant, utcnow
from services.store.order_rules import Outcome, exchange_refusal
from services.store.orders import load_order, view_of

# Longest phrases first, so "extra large" is not read as "extra" + "large".
SIZE_WORDS = {"extra small": "xs", "extra-small": "xs", "x-small": "xs", "extra large": "xl", "extra-large": "xl",
              "x-large": "xl", "small": "s", "medium": "m", "large": "l"}
COLOUR_WORDS = {"gray": "grey", "silvery": "silver", "beige": "sand"}
_DESCRIBES_CURRENT = re.compile(r"\btoo (?:small|big|large|tight|loose|short|long)\b")  # the item they have, not the one they want
_SEPARATORS = re.compile(r"[\s,/;:!?()\"]+")


@dataclass(frozen=True)
class ExchangeOption:
    """One variant an item of the order could be exchanged for."""

    sku: str
    order_item_id: int
    product_name: str
    size: str | None
    colour: str | None
    stock: int

    @property
    def label(self) -> str:
        """``"size 10"``, ``"navy"`` or ``"size M in navy"``."""
        size = f"size {self.size}" if self.size else ""
        return f"{size} in {self.colour}" if size and self.colour else size or (self.colour or "")


def exchange_options(session: Session, customer_id: str, order_number: int) -> list[ExchangeOption]:
    """Every variant of the order's items (in stock or not); [] for an order that is missing or not theirs."""
    order = load_order(session, customer_id, order_number)
    if order is None:
        return []
    items = {item.product_id: item for item in order.items}
    variants = session.execute(
        select(ProductVariant).where(ProductVariant.product_id.in_(items)).order_by(ProductVariant.id)
    ).scalars()
    return [
        ExchangeOption(v.sku, items[v.product_id].id, items[v.product_id].product.name, v.size, v.colour, v.stock)
        for v in variants
    ]


def options_text(options: list[ExchangeOption]) -> str:
    """In-stock options per product, one line each: ``"Trail Running Shoes: size 9, size 10"``."""
    by_product: dict[str, list[str]] = {}
    for option in options:
        if option.stock > 0:
            by_product.setdefault(option.product_name, []).append(option.label)
    return "\n".join(f"{name}: {', '.join(labels)}" for name, labels in by_product.items()) or "no other option is in stock"


def _tokens(text: str) -> set[str]:
    lowered = _DESCRIBES_CURRENT.sub(" ", " ".join(str(text or "").lower().split()))
    for phrase, size in SIZE_WORDS.items():
        lowered = re.sub(rf"\b{phrase}\b", f" {size} ", lowered)
    # Whole words only: the "s" of "it's" or the "m" of "I'm" is not a size.
    words = (w.strip(".'-") for w in _SEPARATORS.split(lowered))
    return {COLOUR_WORDS.get(w, w) for w in words if w}


def match_option(options: list[ExchangeOption], text: str) -> tuple[Outcome, ExchangeOption | None]:
    """The one option ``text`` names: (DONE, option), (OUT_OF_STOCK, option) or (NO_SUCH_OPTION, None).

    Every attribute the option has must be named ("medium" alone does not pick a colour); when
    items of several products match, the product's own words ("shoes", "jacket") decide.
    """
    words = _tokens(text)
    matches = [o for o in options if (o.size is None or o.size.lower() in words) and (o.colour is None or o.colour in words)]
    if len({o.product_name for o in matches}) > 1:
        named = [o for o in matches if words & {w for w in _tokens(o.product_name) if len(w) > 3}]
        matches = named if len({o.product_name for o in named}) == 1 else []
    if len(matches) != 1:
        return Outcome.NO_SUCH_OPTION, None
    (option,) = matches
    return (Outcome.DONE if option.stock > 0 else Outcome.OUT_OF_STOCK), option


def create_exchange(
    session: Session, customer_id: str, order_number: int, sku: str, today: dt.date
) -> tuple[Outcome, str | None]:
    """Reserve the chosen variant and open an exchange RMA for that item; returns (outcome, exchange code)."""
    order = load_order(session, customer_id, order_number)
    if order is None:
        return Outcome.NOT_FOUND, None
    refusal = exchange_refusal(view_of(session, order), today)
    if refusal:
        return refusal, None
    items = {item.product_id: item for item in order.items}
    variant = session.execute(select(ProductVariant).where(ProductVariant.sku == sku)).scalar_one_or_none()
    if variant is None or variant.product_id not in items:
        return Outcome.NO_SUCH_OPTION, None
    item = items[variant.product_id]
    # Decrement only if enough is left, in one statement: two shoppers cannot both take the last one.
    reserved = session.execute(
        update(ProductVariant)
        .where(ProductVariant.id == variant.id, ProductVariant.stock >= item.quantity)
        .values(stock=ProductVariant.stock - item.quantity)
        .execution_options(synchronize_session=False)
    )
    if reserved.rowcount != 1:
        return Outcome.OUT_OF_STOCK, None
    # One exchange per order (checked above), so the order number makes the code unique.
    exchange = Exchange(code=f"EXC-{order.id}", order_id=order.id, order_item_id=item.id, variant_id=variant.id,
                        status="requested", created_at=utcnow())
    session.add(exchange)
    session.flush()
    return Outcome.DONE, exchange.code
