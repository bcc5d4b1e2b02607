"""Text and web-chat payload of recommendations."""

from __future__ import annotations

from services.recommender.presentation import format_recommendations
from services.recommender.service import Recommendation

RECS = [
    Recommendation(7, "Roastwell Nova Espresso Machine", 1234.5, "coffee", 2.5, "because you bought Crema & Co Drift Burr Grinder"),
    Recommendation(12, "Vertex Orbit Phone Case", 12.99, "smartphones", 1.25, "popular right now"),
]


def test_text_lines() -> None:
    text, _ = format_recommendations(RECS)
    assert text.splitlines() == [
        "1. Roastwell Nova Espresso Machine — $1,234.50 (because you bought Crema & Co Drift Burr Grinder)",
        "2. Vertex Orbit Phone Case — $12.99 (popular right now)",
    ]


def test_card_payload() -> None:
    _, payload = format_recommendations(RECS)
    assert payload == {
        "type": "product_cards",
        "products": [
            {"id": 7, "name": "Roastwell Nova Espresso Machine", "price": "$1,234.50", "category": "coffee",
             "reason": "because you bought Crema & Co Drift Burr Grinder"},
            {"id": 12, "name": "Vertex Orbit Phone Case", "price": "$12.99", "category": "smartphones",
             "reason": "popular right now"},
        ],
    }


def test_no_recommendations() -> None:
    assert format_recommendations([]) == ("", {"type": "product_cards", "products": []})
