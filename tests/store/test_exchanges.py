"""Exchanges end to end on both backends: options, stock, the exchange RMA, scoping to the customer.

The module shares one seeded database per backend; tests that change data use orders no other
test here relies on (Bob's 100240 for the happy path, generated orders for the rest).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from services.store import models as m
from services.store.exchanges import ExchangeOption, create_exchange, exchange_options, match_option, options_text
from services.store.order_rules import Outcome
from services.store.orders import RETURN_WINDOW_DAYS, create_return, get_order
from tests.conftest import TODAY, dump_tables, open_session

ALICE, BOB = "C-1001", "C-1002"
SHOES = "Stridelab Drift Trail Running Shoes"


def variant_stock(url: str, sku: str) -> int:
    with open_session(url) as session:
        return session.execute(select(m.ProductVariant.stock).where(m.ProductVariant.sku == sku)).scalar_one()


def set_stock(url: str, sku: str, stock: int) -> None:
    with open_session(url) as session:
        session.execute(update(m.ProductVariant).where(m.ProductVariant.sku == sku).values(stock=stock))


def delivered_order(url: str, days_ago: tuple[int, int], exchangeable: bool, skip: int = 0) -> tuple[int, str]:
    """(number, owner) of a generated single-item delivered order, delivered between ``days_ago`` days ago,
    whose product has (or has no) variants, with no return or exchange yet."""
    low, high = (dt.datetime.combine(TODAY - dt.timedelta(days=d), dt.time()) for d in (days_ago[1], days_ago[0]))
    with open_session(url) as session:
        with_variants = set(session.execute(select(m.ProductVariant.product_id)).scalars())
        rows = session.execute(
            select(m.Order)
            .join(m.Shipment, m.Shipment.order_id == m.Order.id)
            .where(m.Order.status == "delivered", m.Order.id >= 200000, m.Shipment.delivered_at >= low,
                   m.Shipment.delivered_at < high)
            .order_by(m.Order.id)
        ).scalars()
        found = [(o.id, o.customer_id) for o in rows
                 if len(o.items) == 1 and not o.returns and not o.exchanges
                 and (o.items[0].product_id in with_variants) == exchangeable]
    assert len(found) > skip, f"no generated order delivered {days_ago} days ago (exchangeable={exchangeable})"
    return found[skip]


def exchanges_of(url: str, number: int) -> list[tuple]:
    with open_session(url) as session:
        rows = session.execute(select(m.Exchange).where(m.Exchange.order_id == number)).scalars()
        return [(e.code, e.status, e.variant.sku, e.item.product.name) for e in rows]


# --- options and matching (no database) -------------------------------------------------------------


def option(sku: str, size: str | None, colour: str | None, stock: int = 5, product: str = SHOES) -> ExchangeOption:
    return ExchangeOption(sku, 1, product, size, colour, stock)


SHOE_OPTIONS = [option(f"S-{n}", str(n), None, stock=0 if n == 12 else 5) for n in range(6, 14)]
JACKET = "Ridgeline Summit Rain Jacket"
JACKET_OPTIONS = [option(f"J-{s}-{c}", s, c, product=JACKET) for s in ("XS", "S", "M", "L", "XL") for c in ("navy", "olive")]


@pytest.mark.parametrize(("options", "text", "expected"), [
    (SHOE_OPTIONS, "size 10 please", (Outcome.DONE, "S-10")),
    (SHOE_OPTIONS, "10", (Outcome.DONE, "S-10")),
    (SHOE_OPTIONS, "I'm after a 9, they're too small", (Outcome.DONE, "S-9")),
    (SHOE_OPTIONS, "Size 13!", (Outcome.DONE, "S-13")),
    (SHOE_OPTIONS, "a 12", (Outcome.OUT_OF_STOCK, "S-12")),
    (SHOE_OPTIONS, "size 15", (Outcome.NO_SUCH_OPTION, None)),
    (SHOE_OPTIONS, "a bigger one", (Outcome.NO_SUCH_OPTION, None)),
    (SHOE_OPTIONS, "9 or 10", (Outcome.NO_SUCH_OPTION, None)),  # two options named: ask again
    (JACKET_OPTIONS, "medium in navy", (Outcome.DONE, "J-M-navy")),
    (JACKET_OPTIONS, "olive, extra large", (Outcome.DONE, "J-XL-olive")),
    (JACKET_OPTIONS, "M/navy", (Outcome.DONE, "J-M-navy")),
    (JACKET_OPTIONS, "it's too small, a large in olive please", (Outcome.DONE, "J-L-olive")),
    (JACKET_OPTIONS, "medium", (Outcome.NO_SUCH_OPTION, None)),  # the colour is missing
    (JACKET_OPTIONS, "navy", (Outcome.NO_SUCH_OPTION, None)),  # the size is missing
    (SHOE_OPTIONS + JACKET_OPTIONS, "the shoes in 10", (Outcome.DONE, "S-10")),
    ([option("C-BLACK", None, "black", product="Vertex Orbit Phone Case"),
      option("C-GREY", None, "grey", product="Vertex Orbit Phone Case")], "the gray one", (Outcome.DONE, "C-GREY")),
])
def test_match_option(options: list[ExchangeOption], text: str, expected: tuple[Outcome, str | None]) -> None:
    outcome, chosen = match_option(options, text)
    assert (outcome, chosen.sku if chosen else None) == expected


def test_options_text_lists_only_what_is_in_stock() -> None:
    text = options_text(SHOE_OPTIONS)
    assert text.startswith(f"{SHOES}: size 6, size 7") and "size 12" not in text and "size 13" in text
    assert options_text([option("S-1", "1", None, stock=0)]) == "no other option is in stock"
    assert option("J", "M", "navy").label == "size M in navy" and option("C", None, "black").label == "black"


# --- the store operation (both backends) ------------------------------------------------------------


def test_options_of_an_order_are_scoped_to_its_owner(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        own = exchange_options(session, BOB, 100240)
        foreign = exchange_options(session, ALICE, 100240)
        missing = exchange_options(session, BOB, 999999)
    assert [o.size for o in own] == ["6", "7", "8", "9", "10", "11", "12", "13"]
    assert {o.product_name for o in own} == {SHOES}
    assert foreign == missing == []


def test_exchange_reserves_the_variant_and_opens_an_rma(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        chosen = next(o for o in exchange_options(session, BOB, 100240) if o.size == "10")
    stock = variant_stock(seeded_url, chosen.sku)
    assert stock > 0
    with open_session(seeded_url) as session:
        assert create_exchange(session, BOB, 100240, chosen.sku, TODAY) == (Outcome.DONE, "EXC-100240")
    assert variant_stock(seeded_url, chosen.sku) == stock - 1
    assert exchanges_of(seeded_url, 100240) == [("EXC-100240", "requested", chosen.sku, SHOES)]
    with open_session(seeded_url) as session:
        view = get_order(session, BOB, 100240)
        assert view is not None and view.has_exchange
        # One exchange per order, and no refund on top of it.
        assert create_exchange(session, BOB, 100240, chosen.sku, TODAY) == (Outcome.ALREADY_EXCHANGED, None)
        assert create_return(session, BOB, 100240, TODAY) == (Outcome.ALREADY_EXCHANGED, None)
    assert variant_stock(seeded_url, chosen.sku) == stock - 1
    assert len(exchanges_of(seeded_url, 100240)) == 1


def test_out_of_stock_variant_is_refused_and_nothing_changes(seeded_url: str) -> None:
    number, owner = delivered_order(seeded_url, (1, RETURN_WINDOW_DAYS), exchangeable=True)
    with open_session(seeded_url) as session:
        sku = exchange_options(session, owner, number)[0].sku
    set_stock(seeded_url, sku, 0)
    before = dump_tables(seeded_url, ("exchanges", "product_variants"))
    with open_session(seeded_url) as session:
        assert create_exchange(session, owner, number, sku, TODAY) == (Outcome.OUT_OF_STOCK, None)
    assert dump_tables(seeded_url, ("exchanges", "product_variants")) == before
    # The last one in stock goes to the first exchange only.
    set_stock(seeded_url, sku, 1)
    with open_session(seeded_url) as session:
        assert create_exchange(session, owner, number, sku, TODAY)[0] is Outcome.DONE
    assert variant_stock(seeded_url, sku) == 0


def test_variant_of_another_product_is_refused(seeded_url: str) -> None:
    number, owner = delivered_order(seeded_url, (1, RETURN_WINDOW_DAYS), exchangeable=True, skip=1)
    with open_session(seeded_url) as session:
        own_products = {i.product_id for i in session.get(m.Order, number).items}
        other = session.execute(select(m.ProductVariant.sku).where(m.ProductVariant.product_id.not_in(own_products))
                                .order_by(m.ProductVariant.id).limit(1)).scalar_one()
    before = dump_tables(seeded_url, ("exchanges", "product_variants"))
    with open_session(seeded_url) as session:
        assert create_exchange(session, owner, number, other, TODAY) == (Outcome.NO_SUCH_OPTION, None)
        assert create_exchange(session, owner, number, "HP-NOPE", TODAY) == (Outcome.NO_SUCH_OPTION, None)
    assert dump_tables(seeded_url, ("exchanges", "product_variants")) == before


def test_refusals_write_nothing(seeded_url: str) -> None:
    late, late_owner = delivered_order(seeded_url, (RETURN_WINDOW_DAYS + 1, 200), exchangeable=True)
    plain, plain_owner = delivered_order(seeded_url, (1, RETURN_WINDOW_DAYS), exchangeable=False)
    with open_session(seeded_url) as session:
        shipped_sku = exchange_options(session, ALICE, 100234)[0].sku  # Alice's headphones come in colours
        late_sku = exchange_options(session, late_owner, late)[0].sku
    before = dump_tables(seeded_url, ("exchanges", "product_variants"))
    with open_session(seeded_url) as session:
        assert create_exchange(session, ALICE, 100234, shipped_sku, TODAY) == (Outcome.NOT_DELIVERED, None)
        assert create_exchange(session, BOB, 100234, shipped_sku, TODAY) == (Outcome.NOT_FOUND, None)  # Alice's order
        assert create_exchange(session, late_owner, late, late_sku, TODAY) == (Outcome.WINDOW_CLOSED, None)
        assert create_exchange(session, plain_owner, plain, late_sku, TODAY) == (Outcome.NOT_EXCHANGEABLE, None)
    assert dump_tables(seeded_url, ("exchanges", "product_variants")) == before


def test_seeded_variants_and_warranty_periods(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        periods = dict(session.execute(select(m.WarrantyPeriod.category, m.WarrantyPeriod.months)).all())
        categories = set(session.execute(select(m.Product.category)).scalars())
        sold_out = session.execute(select(m.Product.id).where(m.Product.stock == 0)).scalars().all()
        sold_out_variants = session.execute(select(m.ProductVariant.stock).where(m.ProductVariant.product_id.in_(sold_out))).scalars().all()
        shoes = session.execute(select(m.ProductVariant.size).join(m.Product).where(m.Product.name == SHOES)
                                .order_by(m.ProductVariant.id)).scalars().all()
    assert set(periods) == categories
    assert periods["headphones"] == periods["smartphones"] == periods["laptop accessories"] == 24
    assert periods["kitchen"] == periods["running shoes"] == 12
    assert sold_out_variants and set(sold_out_variants) == {0}  # a sold-out product has no variant in stock
    assert shoes == ["6", "7", "8", "9", "10", "11", "12", "13"]
