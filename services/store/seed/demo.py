"""The fixed demo customers and orders documented in the README (always present)."""

from __future__ import annotations

import datetime as dt

from services.store.seed.population import Population

DEMO_CUSTOMERS = (
    {"id": "C-1001", "name": "Alice Chen", "email": "alice@example.com", "segment": "tech"},
    {"id": "C-1002", "name": "Bob Martin", "email": "bob@example.com", "segment": "outdoors"},
    {"id": "C-1003", "name": "Carla Diaz", "email": "carla@example.com", "segment": "home_cook"},
)


def demo_population(product_ids: dict[str, int], prices: dict[str, float], today: dt.date) -> Population:
    """Build the demo records; ``product_ids``/``prices`` map product names to ids/prices."""
    noon = dt.datetime.combine(today, dt.time(12, 0))
    day = dt.timedelta(days=1)
    pop = Population()
    for c in DEMO_CUSTOMERS:
        pop.customers.append({**c, "created_at": noon - 400 * day})

    def order(oid: int, cid: str, status: str, placed: dt.datetime, address: str, products: list[str], **extra) -> None:
        total = round(sum(prices[p] for p in products), 2)
        pop.orders.append({
            "id": oid, "customer_id": cid, "status": status, "placed_at": placed, "shipping_address": address,
            "total": total, "payment_status": extra.get("payment_status", "paid"),
            "cancelled_at": extra.get("cancelled_at"), "refunded_at": extra.get("refunded_at"), "updated_at": placed,
        })
        for p in products:
            pop.order_items.append({"order_id": oid, "product_id": product_ids[p], "quantity": 1, "unit_price": prices[p]})
            if status != "cancelled":
                pop.interactions.append({"customer_id": cid, "product_id": product_ids[p], "kind": "purchase",
                                         "rating": None, "occurred_at": placed})

    alice_address = "12 Harbour St, Portland, OR 97201"
    order(100234, "C-1001", "shipped", noon - 4 * day, alice_address, ["Auralis Pulse Wireless Headphones"])
    pop.shipments.append({"order_id": 100234, "carrier": "UPS", "tracking_number": "1Z4A7F390312448861",
                          "status": "in_transit", "shipped_at": noon - 2 * day, "promised_date": today + 2 * day,
                          "delivered_at": None})
    order(100235, "C-1001", "placed", noon - dt.timedelta(hours=3), alice_address, ["Vertex Orbit Phone Case"])

    bob_address = "48 Pine Rd, Denver, CO 80202"
    order(100240, "C-1002", "delivered", noon - 9 * day, bob_address, ["Stridelab Drift Trail Running Shoes"])
    pop.shipments.append({"order_id": 100240, "carrier": "FedEx", "tracking_number": "FX771200458193",
                          "status": "delivered", "shipped_at": noon - 8 * day, "promised_date": today - 4 * day,
                          "delivered_at": noon - 5 * day})
    order(100241, "C-1002", "shipped", noon - 12 * day, bob_address, ["Ridgeline Summit Rain Jacket"])
    pop.shipments.append({"order_id": 100241, "carrier": "FedEx", "tracking_number": "FX771200902247",
                          "status": "in_transit", "shipped_at": noon - 11 * day, "promised_date": today - 4 * day,
                          "delivered_at": None})

    cancelled = noon - 19 * day
    order(100250, "C-1003", "cancelled", noon - 20 * day, "7 Bay Rd, Boston, MA 02108", ["Roastwell Nova Espresso Machine"],
          payment_status="refunded", cancelled_at=cancelled, refunded_at=cancelled + 2 * day)

    for cid, names in (("C-1001", ["Nimbus Nova Smartphone", "Keyforge Atlas USB-C Hub"]),
                       ("C-1002", ["Ridgeline Summit Rain Jacket"]),
                       ("C-1003", ["Crema & Co Drift Burr Grinder"])):
        for n, name in enumerate(names):
            pop.interactions.append({"customer_id": cid, "product_id": product_ids[name], "kind": "view",
                                     "rating": None, "occurred_at": noon - (30 + n) * day})
    return pop
