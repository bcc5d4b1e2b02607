"""SQLAlchemy ORM schema of the store database.

The schema itself is created and upgraded by the Alembic migrations in
``services/store/migrations``; ``tests/store/test_migrations.py`` checks that these
models and the migrations agree.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


def utcnow() -> dt.datetime:
    """Naive UTC timestamp (SQLite has no time zones; all stored times are UTC)."""
    return dt.datetime.utcnow().replace(microsecond=0)


class Customer(Base):
    __tablename__ = "customers"

    id = Column(String(16), primary_key=True)  # e.g. "C-1001"
    name = Column(String(120), nullable=False)
    email = Column(String(254), nullable=False, unique=True)
    segment = Column(String(32), nullable=True)  # generative segment of seeded customers
    created_at = Column(DateTime, nullable=False, default=utcnow)

    orders = relationship("Order", back_populates="customer")


class Product(Base):
    __tablename__ = "products"

    id = Column(Integer, primary_key=True)
    sku = Column(String(32), nullable=False, unique=True)
    name = Column(String(160), nullable=False, unique=True)
    category = Column(String(64), nullable=False, index=True)
    brand = Column(String(64), nullable=False)
    price = Column(Numeric(10, 2), nullable=False)
    stock = Column(Integer, nullable=False, default=0)
    tags = Column(String(400), nullable=False, default="")  # comma-separated
    description = Column(Text, nullable=False, default="")

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(",") if t]


class ProductVariant(Base):
    """A size and/or colour of a product, with its own stock (what an exchange hands out)."""

    __tablename__ = "product_variants"

    id = Column(Integer, primary_key=True)
    product_id = Column(Integer, ForeignKey("products.id"), nullable=False, index=True)
    sku = Column(String(40), nullable=False, unique=True)
    size = Column(String(8), nullable=True)
    colour = Column(String(24), nullable=True)
    stock = Column(Integer, nullable=False, default=0)

    product = relationship("Product")


class WarrantyPeriod(Base):
    """How long the products of one category are under warranty after delivery."""

    __tablename__ = "warranty_periods"

    category = Column(String(64), primary_key=True)
    months = Column(Integer, nullable=False)


class Order(Base):
    __tablename__ = "orders"

    id = Column(Integer, primary_key=True, autoincrement=False)  # the 6-digit order number
    customer_id = Column(String(16), ForeignKey("customers.id"), nullable=False, index=True)
    status = Column(String(16), nullable=False)  # placed | shipped | delivered | cancelled | returned
    placed_at = Column(DateTime, nullable=False)
    shipping_address = Column(String(400), nullable=False)
    total = Column(Numeric(10, 2), nullable=False)
    payment_status = Column(String(16), nullable=False, default="paid")  # paid | refunded
    cancelled_at = Column(DateTime, nullable=True)
    refunded_at = Column(DateTime, nullable=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    customer = relationship("Customer", back_populates="orders")
    items = relationship("OrderItem", back_populates="order", order_by="OrderItem.id")
    shipment = relationship("Shipment", back_populates="order", uselist=False)
    returns = relationship("ReturnRequest", back_populates="order", order_by="ReturnRequest.id")
    exchanges = relationship("Exchange", back_populates="order", order_by="Exchange.id")
    claims = relationship("WarrantyClaim", back_populates="order", order_by="WarrantyClaim.id")


class OrderItem(Base):
    __tablename__ = "order_items"

    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False, index=True)
    product_id = Column(Integer, ForeignKey("products.id"), nullable=False, index=True)
    quantity = Column(Integer, nullable=False, default=1)
    unit_price = Column(Numeric(10, 2), nullable=False)

    order = relationship("Order", back_populates="items")
    product = relationship("Product")


class Shipment(Base):
    __tablename__ = "shipments"

    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False, unique=True)
    carrier = Column(String(32), nullable=False)
    tracking_number = Column(String(40), nullable=False)
    status = Column(String(24), nullable=False)  # label_created | in_transit | delivered | returned_to_sender
    shipped_at = Column(DateTime, nullable=True)
    promised_date = Column(Date, nullable=False)
    delivered_at = Column(DateTime, nullable=True)

    order = relationship("Order", back_populates="shipment")


class ReturnRequest(Base):
    """A return merchandise authorisation (RMA) and its refund."""

    __tablename__ = "returns"

    id = Column(Integer, primary_key=True)
    rma_code = Column(String(24), nullable=False, unique=True)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False, index=True)
    reason = Column(String(400), nullable=False, default="")
    status = Column(String(16), nullable=False)  # requested | received | refunded
    refund_amount = Column(Numeric(10, 2), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    refunded_at = Column(DateTime, nullable=True)

    order = relationship("Order", back_populates="returns")


class Exchange(Base):
    """An exchange RMA: one item of an order swapped for another size or colour of the same product."""

    __tablename__ = "exchanges"

    id = Column(Integer, primary_key=True)
    code = Column(String(24), nullable=False, unique=True)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False, index=True)
    order_item_id = Column(Integer, ForeignKey("order_items.id"), nullable=False)
    variant_id = Column(Integer, ForeignKey("product_variants.id"), nullable=False)
    status = Column(String(16), nullable=False)  # requested | received | shipped
    created_at = Column(DateTime, nullable=False, default=utcnow)

    order = relationship("Order", back_populates="exchanges")
    item = relationship("OrderItem")
    variant = relationship("ProductVariant")


class WarrantyClaim(Base):
    """A repair or warranty claim on a delivered order."""

    __tablename__ = "warranty_claims"

    id = Column(Integer, primary_key=True)
    code = Column(String(24), nullable=False, unique=True)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False, index=True)
    description = Column(String(400), nullable=False, default="")
    status = Column(String(16), nullable=False)  # open | in_repair | resolved
    created_at = Column(DateTime, nullable=False, default=utcnow)

    order = relationship("Order", back_populates="claims")


class Ticket(Base):
    """A human-handoff ticket."""

    __tablename__ = "tickets"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False, index=True)
    customer_id = Column(String(16), ForeignKey("customers.id"), nullable=True)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=True)
    reason = Column(String(64), nullable=False)
    emotion_history = Column(JSON, nullable=False, default=list)  # [{"label", "confidence"}...], oldest first
    transcript = Column(JSON, nullable=False, default=list)  # [{"role": "user"|"bot", "text"}...]
    status = Column(String(16), nullable=False, default="open")  # open | in_progress | resolved
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class Interaction(Base):
    """A shopper-product event: the recommender's input."""

    __tablename__ = "interactions"

    id = Column(Integer, primary_key=True)
    customer_id = Column(String(16), ForeignKey("customers.id"), nullable=False, index=True)
    product_id = Column(Integer, ForeignKey("products.id"), nullable=False, index=True)
    kind = Column(String(16), nullable=False)  # view | purchase | rating
    rating = Column(Integer, nullable=True)  # 1-5 for kind == "rating"
    occurred_at = Column(DateTime, nullable=False, index=True)


