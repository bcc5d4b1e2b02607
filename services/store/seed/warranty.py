"""Warranty period per product category: electronics 2 years, everything else 1 year (the warranty answer)."""

from __future__ import annotations

from services.store.seed.catalogue import CATEGORIES

ELECTRONICS = frozenset({"headphones", "smartphones", "laptop accessories"})
ELECTRONICS_MONTHS = 24
OTHER_MONTHS = 12

WARRANTY_MONTHS: dict[str, int] = {
    c.name: ELECTRONICS_MONTHS if c.name in ELECTRONICS else OTHER_MONTHS for c in CATEGORIES
}


def warranty_rows() -> list[dict]:
    """Rows of the ``warranty_periods`` table."""
    return [{"category": category, "months": months} for category, months in sorted(WARRANTY_MONTHS.items())]
