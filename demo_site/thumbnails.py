"""Deterministic product thumbnails: an SVG per product, coloured by category (the catalogue has no photos)."""

from __future__ import annotations

import hashlib
from html import escape

# Hue per category of the demo catalogue; unknown categories get a hue from their name's hash.
CATEGORY_HUES: dict[str, int] = {
    "headphones": 210, "smartphones": 190, "laptop accessories": 235, "kitchen": 15, "coffee": 28,
    "running shoes": 95, "backpacks": 150, "outdoor jackets": 120, "skincare": 330, "board games": 50,
}


def _hue(category: str) -> int:
    return CATEGORY_HUES.get(category.lower(), int(hashlib.sha256(category.encode()).hexdigest()[:4], 16) % 360)


def initials(name: str) -> str:
    """Up to two capital initials of a product name ("Auralis Pulse Headphones" -> "AP")."""
    letters = [w[0] for w in name.split() if w[:1].isalnum()]
    return "".join(letters[:2]).upper() or "?"


def thumbnail_svg(name: str, category: str, size: int = 96) -> str:
    """A ``size`` x ``size`` SVG: category colour, a pattern from the name's hash, the initials.

    The same name and category always give the same bytes.
    """
    digest = hashlib.sha256(f"{category}/{name}".encode()).digest()
    hue = _hue(category)
    circles = "".join(
        f'<circle cx="{digest[i] % size}" cy="{digest[i + 1] % size}" r="{8 + digest[i + 2] % 18}" '
        f'fill="hsl({(hue + digest[i + 3] % 40) % 360},60%,{70 + digest[i + 4] % 15}%)" opacity="0.6"/>'
        for i in range(0, 20, 5)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {size} {size}" role="img" '
        f'aria-label="{escape(name)}"><rect width="{size}" height="{size}" rx="12" fill="hsl({hue},55%,45%)"/>{circles}'
        f'<text x="50%" y="54%" text-anchor="middle" dominant-baseline="middle" font-family="sans-serif" '
        f'font-size="{size // 3}" font-weight="bold" fill="#fff">{escape(initials(name))}</text></svg>'
    )
