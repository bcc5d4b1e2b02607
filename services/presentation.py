"""How values are written for shoppers, shared by actions, channels and the desk."""

from __future__ import annotations

from decimal import Decimal


def money(value: Decimal | float) -> str:
    """Format an amount for shoppers: ``$1,234.50``."""
    return f"${Decimal(value):,.2f}"
