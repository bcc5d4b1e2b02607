"""Seeded generator of customers, orders, shipments and interactions.

Generative process (documented in docs/seed_data.md):
1. Each customer belongs to a segment; the segment fixes a Dirichlet prior over
   categories, from which the customer's own category preferences are drawn.
2. Each customer has a favourite brand per category (weight x3).
3. An order's first item: category ~ preferences, product ~ popularity x brand affinity.
   With probability ``complement_rate`` a complementary item (bought together) follows.
4. Order status follows from its age relative to ``today``; a few are cancelled or returned.
5. Interactions: a purchase per ordered item, views (mostly in preferred categories, and
   before many purchases) and ratings for part of the delivered items.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from services.store.seed.catalogue import CATEGORIES, GeneratedProduct, type_index

SEGMENTS: dict[str, tuple[float, dict[str, float]]] = {
    # segment: (share of customers, category -> Dirichlet concentration)
    "tech": (0.26, {"headphones": 6, "smartphones": 6, "laptop accessories": 6, "backpacks": 1.5}),
    "home_cook": (0.2, {"kitchen": 8, "coffee": 8, "board games": 1.5}),
    "outdoors": (0.22, {"running shoes": 6, "backpacks": 6, "outdoor jackets": 6, "headphones": 1.5}),
    "wellness": (0.16, {"skincare": 9, "running shoes": 3, "coffee": 2}),
    "family": (0.16, {"board games": 9, "kitchen": 3, "skincare": 2}),
}
BASE_CONCENTRATION = 0.3

FIRST_NAMES = (
    "Ava", "Ben", "Chloe", "Daniel", "Elena", "Farid", "Grace", "Hiro", "Isla", "Jonas", "Kemi", "Liam",
    "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wen", "Yusuf", "Zoe",
)
LAST_NAMES = (
    "Adams", "Brooks", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen", "Khan",
    "Lopez", "Moreau", "Novak", "Okafor", "Park", "Rossi", "Silva", "Tanaka", "Usman", "Varga", "Weber",
)
STREETS = ("Maple Ave", "Harbour St", "Pine Rd", "Elm St", "Lake Dr", "Cedar Ln", "Bay Rd", "Hill St")
CITIES = ("Portland, OR 97201", "Austin, TX 78701", "Denver, CO 80202", "Boston, MA 02108", "Seattle, WA 98101")
CARRIERS = ("UPS", "FedEx", "DHL", "USPS")

FIRST_GENERATED_CUSTOMER = 5001
FIRST_GENERATED_ORDER = 200001


@dataclass
class Population:
    """Rows to insert, as plain dicts keyed by column name."""

    customers: list[dict] = field(default_factory=list)
    orders: list[dict] = field(default_factory=list)
    order_items: list[dict] = field(default_factory=list)
    shipments: list[dict] = field(default_factory=list)
    returns: list[dict] = field(default_factory=list)
    interactions: list[dict] = field(default_factory=list)


def tracking_number(carrier: str, rng: np.random.Generator) -> str:
    digits = "".join(str(d) for d in rng.integers(0, 10, size=12))
    return {"UPS": "1Z", "FedEx": "FX", "DHL": "JD", "USPS": "94"}[carrier] + digits


def random_address(rng: np.random.Generator) -> str:
    return f"{int(rng.integers(1, 999))} {STREETS[rng.integers(len(STREETS))]}, {CITIES[rng.integers(len(CITIES))]}"


def generate_population(
    products: list[GeneratedProduct],
    rng: np.random.Generator,
    today: dt.date,
    n_customers: int = 1200,
    mean_orders: float = 4.0,
    mean_views: float = 14.0,
    complement_rate: float = 0.5,
) -> Population:
    """Generate customers and their histories up to ``today`` (the newest event is on ``today``)."""
    pop = Population()
    categories = [c.name for c in CATEGORIES]
    by_category = {c: [p for p in products if p.category == c] for c in categories}
    by_type: dict[str, list[GeneratedProduct]] = {}
    for p in products:
        by_type.setdefault(p.type_name, []).append(p)
    types = type_index()
    segment_names = list(SEGMENTS)
    shares = np.array([SEGMENTS[s][0] for s in segment_names])
    now = dt.datetime.combine(today, dt.time(12, 0))
    next_order = FIRST_GENERATED_ORDER
    next_rma = 1

    def pick(candidates: list[GeneratedProduct], brand_pref: dict[str, str]) -> GeneratedProduct:
        weights = np.array([p.popularity * (3.0 if brand_pref.get(p.category) == p.brand else 1.0) for p in candidates])
        return candidates[int(rng.choice(len(candidates), p=weights / weights.sum()))]

    for i in range(n_customers):
        cid = f"C-{FIRST_GENERATED_CUSTOMER + i}"
        segment = segment_names[int(rng.choice(len(segment_names), p=shares / shares.sum()))]
        alpha = np.array([SEGMENTS[segment][1].get(c, 0.0) + BASE_CONCENTRATION for c in categories])
        prefs = rng.dirichlet(alpha)
        brand_pref = {c.name: c.brands[int(rng.integers(len(c.brands)))] for c in CATEGORIES}
        first, last = FIRST_NAMES[rng.integers(len(FIRST_NAMES))], LAST_NAMES[rng.integers(len(LAST_NAMES))]
        created = now - dt.timedelta(days=int(rng.integers(366, 900)))
        pop.customers.append({
            "id": cid, "name": f"{first} {last}", "email": f"{first.lower()}.{last.lower()}.{i}@example.com",
            "segment": segment, "created_at": created,
        })
        address = random_address(rng)

        for _ in range(1 + int(rng.poisson(mean_orders))):
            category = categories[int(rng.choice(len(categories), p=prefs))]
            items = [pick(by_category[category], brand_pref)]
            if rng.random() < complement_rate:
                complements = types[items[0].type_name][1].complements
                if complements:
                    ctype = complements[int(rng.integers(len(complements)))]
                    extra = pick(by_type[ctype], brand_pref)
                    if extra.id != items[0].id:
                        items.append(extra)
            age_days = float(rng.uniform(0, 365))
            placed = now - dt.timedelta(days=age_days, hours=float(rng.uniform(0, 10)))
            oid = next_order
            next_order += 1
            quantities = [1 if p.price > 40 else int(rng.integers(1, 3)) for p in items]
            total = round(sum(p.price * q for p, q in zip(items, quantities)), 2)
            roll = rng.random()
            status, payment, cancelled_at, refunded_at = "delivered", "paid", None, None
            if age_days < 2:
                status = "placed"
            elif age_days < 7:
                status = "shipped"
            if roll < 0.04:
                status, payment = "cancelled", "refunded"
                cancelled_at = refunded_at = placed + dt.timedelta(hours=3)
            elif roll < 0.07 and status == "delivered":
                status, payment = "returned", "refunded"
            pop.orders.append({
                "id": oid, "customer_id": cid, "status": status, "placed_at": placed, "shipping_address": address,
                "total": total, "payment_status": payment, "cancelled_at": cancelled_at,
                "refunded_at": refunded_at, "updated_at": placed,
            })
            for p, q in zip(items, quantities):
                pop.order_items.append({"order_id": oid, "product_id": p.id, "quantity": q, "unit_price": p.price})
            if status in ("shipped", "delivered", "returned"):
                carrier = CARRIERS[int(rng.integers(len(CARRIERS)))]
                shipped = placed + dt.timedelta(hours=float(rng.uniform(4, 30)))
                delivered = shipped + dt.timedelta(days=float(rng.uniform(1.5, 5))) if status != "shipped" else None
                pop.shipments.append({
                    "order_id": oid, "carrier": carrier, "tracking_number": tracking_number(carrier, rng),
                    "status": "in_transit" if status == "shipped" else "delivered", "shipped_at": shipped,
                    "promised_date": (shipped + dt.timedelta(days=5)).date(), "delivered_at": delivered,
                })
                if status == "returned":
                    returned_at = delivered + dt.timedelta(days=float(rng.uniform(2, 20)))
                    pop.orders[-1]["refunded_at"] = returned_at + dt.timedelta(days=4)
                    pop.returns.append({
                        "rma_code": f"RMA-{next_rma:06d}", "order_id": oid, "reason": "changed mind",
                        "status": "refunded", "refund_amount": total, "created_at": returned_at,
                        "refunded_at": returned_at + dt.timedelta(days=4),
                    })
                    next_rma += 1
            if status == "cancelled":
                continue
            for p in items:
                if rng.random() < 0.6:
                    pop.interactions.append(_event(cid, p.id, "view", placed - dt.timedelta(hours=float(rng.uniform(1, 72)))))
                pop.interactions.append(_event(cid, p.id, "purchase", placed))
                if status in ("delivered", "returned") and rng.random() < 0.35:
                    rating = int(np.clip(round(rng.normal(4.0 if status == "delivered" else 2.5, 0.9)), 1, 5))
                    pop.interactions.append(_event(cid, p.id, "rating", placed + dt.timedelta(days=8), rating))

        for _ in range(int(rng.poisson(mean_views))):
            category = categories[int(rng.choice(len(categories), p=prefs))]
            p = pick(by_category[category], brand_pref)
            when = now - dt.timedelta(days=float(rng.uniform(0, 365)))
            pop.interactions.append(_event(cid, p.id, "view", when))
    return pop


def _event(customer_id: str, product_id: int, kind: str, when: dt.datetime, rating: int | None = None) -> dict:
    return {"customer_id": customer_id, "product_id": product_id, "kind": kind, "rating": rating,
            "occurred_at": when.replace(microsecond=0)}
