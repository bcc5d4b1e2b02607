"""Product questions answered from the database: stock, sizes and colours, price, comparisons, an order's contents.

Plain values out (no wording): ``actions/dialogue/product_replies.py`` writes the replies.
``order_contents`` is scoped to the customer like every order query: someone else's order
reads exactly like a missing one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from services.store.catalogue import find_product
from services.store.exchanges import COLOUR_WORDS, SIZE_WORDS
from services.store.models import Order, OrderItem, Product, ProductVariant

_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Variant:
    size: str | None
    colour: str | None
    stock: int

    @property
    def label(self) -> str:
        """``"size 10"``, ``"navy"`` or ``"size M in navy"``."""
        size = f"size {self.size}" if self.size else ""
        return f"{size} in {self.colour}" if size and self.colour else size or (self.colour or "")


@dataclass(frozen=True)
class ProductFacts:
    """What a shopper may ask about one product."""

    name: str
    category: str
    brand: str
    price: Decimal
    tags: tuple[str, ...]
    description: str
    product_stock: int
    variants: tuple[Variant, ...]  # empty: the product comes in one version

    @property
    def in_stock(self) -> bool:
        """Any version can be bought now (a product with sizes or colours is in stock when one of them is)."""
        return any(v.stock > 0 for v in self.variants) if self.variants else self.product_stock > 0

    @property
    def sizes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v.size for v in self.variants if v.size))

    @property
    def colours(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v.colour for v in self.variants if v.colour))

    def in_stock_variants(self) -> tuple[Variant, ...]:
        return tuple(v for v in self.variants if v.stock > 0)

    def matching_variants(self, text: str) -> tuple[Variant, ...]:
        """The variants a question names ("in XL", "the navy one", "size 10 in black"); () when it names none.

        Every size or colour the question names must match; a question naming only a colour
        matches that colour in every size.
        """
        words = _option_words(text)
        sizes = {s for s in self.sizes if s.lower() in words}
        colours = {c for c in self.colours if c in words}
        if not sizes and not colours:
            return ()
        return tuple(v for v in self.variants if (not sizes or v.size in sizes) and (not colours or v.colour in colours))


def _option_words(text: str) -> set[str]:
    lowered = " ".join(str(text or "").lower().split())
    for phrase, size in SIZE_WORDS.items():
        lowered = re.sub(rf"\b{re.escape(phrase)}\b", f" {size} ", lowered)
    return {COLOUR_WORDS.get(w, w) for w in _WORD.findall(lowered)}


def _facts(session: Session, product: Product) -> ProductFacts:
    variants = session.execute(
        select(ProductVariant).where(ProductVariant.product_id == product.id).order_by(ProductVariant.id)
    ).scalars()
    return ProductFacts(
        name=product.name, category=product.category, brand=product.brand, price=Decimal(product.price),
        tags=tuple(product.tag_list), description=product.description, product_stock=int(product.stock),
        variants=tuple(Variant(v.size, v.colour, int(v.stock)) for v in variants),
    )


def product_facts(session: Session, mention: str) -> ProductFacts | None:
    """Facts of the product a shopper names ("the pulse headphones"), or None when none matches."""
    product = find_product(session, mention)
    return _facts(session, product) if product else None


@dataclass(frozen=True)
class Comparison:
    first: ProductFacts
    second: ProductFacts

    @property
    def price_difference(self) -> Decimal:
        """How much more the first costs than the second (negative: it is cheaper)."""
        return self.first.price - self.second.price

    @property
    def shared_tags(self) -> tuple[str, ...]:
        return tuple(t for t in self.first.tags if t in self.second.tags)

    def only_in(self, which: ProductFacts) -> tuple[str, ...]:
        other = self.second if which is self.first else self.first
        return tuple(t for t in which.tags if t not in other.tags)


def compare_products(session: Session, first: str, second: str) -> Comparison | None:
    """The two named products side by side; None when either is unknown or both name the same product."""
    a, b = product_facts(session, first), product_facts(session, second)
    if a is None or b is None or a.name == b.name:
        return None
    return Comparison(a, b)


COMPARISON_SPLIT = re.compile(r"\s+(?:vs\.?|versus|or|and|compared to|compared with|against)\s+", re.IGNORECASE)
_COMPARISON_LEAD = re.compile(r"^.*?\b(?:between|compare|comparing|difference of)\s+(?:the\s+)?", re.IGNORECASE)


def comparison_mentions(text: str) -> tuple[str, str] | None:
    """The two product mentions of "compare X and Y" / "X vs Y" / "difference between X and Y", when there are two."""
    body = _COMPARISON_LEAD.sub("", " ".join(str(text or "").split())).strip(" ?!.")
    parts = [p.strip(" ?!.,") for p in COMPARISON_SPLIT.split(body, maxsplit=1)]
    if len(parts) != 2 or not all(parts):
        return None
    return parts[0], re.sub(r"^(?:the|a)\s+", "", parts[1], flags=re.IGNORECASE)


@dataclass(frozen=True)
class OrderLineFacts:
    name: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class OrderContents:
    number: int
    status: str
    lines: tuple[OrderLineFacts, ...]
    total: Decimal


def order_contents(session: Session, customer_id: str, order_number: int) -> OrderContents | None:
    """What is in one of the customer's orders; None when it is missing or someone else's."""
    order = session.execute(
        select(Order)
        .where(Order.id == order_number, Order.customer_id == customer_id)
        .options(selectinload(Order.items).selectinload(OrderItem.product))
    ).scalar_one_or_none()
    if order is None:
        return None
    lines = tuple(OrderLineFacts(i.product.name, int(i.quantity), Decimal(i.unit_price)) for i in order.items)
    return OrderContents(order.id, order.status, lines, Decimal(order.total))


def latest_order_number(session: Session, customer_id: str) -> int | None:
    """The customer's newest order number, or None when they have none."""
    return session.execute(
        select(Order.id).where(Order.customer_id == customer_id).order_by(Order.placed_at.desc()).limit(1)
    ).scalar_one_or_none()
