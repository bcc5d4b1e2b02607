"""What a verified shopper may see of one of their orders (plain values, no database session)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

RETURN_WINDOW_DAYS = 30  # returns and exchanges, counted from the delivery day (inclusive)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved ``months`` calendar months on, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class OrderLine:
    """One item of an order, with what the exchange and warranty rules need to know about it."""

    item_id: int
    product_id: int
    name: str
    quantity: int
    category: str
    warranty_months: int | None  # None: the category has no warranty
    has_variants: bool = False  # the product comes in other sizes or colours (exchangeable)


@dataclass(frozen=True)
class OrderView:
    """What a verified shopper may see of one of their orders."""

    number: int
    status: str
    placed_at: dt.datetime
    items: tuple[tuple[str, int], ...]  # (product name, quantity)
    product_ids: tuple[int, ...]
    total: Decimal
    payment_status: str
    shipping_address: str
    carrier: str | None
    tracking_number: str | None
    shipment_status: str | None
    promised_date: dt.date | None
    shipped_at: dt.datetime | None
    delivered_at: dt.datetime | None
    has_return: bool
    lines: tuple[OrderLine, ...] = ()
    has_exchange: bool = False
    has_open_claim: bool = False

    def is_delayed(self, today: dt.date) -> bool:
        """Shipped, not delivered, and past the promised date."""
        return self.status == "shipped" and self.promised_date is not None and today > self.promised_date

    def return_deadline(self) -> dt.date | None:
        """Last day of the return (and exchange) window; None before delivery."""
        return (self.delivered_at.date() + dt.timedelta(days=RETURN_WINDOW_DAYS)) if self.delivered_at else None

    def is_returnable(self, today: dt.date) -> bool:
        deadline = self.return_deadline()
        return self.status == "delivered" and not self.has_return and deadline is not None and today <= deadline

    def warranty_deadline(self, line: OrderLine) -> dt.date | None:
        """Last day ``line`` is under warranty; None before delivery or without a warranty."""
        if self.delivered_at is None or line.warranty_months is None:
            return None
        return add_months(self.delivered_at.date(), line.warranty_months)

    def lines_under_warranty(self, today: dt.date) -> tuple[OrderLine, ...]:
        """The items still under warranty on ``today``."""
        return tuple(line for line in self.lines if (end := self.warranty_deadline(line)) is not None and today <= end)

    @property
    def item_summary(self) -> str:
        return ", ".join(f"{q} x {name}" if q > 1 else name for name, q in self.items)
