"""The seed data: documented demo records, determinism, size, recommender signal, idempotency, lookups file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from services.store import models as m
from services.store.claims import create_claim
from services.store.exchanges import create_exchange, exchange_options
from services.store.identity import record_failed_attempt
from services.store.order_rules import Outcome
from services.store.orders import get_order
from services.store.seed.lookups import LOOKUPS_PATH, lookups_yaml
from services.store.seed.population import SEGMENTS
from services.store.seed.run import DEFAULT_SEED, seed_database
from services.store.tickets import create_ticket, save_csat
from tests.conftest import TODAY, dump_tables, open_session

COFFEE_ACCESSORIES = ("Burr Grinder", "Coffee Beans", "Milk Frother")


@pytest.fixture(scope="module")
def full_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """SQLite seeded with the default number of customers (about 6 s): for size and signal checks."""
    url = f"sqlite:///{tmp_path_factory.mktemp('full') / 'store.db'}"
    assert seed_database(url, today=TODAY, progress=False) is True
    yield url


def count(url: str, model: type) -> int:
    with open_session(url) as session:
        return session.scalar(select(func.count()).select_from(model))


# --- the fixed demo records -------------------------------------------------------------------------


def test_demo_customers(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        rows = session.execute(
            select(m.Customer.id, m.Customer.name, m.Customer.email)
            .where(m.Customer.id.in_(["C-1001", "C-1002", "C-1003"]))
            .order_by(m.Customer.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("C-1001", "Alice Chen", "alice@example.com"),
        ("C-1002", "Bob Martin", "bob@example.com"),
        ("C-1003", "Carla Diaz", "carla@example.com"),
    ]


def test_demo_orders_belong_to_their_customers(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        owners = dict(session.execute(select(m.Order.id, m.Order.customer_id).where(m.Order.id < 200000)).all())
    assert owners == {100234: "C-1001", 100235: "C-1001", 100240: "C-1002", 100241: "C-1002", 100250: "C-1003"}


def test_alice_orders(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        shipped = get_order(session, "C-1001", 100234)
        placed = get_order(session, "C-1001", 100235)
    assert shipped is not None and placed is not None
    assert shipped.status == "shipped" and shipped.shipment_status == "in_transit"
    assert shipped.carrier == "UPS" and shipped.tracking_number == "1Z4A7F390312448861"
    assert shipped.promised_date is not None and shipped.promised_date > TODAY
    assert shipped.delivered_at is None and not shipped.is_delayed(TODAY)
    assert shipped.items == (("Auralis Pulse Wireless Headphones", 1),)
    assert placed.status == "placed" and placed.payment_status == "paid"
    assert (placed.carrier, placed.tracking_number, placed.shipment_status, placed.promised_date) == (None,) * 4
    with open_session(seeded_url) as session:
        assert session.scalar(select(func.count()).select_from(m.Shipment).where(m.Shipment.order_id == 100235)) == 0


def test_bob_orders(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        delivered = get_order(session, "C-1002", 100240)
        late = get_order(session, "C-1002", 100241)
    assert delivered is not None and late is not None
    assert delivered.status == "delivered" and delivered.shipment_status == "delivered"
    assert delivered.delivered_at is not None and delivered.delivered_at.date() == TODAY - dt.timedelta(days=5)
    assert not delivered.has_return and delivered.is_returnable(TODAY)
    assert late.status == "shipped" and late.shipment_status == "in_transit"
    assert late.promised_date is not None and late.promised_date < TODAY
    assert late.delivered_at is None and late.is_delayed(TODAY)


def test_carla_cancelled_and_refunded(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        order = session.get(m.Order, 100250)
        assert order is not None
        assert (order.customer_id, order.status, order.payment_status) == ("C-1003", "cancelled", "refunded")
        assert order.cancelled_at is not None and order.refunded_at is not None
        assert order.cancelled_at <= order.refunded_at
        assert order.cancelled_at.date() < TODAY
        assert order.shipment is None and order.returns == []


# --- determinism ------------------------------------------------------------------------------------


def test_seed_is_deterministic(seeded_url: str, tmp_path: Path) -> None:
    """Same date and seed: identical rows (also across backends); another seed: different rows."""
    same = f"sqlite:///{tmp_path / 'same.db'}"
    other = f"sqlite:///{tmp_path / 'other.db'}"
    seed_database(same, today=TODAY, n_customers=150, progress=False)
    seed_database(other, today=TODAY, seed=DEFAULT_SEED + 1, n_customers=150, progress=False)
    reference = dump_tables(seeded_url)
    assert len(reference["customers"]) == 153 and len(reference["orders"]) > 500
    assert dump_tables(same) == reference
    different = dump_tables(other)
    assert different != reference
    for table in ("products", "orders", "order_items", "interactions"):
        assert different[table] != reference[table], table


# --- size and recommender signal (SQLite, default size) ----------------------------------------------


def test_default_size(full_url: str) -> None:
    assert count(full_url, m.Product) >= 300
    with open_session(full_url) as session:
        assert len(session.execute(select(m.Product.category).distinct()).all()) >= 8
    assert count(full_url, m.Customer) >= 1000
    assert count(full_url, m.Order) + count(full_url, m.Interaction) >= 10000


def category_shares(url: str, segment: str | None) -> dict[str, float]:
    """Share of purchased units per category, for the customers of ``segment`` (None: everybody)."""
    stmt = (
        select(m.Product.category, func.sum(m.OrderItem.quantity))
        .join(m.OrderItem.product).join(m.OrderItem.order).join(m.Order.customer)
        .where(m.Order.status != "cancelled")
        .group_by(m.Product.category)
    )
    if segment is not None:
        stmt = stmt.where(m.Customer.segment == segment)
    with open_session(url) as session:
        units = {category: int(n) for category, n in session.execute(stmt)}
    total = sum(units.values())
    return {category: n / total for category, n in units.items()}


def test_tech_customers_buy_tech(full_url: str) -> None:
    shares = category_shares(full_url, "tech")
    tech = shares.get("headphones", 0) + shares.get("smartphones", 0) + shares.get("laptop accessories", 0)
    assert tech > 0.6


@pytest.mark.parametrize("segment", sorted(SEGMENTS))
def test_segments_prefer_their_categories(full_url: str, segment: str) -> None:
    preferred = SEGMENTS[segment][1]
    own = sum(share for category, share in category_shares(full_url, segment).items() if category in preferred)
    everybody = sum(share for category, share in category_shares(full_url, None).items() if category in preferred)
    assert own > 0.75
    assert own > everybody + 0.2


def test_complements_are_bought_together(full_url: str) -> None:
    with open_session(full_url) as session:
        rows = session.execute(select(m.OrderItem.order_id, m.Product.name).join(m.OrderItem.product)).all()
    names_by_order: dict[int, list[str]] = {}
    for order_id, name in rows:
        names_by_order.setdefault(order_id, []).append(name)

    def has_accessory(names: list[str]) -> bool:
        return any(name.endswith(accessory) for name in names for accessory in COFFEE_ACCESSORIES)

    espresso = [names for names in names_by_order.values() if any(n.endswith("Espresso Machine") for n in names)]
    assert len(espresso) >= 50
    with_accessory = sum(has_accessory(names) for names in espresso) / len(espresso)
    base_rate = sum(has_accessory(names) for names in names_by_order.values()) / len(names_by_order)
    assert with_accessory > 0.3
    assert with_accessory > 4 * base_rate


# --- idempotency ------------------------------------------------------------------------------------


def without_serial_ids(dump: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    serial = {"order_items", "shipments", "returns", "interactions", "product_variants", "reviews"}
    return {table: [row[1:] if table in serial else row for row in rows] for table, rows in dump.items()}


def add_runtime_rows(url: str, verified: bool) -> None:
    """What the assistant writes while running: a ticket, a CSAT rating, a failed verification."""
    customer, order = ("C-1001", 100234) if verified else (None, None)
    with open_session(url) as session:
        create_ticket(session, "sender-1", "frustrated", [{"label": "anger", "confidence": 0.9}],
                      [{"role": "user", "text": "where is my order?"}], customer_id=customer, order_id=order)
        save_csat(session, "sender-1", 2, [{"label": "anger", "confidence": 0.9}], customer_id=customer)
        record_failed_attempt(session, "sender-2")
        # An exchange and a warranty claim point at order items and variants: reset must delete them first.
        sku = exchange_options(session, "C-1002", 100240)[0].sku
        assert create_exchange(session, "C-1002", 100240, sku, TODAY)[0] is Outcome.DONE
        assert create_claim(session, "C-1002", 100240, TODAY, "sole came off")[0] is Outcome.DONE


def test_second_seed_leaves_everything_alone(db_url: str) -> None:
    assert seed_database(db_url, today=TODAY, n_customers=150, progress=False) is True
    add_runtime_rows(db_url, verified=True)
    before = dump_tables(db_url)
    assert len(before["tickets"]) == 1 and before["tickets"][0][2:4] == ("C-1001", 100234)

    assert seed_database(db_url, today=TODAY + dt.timedelta(days=3), n_customers=150, progress=False) is False
    assert dump_tables(db_url) == before


@pytest.mark.parametrize("verified", [False, True], ids=["anonymous", "verified-customer"])
def test_reset_wipes_runtime_rows_and_seeds_again(db_url: str, verified: bool) -> None:
    seed_database(db_url, today=TODAY, n_customers=150, progress=False)
    fresh = dump_tables(db_url)
    add_runtime_rows(db_url, verified=verified)

    assert seed_database(db_url, today=TODAY, n_customers=150, reset=True, progress=False) is True
    after = dump_tables(db_url)
    assert after["tickets"] == after["csat_ratings"] == after["verification_failures"] == []
    assert after["exchanges"] == after["warranty_claims"] == []
    # Serial ids continue after a delete on PostgreSQL: compare those tables without their id column.
    assert without_serial_ids(after) == without_serial_ids(fresh)


def test_a_database_seeded_before_migration_0004_gets_variants_and_warranty_periods(db_url: str) -> None:
    seed_database(db_url, today=TODAY, n_customers=20, progress=False)
    tables = ("product_variants", "warranty_periods")
    fresh = dump_tables(db_url, tables)
    assert fresh["product_variants"] and fresh["warranty_periods"]
    with open_session(db_url) as session:  # as it was before the tables existed
        session.execute(delete(m.ProductVariant))
        session.execute(delete(m.WarrantyPeriod))
    assert seed_database(db_url, today=TODAY, n_customers=20, progress=False) is False
    after = dump_tables(db_url, tables)
    assert without_serial_ids(after) == without_serial_ids(fresh)
    before_orders = dump_tables(db_url, ("orders",))
    assert seed_database(db_url, today=TODAY, n_customers=20, progress=False) is False  # filled once only
    assert dump_tables(db_url, tables) == after and dump_tables(db_url, ("orders",)) == before_orders


# --- the committed NLU lookups file -----------------------------------------------------------------


def test_lookups_file_is_current() -> None:
    assert LOOKUPS_PATH == Path(__file__).resolve().parents[2] / "data" / "nlu" / "lookups.yml"
    assert LOOKUPS_PATH.read_text(encoding="utf-8") == lookups_yaml(), "run `make lookups` and commit the file"
