"""Sizes and colours of the products that come in several (what exchanges swap between).

Variants are derived from a product row alone (its id, SKU, name and stock), so an already
seeded database can be given variants later with the same result.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

SHOE_SIZES = ("6", "7", "8", "9", "10", "11", "12", "13")
CLOTHING_SIZES = ("XS", "S", "M", "L", "XL")
SOCK_SIZES = ("S", "M", "L")
COLOURS = ("black", "navy", "grey", "olive", "red", "white", "blue", "green", "silver", "sand")

# Product type -> (sizes, number of colours); types not listed come in one version only.
OPTIONS_BY_TYPE: dict[str, tuple[tuple[str, ...], int]] = {
    "Road Running Shoes": (SHOE_SIZES, 0),
    "Trail Running Shoes": (SHOE_SIZES, 0),
    "Racing Flats": (SHOE_SIZES, 0),
    "Running Socks": (SOCK_SIZES, 0),
    "Rain Jacket": (CLOTHING_SIZES, 2),
    "Down Jacket": (CLOTHING_SIZES, 2),
    "Fleece Jacket": (CLOTHING_SIZES, 2),
    "Softshell Jacket": (CLOTHING_SIZES, 2),
    "Daypack": ((), 3),
    "Travel Backpack": ((), 3),
    "Laptop Backpack": ((), 3),
    "Hydration Pack": ((), 3),
    "Phone Case": ((), 4),
    "Smartphone": ((), 3),
    "Wireless Headphones": ((), 3),
    "Earbuds": ((), 3),
    "Sport Earbuds": ((), 3),
}
OUT_OF_STOCK_SHARE = 0.12


def product_type(name: str) -> str | None:
    """The product type a catalogue name ends with (``"{brand} {line} {type}"``), if it has options."""
    return next((t for t in sorted(OPTIONS_BY_TYPE, key=len, reverse=True) if name.endswith(" " + t)), None)


def variant_rows(products: Iterable[dict], seed: int, min_stock: dict[int, int] | None = None) -> list[dict]:
    """``product_variants`` rows for ``products`` (dicts with id, sku, name, stock), deterministic per product.

    A sold-out product has sold-out variants; ``min_stock`` (product id -> n) keeps the variants of
    some products (the demo ones) at n or more.
    """
    rows: list[dict] = []
    for product in sorted(products, key=lambda p: p["id"]):
        kind = product_type(product["name"])
        if kind is None:
            continue
        sizes, n_colours = OPTIONS_BY_TYPE[kind]
        rng = np.random.default_rng([seed, product["id"]])
        colours = [COLOURS[i] for i in sorted(rng.choice(len(COLOURS), size=n_colours, replace=False))] if n_colours else []
        for size in sizes or (None,):
            for colour in colours or [None]:
                stock = 0 if product["stock"] == 0 or rng.random() < OUT_OF_STOCK_SHARE else int(rng.integers(1, 41))
                stock = max(stock, (min_stock or {}).get(product["id"], 0))
                code = "-".join(part.upper() for part in (size, colour) if part)
                rows.append({"product_id": product["id"], "sku": f"{product['sku']}-{code}", "size": size,
                             "colour": colour, "stock": stock})
    return rows
