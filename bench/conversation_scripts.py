"""Realistic shopper conversations for load tests: who the shopper is and what they type, turn by turn.

Three kinds, mixed at random (seeded per conversation):
- a *signed-in* shopper (the store's backend signs ``customer_id``, ``docs/identity.md``) asks about
  their orders, then policy and product questions;
- an *anonymous* shopper checks an order and verifies with its number and the right email;
- a *browser* asks policy and product questions and for recommendations.

Nothing here changes an order or opens a ticket (no cancellations, no anger, no requests for a
person), so thousands of conversations can run on one seeded store. No locust import: the pytest
short version uses the same conversations.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sqlalchemy import func, select

from services.store.db import session_scope
from services.store.identity import sign_customer_id
from services.store.models import Customer, Order, Product


@dataclass(frozen=True)
class Shopper:
    customer_id: str
    email: str
    orders: tuple[int, ...]


@dataclass(frozen=True)
class Pools:
    """Real customers (with orders) and product names from the store database."""

    shoppers: tuple[Shopper, ...]
    products: tuple[str, ...]


@dataclass(frozen=True)
class Turn:
    text: str
    metadata: dict | None = None


@dataclass(frozen=True)
class Conversation:
    sender: str
    kind: str
    turns: tuple[Turn, ...] = field(default_factory=tuple)

    def body(self, index: int) -> dict:
        """The REST channel's JSON body of turn ``index``."""
        turn = self.turns[index]
        body: dict = {"sender": self.sender, "message": turn.text}
        if turn.metadata:
            body["metadata"] = turn.metadata
        return body


def load_pools(database_url: str, n_shoppers: int = 300, n_products: int = 60) -> Pools:
    """Shoppers with at least one order and in-stock products, read from the store at ``database_url``."""
    with session_scope(database_url) as session:
        rows = session.execute(
            select(Customer.id, Customer.email, func.min(Order.id))
            .join(Order, Order.customer_id == Customer.id)
            .where(Order.status.in_(("placed", "shipped", "delivered")))
            .group_by(Customer.id, Customer.email).order_by(Customer.id).limit(n_shoppers)
        ).all()
        products = session.execute(select(Product.name).where(Product.stock > 0).order_by(Product.id).limit(n_products)).scalars().all()
    if not rows or not products:
        raise RuntimeError(f"no shoppers or products in {database_url}: seed it first (make seed)")
    return Pools(tuple(Shopper(c, e, (o,)) for c, e, o in rows), tuple(products))


GREETINGS = ("hi there", "hello", "hey, good morning", "hi, I have a couple of questions", "hello! quick question")
ORDER_QUESTIONS = ("where is my order {order}?", "can you check the status of order {order} please",
                   "has order {order} shipped yet?", "any news on my order {order}?", "what's happening with order #{order}")
MY_ORDERS = ("what's the status of my orders", "can you show me my recent orders?", "where are my orders at?")
POLICY_QUESTIONS = ("what's your return policy?", "how long does shipping usually take?", "do you ship internationally?",
                    "which payment methods do you accept?", "how much is shipping?", "do you sell gift cards?",
                    "can I exchange an item for a different size?", "what warranty do your products have?",
                    "do you price match?", "what are your customer service hours?")
PRODUCT_QUESTIONS = ("is the {product} in stock?", "do you have the {product} available?", "tell me about the {product}",
                     "how much is the {product}?")
THANKS = ("thanks, that's helpful", "great, thank you!", "perfect, thanks a lot", "ok thank you")
RECOMMEND = ("can you recommend something for me?", "any product suggestions?", "what would you recommend?")
CLOSINGS = ("that's all, bye", "goodbye", "bye for now")


def signed(shopper: Shopper, identity_secret: str) -> dict:
    return {"customer_id": shopper.customer_id, "customer_token": sign_customer_id(identity_secret, shopper.customer_id)}


def _texts(kind: str, rng: random.Random, shopper: Shopper, pools: Pools) -> list[str]:
    order = str(shopper.orders[0])

    def pick(options: tuple[str, ...]) -> str:
        return rng.choice(options).format(order=order, product=rng.choice(pools.products))

    policies = rng.sample(POLICY_QUESTIONS, 4)
    if kind == "signed_in":
        texts = [pick(GREETINGS), pick(ORDER_QUESTIONS), pick(MY_ORDERS), policies[0], pick(PRODUCT_QUESTIONS),
                 policies[1], pick(THANKS), policies[2], pick(PRODUCT_QUESTIONS), pick(CLOSINGS)]
    elif kind == "verifying":
        texts = [pick(GREETINGS), pick(ORDER_QUESTIONS), shopper.email, policies[0], pick(PRODUCT_QUESTIONS),
                 policies[1], pick(THANKS), policies[2], policies[3], pick(CLOSINGS)]
    else:
        texts = [pick(GREETINGS), policies[0], pick(PRODUCT_QUESTIONS), policies[1], pick(RECOMMEND),
                 pick(PRODUCT_QUESTIONS), policies[2], pick(THANKS), policies[3], pick(CLOSINGS)]
    return texts


KINDS = ("signed_in", "verifying", "browsing")


def build_conversation(sender: str, pools: Pools, identity_secret: str, turns: int = 10, seed: int | None = None) -> Conversation:
    """One conversation of ``turns`` messages (at most 10; fewer keeps the first ones)."""
    rng = random.Random(seed if seed is not None else sender)
    kind = rng.choice(KINDS)
    shopper = rng.choice(pools.shoppers)
    metadata = signed(shopper, identity_secret) if kind == "signed_in" else None
    texts = _texts(kind, rng, shopper, pools)[: max(1, min(turns, 10))]
    return Conversation(sender, kind, tuple(Turn(t, metadata) for t in texts))
