"""The 1-5 CSAT rating a shopper types: one parser for the action, the analytics and NLU."""

from __future__ import annotations

import re

WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}

# A whole message that is nothing but a rating: "5", "4 stars", "five!", "3/5", "2 out of 5",
# "⭐⭐⭐". Order numbers are six digits, so a bare 1-5 can mean nothing else here.
_BARE_RATING = re.compile(
    r"^\W*([1-5]|one|two|three|four|five)\s*(?:stars?|/\s*5|out\s+of\s+(?:5|five))?\W*$"
    r"|^\s*⭐{1,5}\s*$",
    re.IGNORECASE,
)


def parse_rating(value: object) -> int | None:
    """1-5 from "4", "4 stars", "four", "⭐⭐⭐"; None when there is no rating or more than one."""
    if value is None:
        return None
    text = str(value).strip().lower()
    stars = text.count("⭐")
    if 1 <= stars <= 5 and not re.search(r"\d", text):
        return stars
    found = re.findall(r"\b([1-5])\b", text) or [WORDS[w] for w in re.findall(r"\b(one|two|three|four|five)\b", text)]
    values = {int(v) for v in found}
    return values.pop() if len(values) == 1 else None


def bare_rating(text: str | None) -> int | None:
    """The rating when the whole message is one ("5", "four stars", "3/5"), else None.

    Stricter than :func:`parse_rating`: "order 3 of 5 is late" is not a bare rating.
    """
    match = _BARE_RATING.match(text or "")
    if match is None:
        return None
    return parse_rating(match.group(1) or text)
