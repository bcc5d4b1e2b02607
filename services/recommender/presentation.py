"""Turn recommendations into a chat message and a web-chat card payload."""

from __future__ import annotations

from collections.abc import Sequence

from services.presentation import money
from services.recommender.service import Recommendation


def format_recommendations(recs: Sequence[Recommendation]) -> tuple[str, dict]:
    """Plain-text lines and a ``{"type": "product_cards", "products": [...]}`` payload.

    Text: ``"1. Name — $12.99 (because you bought ...)"``, one line per product, best first.
    Each card: ``{"id", "name", "price", "category", "reason"}``, price formatted like ``"$1,234.50"``.
    An empty list gives ``""`` and no cards.
    """
    lines = [f"{rank}. {rec.name} — {money(rec.price)} ({rec.reason})" for rank, rec in enumerate(recs, start=1)]
    cards = [
        {"id": rec.product_id, "name": rec.name, "price": money(rec.price), "category": rec.category, "reason": rec.reason}
        for rec in recs
    ]
    return "\n".join(lines), {"type": "product_cards", "products": cards}
