"""Product questions from the database (both backends, seeded data): stock, sizes and colours, price, comparison, order contents."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from services.store import models as m
from services.store.product_questions import (
    compare_products,
    comparison_mentions,
    latest_order_number,
    order_contents,
    product_facts,
)
from tests.conftest import open_session

JACKET = "Ridgeline Summit Rain Jacket"
SHOES = "Stridelab Drift Trail Running Shoes"
ESPRESSO = "Roastwell Nova Espresso Machine"
HEADPHONES = "Auralis Pulse Wireless Headphones"


def stored(session, name: str) -> tuple[m.Product, list[m.ProductVariant]]:
    product = session.execute(select(m.Product).where(m.Product.name == name)).scalar_one()
    variants = session.execute(select(m.ProductVariant).where(m.ProductVariant.product_id == product.id)
                               .order_by(m.ProductVariant.id)).scalars().all()
    return product, list(variants)


def test_price_stock_and_options_are_the_stored_ones(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        facts = product_facts(session, "the summit rain jacket")
        product, variants = stored(session, JACKET)
    assert facts is not None and facts.name == JACKET
    assert facts.price == Decimal(str(product.price)).quantize(Decimal("0.01"))
    assert facts.sizes == ("XS", "S", "M", "L", "XL")
    assert set(facts.colours) == {v.colour for v in variants} and len(facts.colours) == 2
    assert [(v.size, v.colour, v.stock) for v in facts.variants] == [(v.size, v.colour, v.stock) for v in variants]
    assert facts.in_stock == any(v.stock > 0 for v in variants)


def test_a_product_without_options_uses_its_own_stock(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        facts = product_facts(session, ESPRESSO)
        product, variants = stored(session, ESPRESSO)
    assert variants == [] and facts.variants == ()
    assert facts.in_stock == (product.stock > 0) and facts.product_stock == product.stock


def test_a_sold_out_product_is_out_of_stock(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        sold_out = session.execute(select(m.Product).where(m.Product.stock == 0).order_by(m.Product.id)).scalars().first()
        facts = product_facts(session, sold_out.name)
    assert facts.name == sold_out.name and not facts.in_stock
    assert all(v.stock == 0 for v in facts.variants)


def test_the_size_or_colour_a_question_names(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        jacket = product_facts(session, JACKET)
        shoes = product_facts(session, SHOES)
    colour = jacket.colours[0]
    assert {(v.size, v.colour) for v in jacket.matching_variants(f"do you have it in XL in {colour}?")} == {("XL", colour)}
    assert {v.size for v in jacket.matching_variants("is it available in extra large")} == {"XL"}
    assert {v.colour for v in jacket.matching_variants(f"the {colour} one")} == {colour}
    assert len(jacket.matching_variants(f"the {colour} one")) == 5  # every size of that colour
    assert [v.size for v in shoes.matching_variants("size 10 please")] == ["10"]
    assert jacket.matching_variants("is it waterproof?") == ()


def test_an_unknown_product_is_none(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        assert product_facts(session, "quantum toaster deluxe") is None


def test_a_comparison_has_both_products_the_price_gap_and_the_tags(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        comparison = compare_products(session, HEADPHONES, "Nimbus Nova Smartphone")
        same = compare_products(session, HEADPHONES, "auralis pulse wireless headphones")
        unknown = compare_products(session, HEADPHONES, "quantum toaster deluxe")
    assert comparison.first.name == HEADPHONES and comparison.second.name == "Nimbus Nova Smartphone"
    assert comparison.price_difference == comparison.first.price - comparison.second.price < 0
    assert comparison.only_in(comparison.first) == ("wireless", "noise-cancelling", "bluetooth")
    assert comparison.shared_tags == ()
    assert same is None and unknown is None


@pytest.mark.parametrize("text, pair", [
    ("compare the Auralis Pulse Wireless Headphones and the Sonora Vale Earbuds",
     ("Auralis Pulse Wireless Headphones", "Sonora Vale Earbuds")),
    ("Nimbus Nova Smartphone vs Vertex Orbit Phone Case?", ("Nimbus Nova Smartphone", "Vertex Orbit Phone Case")),
    ("what's the difference between the roastwell nova and the crema & co drift burr grinder",
     ("roastwell nova", "crema & co drift burr grinder")),
    ("is the pulse any good", None),
])
def test_comparison_mentions_are_read_from_the_text(text: str, pair) -> None:
    assert comparison_mentions(text) == pair


def test_order_contents_for_the_owner_only(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        alice = order_contents(session, "C-1001", 100234)
        bob = order_contents(session, "C-1002", 100234)
        missing = order_contents(session, "C-1001", 999999)
        order = session.get(m.Order, 100234)
        total = Decimal(str(order.total)).quantize(Decimal("0.01"))
    assert bob is None and missing is None
    assert (alice.number, alice.status) == (100234, "shipped")
    assert [(line.name, line.quantity) for line in alice.lines] == [(HEADPHONES, 1)]
    assert alice.total == total == sum(line.unit_price * line.quantity for line in alice.lines)


def test_the_latest_order_is_the_newest_placed(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        assert latest_order_number(session, "C-1001") == 100235
        assert latest_order_number(session, "C-0000") is None
