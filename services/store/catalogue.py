"""Product look-ups for product questions and recommendation context."""

from __future__ import annotations

import difflib

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.store.models import Product


def find_product(session: Session, mention: str, cutoff: float = 0.6) -> Product | None:
    """The product best matching a shopper's mention ("the pulse headphones"), or None.

    Exact (case-insensitive) name first, then every word of the mention in the name,
    then the closest name by difflib ratio above ``cutoff``.
    """
    text = " ".join(mention.lower().split())
    if not text or len(text) > 160:
        return None
    products = session.execute(select(Product)).scalars().all()
    by_name = {p.name.lower(): p for p in products}
    if text in by_name:
        return by_name[text]
    words = [w for w in text.replace("the ", " ").split() if len(w) > 2]
    containing = [p for p in products if words and all(w in p.name.lower() for w in words)]
    if containing:
        return min(containing, key=lambda p: (len(p.name), p.id))
    close = difflib.get_close_matches(text, list(by_name), n=1, cutoff=cutoff)
    return by_name[close[0]] if close else None


def categories(session: Session) -> list[str]:
    return sorted(session.execute(select(Product.category).distinct()).scalars())


def find_category(session: Session, mention: str) -> str | None:
    text = mention.lower().strip()
    for category in categories(session):
        if text == category or text.rstrip("s") == category.rstrip("s"):
            return category
    return None
