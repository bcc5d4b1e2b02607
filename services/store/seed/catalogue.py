"""The product catalogue: vocabulary and a seeded generator.

Product names are ``"{brand} {line} {type}"``; each type has a base price, tags and
complementary types (items bought together), which the order generator uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

LINES = (
    "Pulse", "Wave", "Echo", "Drift", "Nova", "Summit", "Ember", "Atlas",
    "Breeze", "Orbit", "Lumen", "Trail", "Harbor", "Pine", "Vale", "Crest",
)


@dataclass(frozen=True)
class ProductType:
    name: str
    base_price: float
    tags: tuple[str, ...]
    complements: tuple[str, ...] = ()


@dataclass(frozen=True)
class Category:
    name: str
    brands: tuple[str, ...]
    types: tuple[ProductType, ...] = field(default_factory=tuple)


CATEGORIES: tuple[Category, ...] = (
    Category("headphones", ("Auralis", "Sonora"), (
        ProductType("Wireless Headphones", 149, ("wireless", "noise-cancelling", "bluetooth"), ("Fast Charger", "Travel Backpack")),
        ProductType("Earbuds", 89, ("wireless", "compact", "bluetooth"), ("Phone Case", "Fast Charger")),
        ProductType("Studio Headphones", 199, ("wired", "studio", "hi-fi"), ("USB-C Hub",)),
        ProductType("Sport Earbuds", 69, ("wireless", "sweat-proof", "sport"), ("Road Running Shoes", "Running Socks")),
    )),
    Category("smartphones", ("Nimbus", "Vertex"), (
        ProductType("Smartphone", 599, ("5g", "camera", "flagship"), ("Phone Case", "Screen Protector", "Fast Charger", "Earbuds")),
        ProductType("Phone Case", 29, ("protective", "slim"), ("Screen Protector",)),
        ProductType("Fast Charger", 35, ("usb-c", "fast-charging"), ("Phone Case",)),
        ProductType("Screen Protector", 19, ("tempered-glass",), ("Phone Case",)),
    )),
    Category("laptop accessories", ("Keyforge", "Portline"), (
        ProductType("Laptop Stand", 49, ("ergonomic", "aluminium"), ("Wireless Mouse", "Mechanical Keyboard")),
        ProductType("USB-C Hub", 59, ("usb-c", "hdmi"), ("Laptop Stand",)),
        ProductType("Wireless Mouse", 39, ("wireless", "ergonomic"), ("Mechanical Keyboard", "Laptop Stand")),
        ProductType("Mechanical Keyboard", 119, ("mechanical", "backlit"), ("Wireless Mouse",)),
        ProductType("Laptop Sleeve", 35, ("padded", "slim"), ("Laptop Backpack",)),
    )),
    Category("kitchen", ("Copperleaf", "Hearthware"), (
        ProductType("Chef Knife", 79, ("steel", "professional"), ("Cutting Board",)),
        ProductType("Cast Iron Skillet", 55, ("cast-iron", "oven-safe"), ("Chef Knife",)),
        ProductType("Nonstick Pan", 45, ("nonstick", "induction"), ("Cutting Board",)),
        ProductType("Cutting Board", 32, ("wood", "eco"), ("Chef Knife",)),
        ProductType("Stand Mixer", 299, ("baking", "electric"), ("Nonstick Pan",)),
    )),
    Category("coffee", ("Roastwell", "Crema & Co"), (
        ProductType("Espresso Machine", 449, ("espresso", "electric"), ("Burr Grinder", "Coffee Beans", "Milk Frother")),
        ProductType("Burr Grinder", 129, ("grinder", "electric"), ("Coffee Beans",)),
        ProductType("Pour-Over Kettle", 59, ("pour-over", "gooseneck"), ("Coffee Beans", "Burr Grinder")),
        ProductType("Coffee Beans", 18, ("single-origin", "organic"), ("Milk Frother",)),
        ProductType("Milk Frother", 39, ("milk", "electric"), ("Coffee Beans",)),
    )),
    Category("running shoes", ("Stridelab", "Fleetfoot"), (
        ProductType("Road Running Shoes", 129, ("road", "cushioned"), ("Running Socks", "Sport Earbuds")),
        ProductType("Trail Running Shoes", 139, ("trail", "grip", "waterproof"), ("Running Socks", "Hydration Pack")),
        ProductType("Racing Flats", 159, ("race", "lightweight"), ("Running Socks",)),
        ProductType("Running Socks", 15, ("merino", "breathable"), ("Road Running Shoes",)),
    )),
    Category("backpacks", ("Packwell", "Ridgeline"), (
        ProductType("Daypack", 69, ("hiking", "lightweight"), ("Rain Jacket", "Hydration Pack")),
        ProductType("Travel Backpack", 129, ("travel", "carry-on"), ("Laptop Sleeve",)),
        ProductType("Laptop Backpack", 89, ("commute", "padded"), ("Laptop Sleeve", "USB-C Hub")),
        ProductType("Hydration Pack", 59, ("hydration", "trail"), ("Trail Running Shoes",)),
    )),
    Category("outdoor jackets", ("Ridgeline", "Northpeak"), (
        ProductType("Rain Jacket", 149, ("waterproof", "packable"), ("Daypack",)),
        ProductType("Down Jacket", 229, ("warm", "down"), ("Fleece Jacket",)),
        ProductType("Fleece Jacket", 79, ("fleece", "warm"), ("Rain Jacket",)),
        ProductType("Softshell Jacket", 129, ("softshell", "windproof"), ("Daypack",)),
    )),
    Category("skincare", ("Dewbloom", "Purecalm"), (
        ProductType("Moisturizer", 32, ("hydrating", "vegan"), ("Cleanser", "Sunscreen SPF 50")),
        ProductType("Sunscreen SPF 50", 24, ("spf", "vegan"), ("Moisturizer",)),
        ProductType("Face Serum", 45, ("serum", "vitamin-c"), ("Moisturizer",)),
        ProductType("Cleanser", 22, ("gentle", "vegan"), ("Moisturizer", "Face Serum")),
        ProductType("Lip Balm", 9, ("spf", "compact"), ("Moisturizer",)),
    )),
    Category("board games", ("Meeple House", "Tabletop Co"), (
        ProductType("Strategy Game", 59, ("strategy", "2-4 players"), ("Card Game",)),
        ProductType("Party Game", 29, ("party", "6+ players"), ("Card Game",)),
        ProductType("Family Game", 39, ("family", "kids"), ("Puzzle",)),
        ProductType("Card Game", 19, ("cards", "travel"), ("Party Game",)),
        ProductType("Puzzle", 25, ("puzzle", "1000 pieces"), ("Family Game",)),
    )),
)

# Products the demo records and documentation refer to: always generated.
FIXED_PRODUCTS: tuple[tuple[str, str, str], ...] = (
    ("Auralis", "Pulse", "Wireless Headphones"),
    ("Nimbus", "Nova", "Smartphone"),
    ("Vertex", "Orbit", "Phone Case"),
    ("Stridelab", "Drift", "Trail Running Shoes"),
    ("Ridgeline", "Summit", "Rain Jacket"),
    ("Roastwell", "Nova", "Espresso Machine"),
    ("Crema & Co", "Drift", "Burr Grinder"),
    ("Keyforge", "Atlas", "USB-C Hub"),
    ("Dewbloom", "Vale", "Face Serum"),
    ("Meeple House", "Orbit", "Strategy Game"),
)

PRODUCTS_PER_CATEGORY = 32


@dataclass(frozen=True)
class GeneratedProduct:
    id: int
    sku: str
    name: str
    category: str
    brand: str
    type_name: str
    price: float
    stock: int
    tags: tuple[str, ...]
    description: str
    popularity: float  # latent weight used by the order generator, not stored


def type_index() -> dict[str, tuple[Category, ProductType]]:
    """Map a product type name to its category and type."""
    return {t.name: (c, t) for c in CATEGORIES for t in c.types}


def generate_products(rng: np.random.Generator, per_category: int = PRODUCTS_PER_CATEGORY) -> list[GeneratedProduct]:
    """Generate ``per_category`` products in each category, ids from 1, in a stable order."""
    products: list[GeneratedProduct] = []
    fixed = {(b, line, t) for b, line, t in FIXED_PRODUCTS}
    for category in CATEGORIES:
        combos = [(b, line, t) for t in category.types for b in category.brands for line in LINES]
        chosen = [c for c in combos if (c[0], c[1], c[2].name) in fixed]
        rest = [c for c in combos if c not in chosen]
        order = rng.permutation(len(rest))
        chosen += [rest[i] for i in order[: per_category - len(chosen)]]
        chosen.sort(key=lambda c: (c[2].name, c[0], c[1]))
        for brand, line, ptype in chosen:
            pid = len(products) + 1
            price = round(ptype.base_price * float(rng.lognormal(0.0, 0.25))) - 0.01
            stock = 0 if rng.random() < 0.08 else int(rng.integers(3, 200))
            extra = ("bestseller",) if rng.random() < 0.1 else ()
            products.append(
                GeneratedProduct(
                    id=pid,
                    sku=f"HP-{pid:05d}",
                    name=f"{brand} {line} {ptype.name}",
                    category=category.name,
                    brand=brand,
                    type_name=ptype.name,
                    price=max(price, 4.99),
                    stock=stock,
                    tags=ptype.tags + extra,
                    description=f"The {line} {ptype.name.lower()} by {brand}: {', '.join(ptype.tags)}.",
                    popularity=float(rng.lognormal(0.0, 0.9)),
                )
            )
    return products
