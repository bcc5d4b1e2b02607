"""Shopper-facing wording for product facts, comparisons and order contents, in the shopper's tone (no Rasa here)."""

from __future__ import annotations

import re

from actions.dialogue.tone import compose
from services.presentation import money
from services.store.product_questions import Comparison, OrderContents, ProductFacts

RESTOCK_HINT = "Restocks usually take 1-2 weeks."
WHICH_PRODUCT = 'Which product do you mean? Tell me its name (for example "Auralis Pulse Wireless Headphones").'
WHICH_TWO = 'Which two products should I compare? Name both, for example "Nimbus Nova Smartphone vs Vertex Nova Smartphone".'
ASPECTS: dict[str, re.Pattern[str]] = {
    "options": re.compile(r"\b(sizes?|colou?rs?|come in|comes in|fit|fits)\b", re.IGNORECASE),
    "stock": re.compile(r"\b(in stock|stock|available|availability|sold out|back in|restock\w*|any left)\b", re.IGNORECASE),
    "price": re.compile(r"\b(price|prices|cost|costs|how much|cheap|cheaper|expensive)\b|\$", re.IGNORECASE),
}


def asked_aspects(text: str) -> set[str]:
    """Which of stock, options (sizes and colours) and price a question asks about; all three when none is named."""
    asked = {name for name, pattern in ASPECTS.items() if pattern.search(text or "")}
    return asked or set(ASPECTS)


def _join(items: tuple[str, ...] | list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def options_fact(facts: ProductFacts) -> str:
    """``"It comes in sizes XS, S and M, in navy and olive."`` or that it comes in one version."""
    parts = []
    if facts.sizes:
        parts.append(f"sizes {_join(facts.sizes)}")
    if facts.colours:
        parts.append(f"{_join(facts.colours)}")
    return f"It comes in {', in '.join(parts)}." if parts else "It comes in one version only (no sizes or colours to choose)."


def stock_fact(facts: ProductFacts) -> str:
    if not facts.in_stock:
        return f"It's out of stock right now. {RESTOCK_HINT}"
    if not facts.variants:
        return "It's in stock."
    available = facts.in_stock_variants()
    if len(available) == len(facts.variants):
        return "Every size and colour is in stock."
    return f"In stock now: {_join([v.label for v in available])}."


def product_reply(facts: ProductFacts, question: str, tone: str) -> str:
    """The answer to a product question about ``facts``: the aspects asked, or the named size or colour."""
    named = facts.matching_variants(question)
    if named:
        available = [v.label for v in named if v.stock > 0]
        sold_out = [v.label for v in named if v.stock <= 0]
        if available:
            head = f"Yes, the {facts.name} is in stock in {_join(available)} ({money(facts.price)})."
            lines = [f"Sold out: {_join(sold_out)}."] if sold_out else []
        else:
            head = f"Sorry, the {facts.name} in {_join(sold_out)} is sold out right now."
            lines = [stock_fact(facts)] if facts.in_stock else [RESTOCK_HINT]
        return compose(tone, head, lines)
    aspects = asked_aspects(question)
    head = f"The {facts.name} costs {money(facts.price)}." if "price" in aspects else f"About the {facts.name}:"
    lines = []
    if "stock" in aspects:
        lines.append(stock_fact(facts))
    if "options" in aspects:
        lines.append(options_fact(facts))
    if aspects == set(ASPECTS):
        lines.append(facts.description)
    return compose(tone, head, lines)


def comparison_reply(comparison: Comparison, tone: str) -> str:
    a, b = comparison.first, comparison.second
    diff = comparison.price_difference
    if diff == 0:
        price = f"Both cost {money(a.price)}."
    else:
        cheaper, dearer = (b, a) if diff > 0 else (a, b)
        price = f"The {cheaper.name} is {money(abs(diff))} cheaper ({money(cheaper.price)} against {money(dearer.price)})."
    lines = [price]
    if comparison.shared_tags:
        lines.append(f"Both: {', '.join(comparison.shared_tags)}.")
    for facts in (a, b):
        only = comparison.only_in(facts)
        stock = "in stock" if facts.in_stock else "out of stock right now"
        detail = f"{', '.join(only)}; " if only else ""
        lines.append(f"{facts.name} ({facts.category}): {detail}{stock}.")
    return compose(tone, f"{a.name} or {b.name}:", lines)


def order_contents_reply(contents: OrderContents, tone: str) -> str:
    lines = [f"{line.quantity} x {line.name}, {money(line.unit_price)} each" if line.quantity > 1
             else f"{line.name}, {money(line.unit_price)}" for line in contents.lines]
    lines.append(f"Total: {money(contents.total)}.")
    return compose(tone, f"Order {contents.number} ({contents.status}) contains:", lines)
