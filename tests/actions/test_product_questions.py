"""action_answer_product_question on the seeded databases: product facts, comparisons, order contents."""

from __future__ import annotations

from actions.product_questions import ActionAnswerProductQuestion
from services.presentation import money
from services.store.db import session_scope
from services.store.product_questions import product_facts
from tests.actions.conftest import make_tracker, run, slot_events, texts

ALICE = {"identified": True, "customer_id": "C-1001"}
JACKET = "Ridgeline Summit Rain Jacket"


def product(name: str) -> list[dict]:
    return [{"entity": "product", "value": name}]


def test_price_and_stock_of_the_named_product(store: str) -> None:
    with session_scope() as session:
        facts = product_facts(session, "Roastwell Nova Espresso Machine")
    messages, events = run(ActionAnswerProductQuestion(), make_tracker(
        "how much is the Roastwell Nova Espresso Machine and is it in stock", intent="product_question",
        entities=product("Roastwell Nova Espresso Machine")))
    reply = texts(messages)
    assert f"costs {money(facts.price)}" in reply
    assert ("It's in stock." if facts.in_stock else "out of stock") in reply
    assert slot_events(events) == {"product": "Roastwell Nova Espresso Machine"}


def test_sizes_and_colours(store: str) -> None:
    messages, _ = run(ActionAnswerProductQuestion(), make_tracker(
        f"what sizes and colours does the {JACKET} come in", intent="product_question", entities=product(JACKET)))
    reply = texts(messages)
    assert "sizes XS, S, M, L and XL" in reply and "costs" not in reply


def test_a_named_size_and_colour_is_checked_against_its_own_stock(store: str) -> None:
    with session_scope() as session:
        facts = product_facts(session, JACKET)
    variant = next(v for v in facts.variants if v.size == "XL")
    messages, _ = run(ActionAnswerProductQuestion(), make_tracker(
        f"do you have it in XL in {variant.colour}?", intent="product_question", slots={"product": JACKET}))
    reply = texts(messages)
    expected = f"in stock in {variant.label}" if variant.stock > 0 else f"in {variant.label} is sold out"
    assert expected in reply and JACKET in reply


def test_an_unknown_product_gets_asked_which(store: str) -> None:
    messages, events = run(ActionAnswerProductQuestion(), make_tracker("is it in stock?", intent="product_question"))
    assert "Which product do you mean?" in texts(messages) and events == []


def test_a_comparison_from_two_entities_or_from_the_text(store: str) -> None:
    from_entities, _ = run(ActionAnswerProductQuestion(), make_tracker(
        "compare them", intent="compare_products",
        entities=product("Auralis Pulse Wireless Headphones") + product("Nimbus Nova Smartphone")))
    from_text, _ = run(ActionAnswerProductQuestion(), make_tracker(
        "Auralis Pulse Wireless Headphones vs Nimbus Nova Smartphone", intent="compare_products"))
    assert texts(from_entities) == texts(from_text)
    assert "Auralis Pulse Wireless Headphones or Nimbus Nova Smartphone" in texts(from_text)
    assert "cheaper" in texts(from_text)
    unclear, _ = run(ActionAnswerProductQuestion(), make_tracker("compare two products for me", intent="compare_products"))
    assert "Which two products" in texts(unclear)


def test_order_contents_for_a_verified_shopper(store: str) -> None:
    messages, events = run(ActionAnswerProductQuestion(), make_tracker(
        "what's in order 100234", intent="order_contents", slots={**ALICE, "order_number": "100234"}))
    reply = texts(messages)
    assert "Order 100234 (shipped) contains:" in reply and "Auralis Pulse Wireless Headphones" in reply
    assert slot_events(events) == {"order_number": "100234", "resolved": True}


def test_order_contents_defaults_to_the_newest_order(store: str) -> None:
    messages, _ = run(ActionAnswerProductQuestion(), make_tracker("what did I order", intent="order_contents", slots=ALICE))
    assert "Order 100235" in texts(messages) and "Vertex Orbit Phone Case" in texts(messages)


def test_someone_elses_order_reads_like_a_missing_one(store: str) -> None:
    foreign, _ = run(ActionAnswerProductQuestion(), make_tracker(
        "what's in order 100240", intent="order_contents", slots={**ALICE, "order_number": "100240"}))
    missing, _ = run(ActionAnswerProductQuestion(), make_tracker(
        "what's in order 999999", intent="order_contents", slots={**ALICE, "order_number": "999999"}))
    assert texts(foreign) == texts(missing) and "can't find an order" in texts(foreign)
    assert "Trail Running Shoes" not in texts(foreign)


def test_an_unverified_shopper_is_verified_first_and_told_nothing(store: str) -> None:
    messages, events = run(ActionAnswerProductQuestion(), make_tracker(
        "what's in order 100234", intent="order_contents", slots={"order_number": "100234"}))
    assert messages == []
    assert events == [{"event": "slot", "name": "request", "value": "order_status", "timestamp": None},
                      {"event": "followup", "name": "verification_form", "timestamp": None}]
