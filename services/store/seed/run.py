"""Fill the store database: ``python -m services.store.seed.run [--reset]``.

Idempotent: an already seeded database is left alone (tickets and CSAT ratings
written by the assistant are never lost) unless ``--reset`` is given; only reference tables
added since it was seeded (product variants, warranty periods) are filled in.
"""

from __future__ import annotations

import argparse
import datetime as dt

import numpy as np
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Engine
from tqdm import tqdm

from services.store import models as m
from services.store.db import make_engine
from services.store.migrate import upgrade
from services.store.seed.catalogue import generate_products
from services.store.seed.demo import demo_population
from services.store.seed.population import FIRST_GENERATED_ORDER, Population, generate_population
from services.store.seed.reviews import has_reviews, seed_reviews
from services.store.seed.variants import variant_rows
from services.store.seed.warranty import warranty_rows

DEFAULT_SEED = 20261122
# Insertion order respects foreign keys; deletion goes the other way.
TABLES = (m.Customer, m.Product, m.ProductVariant, m.WarrantyPeriod, m.Order, m.OrderItem, m.Shipment,
          m.ReturnRequest, m.Interaction)
RUNTIME_TABLES = (m.Exchange, m.WarrantyClaim, m.Ticket, m.CsatRating, m.VerificationFailure, m.VerificationTarget,
                  m.LinkedAccount)
# Reference tables added by later migrations: filled on a database seeded before they existed.
BACKFILLED_TABLES = (m.ProductVariant, m.WarrantyPeriod)
DEMO_MIN_STOCK = 5


def build_rows(today: dt.date, seed: int = DEFAULT_SEED, n_customers: int = 1200) -> dict[type, list[dict]]:
    """All seed rows per model class, deterministic for a given ``today`` and ``seed``."""
    rng = np.random.default_rng(seed)
    products = generate_products(rng)
    generated = generate_population(products, rng, today, n_customers=n_customers)
    demo = demo_population({p.name: p.id for p in products}, {p.name: p.price for p in products}, today)
    pop = Population(*(getattr(demo, f) + getattr(generated, f) for f in Population.__dataclass_fields__))
    product_rows = [
        {"id": p.id, "sku": p.sku, "name": p.name, "category": p.category, "brand": p.brand, "price": p.price,
         "stock": p.stock, "tags": ",".join(p.tags), "description": p.description}
        for p in products
    ]
    # Demo orders must be fulfillable: the products they name stay in stock.
    demo_products = {r["product_id"] for r in demo.order_items}
    for row in product_rows:
        if row["id"] in demo_products and row["stock"] == 0:
            row["stock"] = 25
    variants = variant_rows(product_rows, seed, min_stock=dict.fromkeys(demo_products, DEMO_MIN_STOCK))
    return {
        m.Customer: pop.customers, m.Product: product_rows, m.ProductVariant: variants, m.WarrantyPeriod: warranty_rows(),
        m.Order: pop.orders, m.OrderItem: pop.order_items, m.Shipment: pop.shipments, m.ReturnRequest: pop.returns,
        m.Interaction: pop.interactions,
    }


def is_seeded(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(select(func.count()).select_from(m.Customer)).scalar())


def backfill_reference_tables(engine: Engine, seed: int = DEFAULT_SEED) -> list[str]:
    """Fill the empty ``BACKFILLED_TABLES`` of a seeded database from its own products; returns the tables filled."""
    filled = []
    with engine.begin() as conn:
        for model in BACKFILLED_TABLES:
            if conn.execute(select(func.count()).select_from(model)).scalar():
                continue
            if model is m.WarrantyPeriod:
                rows = warranty_rows()
            else:
                products = [dict(r._mapping) for r in conn.execute(select(m.Product.id, m.Product.sku, m.Product.name, m.Product.stock))]
                demo = conn.execute(select(m.OrderItem.product_id).where(m.OrderItem.order_id < FIRST_GENERATED_ORDER)).scalars()
                rows = variant_rows(products, seed, min_stock=dict.fromkeys(demo, DEMO_MIN_STOCK))
            if rows:
                conn.execute(insert(model.__table__), rows)
                filled.append(model.__tablename__)
    return filled


def seed_database(
    url: str | None = None,
    today: dt.date | None = None,
    seed: int = DEFAULT_SEED,
    reset: bool = False,
    n_customers: int = 1200,
    progress: bool = True,
) -> bool:
    """Migrate and seed the database at ``url``; return False if it was already seeded and left alone."""
    upgrade(url)
    engine = make_engine(url)
    try:
        if is_seeded(engine) and not reset:
            backfill_reference_tables(engine, seed)
            if not has_reviews(engine):  # seeded before the reviews existed
                with engine.begin() as conn:
                    seed_reviews(conn, today or dt.date.today())
            return False
        rows = build_rows(today or dt.date.today(), seed, n_customers)
        with engine.begin() as conn:
            for model in reversed(TABLES + RUNTIME_TABLES):  # runtime rows point at orders/customers: delete them first
                conn.execute(delete(model.__table__))
            for model in tqdm(TABLES, desc="seeding", unit="table", disable=not progress):
                batch = rows[model]
                for start in range(0, len(batch), 5000):
                    conn.execute(insert(model.__table__), batch[start : start + 5000])
            seed_reviews(conn, today or dt.date.today())
        return True
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default=None, help="database URL (default: STORE_DATABASE_URL)")
    parser.add_argument("--reset", action="store_true", help="delete all data (tickets too) and seed again")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None, help="reference date (YYYY-MM-DD)")
    args = parser.parse_args()
    done = seed_database(args.url, args.today, args.seed, args.reset)
    print("seeded" if done else "already seeded; use --reset to start again (deletes tickets and ratings)")


if __name__ == "__main__":
    main()