class CsatRating(Base):
    __tablename__ = "csat_ratings"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False, index=True)
    customer_id = Column(String(16), ForeignKey("customers.id"), nullable=True)
    rating = Column(Integer, nullable=False)
    emotion_history = Column(JSON, nullable=False, default=list)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class VerificationFailure(Base):
    """Failed order-number + email checks, kept per conversation so a restart does not reset them."""

    __tablename__ = "verification_failures"
    __table_args__ = (UniqueConstraint("sender_id", name="uq_verification_failures_sender"),)

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False)
    failures = Column(Integer, nullable=False, default=0)
    last_failure_at = Column(DateTime, nullable=False, default=utcnow)


class VerificationTarget(Base):
    """Failed checks against one order number or one customer, across every conversation.

    Opening a new conversation resets the per-conversation count, not this one: guessing at an
    order (or at a customer's email) from many conversations meets a growing back-off.
    """

    __tablename__ = "verification_targets"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_verification_targets_kind_key"),)

    id = Column(Integer, primary_key=True)
    kind = Column(String(16), nullable=False)  # "order" or "customer"
    key = Column(String(64), nullable=False)  # order number, or customer id
    failures = Column(Integer, nullable=False, default=0)
    last_failure_at = Column(DateTime, nullable=False, default=utcnow)
    locked_until = Column(DateTime, nullable=True)


class LinkedAccount(Base):
    """A chat-platform user (Slack user id, Telegram chat id) the store has linked to a customer."""

    __tablename__ = "linked_accounts"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_linked_accounts_channel_external"),)

    id = Column(Integer, primary_key=True)
    channel = Column(String(32), nullable=False)  # "slack", "telegram"
    external_id = Column(String(128), nullable=False)
    customer_id = Column(String(16), ForeignKey("customers.id"), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
