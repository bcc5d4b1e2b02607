"""Masking of personal data in free text: emails, phone numbers, street addresses, card numbers.

    mask_text("mail me at ann@example.com or +44 20 7946 0958")
    # -> "mail me at [EMAIL] or [PHONE]"

What the assistant and an agent need stays: order numbers (6 digits), tracking numbers (the
formats of ``services/store/seed/population.py``), customer ids, prices, dates and ZIP codes on
their own. Card-like numbers are masked only when their digits pass the Luhn check; addresses
need a house number, a street name and a street word (``12 Harbour St``, ``221B Baker Street``),
followed by the end of the phrase, so "2 Drift Road Running Shoes" is a product, not an address.
A number quoted as a tracking, parcel or receipt number is not taken for a phone number.
Masking is idempotent: placeholders contain nothing that matches again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

EMAIL = "[EMAIL]"
PHONE = "[PHONE]"
ADDRESS = "[ADDRESS]"
CARD = "[CARD]"

# Protected, never masked: the tracking numbers the store issues (UPS 1Z..., FedEx FX..., DHL JD..., USPS 94...).
TRACKING_NUMBER_RE = re.compile(r"(?<![\w-])(?:1Z[0-9A-Z]{12,16}|(?:FX|JD)\d{12}|94\d{12})(?![\w-])", re.IGNORECASE)

# Protected from the phone detector: what a shopper quotes as a tracking, parcel or receipt number
# ("tracking 1234567890", "parcel number is 1Z 999 AA1 01 2345 6784"). Card numbers are still masked.
_ID_TOKEN = r"(?=[A-Za-z]*\d)[A-Za-z0-9]{1,35}(?![A-Za-z0-9])"  # has a digit: "and", "my" end the id
QUOTED_ID_RE = re.compile(
    r"(?i:\b(?:tracking|parcel|package|receipt|consignment|shipment|waybill|awb|reference|ref|invoice|ticket|case))"
    r"(?:\s+(?i:number|no\.?|num|code|id|is|was|it's|its))*\s*[:#]?\s*"
    rf"(?P<id>{_ID_TOKEN}(?:[ -]{_ID_TOKEN}){{0,7}})"
)

EMAIL_RE = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.[A-Za-z]{2,24}(?![\w-])"
)

_NOT_AFTER = r"(?<![\w+./:-])"  # not glued to a word, a price, a version, a time or another number
_NOT_BEFORE = r"(?![\w/-]|[.,:]\d)"
CARD_RE = re.compile(
    _NOT_AFTER + r"(?:\d{13,19}"  # contiguous
    r"|\d{4}([ -])\d{4}(?:\1\d{4}){1,2}(?:\1\d{1,4})?"  # 4-4-4-4, 4-4-4-1..4, 4-4-4-4-1..4
    r"|\d{4}([ -])\d{6}\2\d{4,5})"  # Amex 4-6-5, Diners 4-6-4
    + _NOT_BEFORE + r"(?![ -]\d)"  # a card number does not run on into more digit groups
)
# (pattern, fewest digits); none allows more than 15 digits, the most E.164 has.
PHONE_RES: tuple[tuple[re.Pattern[str], int], ...] = (
    # International: +CC then groups, optionally with an area code in brackets.
    (re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]?(?:\(\d{1,4}\)|\d{1,5})){1,6}" + _NOT_BEFORE), 8),
    # North American, with separators: (503) 555-0123, 503-555-0123, 503.555.0123, 1-800-555-0199.
    (re.compile(_NOT_AFTER + r"(?:1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}" + _NOT_BEFORE), 10),
    # Trunk-prefixed local numbers in groups: 020 7946 0958, 07700 900123, 06 12 34 56 78.
    (re.compile(_NOT_AFTER + r"0\d{1,4}(?:[ .-]\d{2,6}){1,4}" + _NOT_BEFORE), 9),
    # Ten or eleven digits in one run (order numbers have six, tracking numbers a prefix).
    (re.compile(_NOT_AFTER + r"\d{10,11}" + _NOT_BEFORE), 10),
    # Short local numbers: 555-0123.
    (re.compile(_NOT_AFTER + r"\d{3}-\d{4}" + _NOT_BEFORE), 7),
)
MAX_PHONE_DIGITS = 15

_ANY_CASE_STREET_WORDS = (
    "street", "st", "road", "rd", "avenue", "ave", "av", "lane", "ln", "boulevard", "blvd", "highway", "hwy",
    "parkway", "pkwy", "terrace", "terr", "crescent", "cres", "square", "sq",
)
# Ordinary English words as well ("a 2 hour drive", "5S BACK EITHER WAY"): only capitalised are they street words.
_TITLE_STREET_WORDS = ("Drive", "Dr", "Court", "Ct", "Place", "Pl", "Way", "Close", "Row", "Walk", "Circle", "Cir", "Gardens")
_STOP_WORDS = ("on", "in", "at", "to", "for", "and", "or", "of", "from", "by", "the", "a", "an", "my", "your", "our",
               "per", "x", "with", "is", "are", "was", "items", "item", "pairs", "pair", "days", "weeks", "hours")


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


_STREET_WORD = (
    rf"(?:(?i:{_alternation(_ANY_CASE_STREET_WORDS)})"
    rf"|{_alternation(_TITLE_STREET_WORDS)})\b\.?"
)
_NAME_WORD = rf"(?!(?i:{_alternation(_STOP_WORDS)})\b)[A-Za-z][A-Za-z'-]*\.?"
_DIRECTION = r"(?:\s+(?:N|S|E|W|NE|NW|SE|SW)\b\.?)"
_UNIT = r"(?:,?\s+(?i:apt|apartment|unit|suite|ste|flat)\.?\s*#?\s*\w+|,?\s*#\s*\d+\w*)"
_CITY_STATE_ZIP = (
    r"(?:,?\s+[A-Za-z][A-Za-z.'-]*(?:\s+[A-Za-z][A-Za-z.'-]*){0,2},?\s+[A-Za-z]{2}\s+\d{5}(?:-\d{4})?"  # Portland, OR 97201
    r"|,?\s+(?:[A-Za-z][A-Za-z.'-]*,?\s+){0,3}[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}"  # London SW1A 2AA
    r"|,?\s+\d{5}(?:-\d{4})?)"  # ZIP only
)
# An address ends with a ZIP or postcode, or ends its phrase: punctuation, the end, or a word that does not continue a name.
_ADDRESS_END = (
    r"(?=\s*(?:$|[,.;:!?)\]\"'\n])|\s+(?i:and|or|but|please|instead|thanks|thank|in|for|so|asap|now|then|not|to|is|was"
    r"|as|if|by|from|on|since|because)\b)"
)
ADDRESS_RES: tuple[re.Pattern[str], ...] = (
    re.compile(
        r"(?<![\w$£€#.,:/-])\d{1,5}[A-Za-z]?(?:-\d{1,5})?\s+" + rf"(?:{_NAME_WORD}\s+){{1,3}}{_STREET_WORD}"
        + rf"{_DIRECTION}?{_UNIT}?(?:{_CITY_STATE_ZIP}(?![\w-])|{_ADDRESS_END})"
    ),
    re.compile(r"(?<!\w)(?i:p\.?\s?o\.?\s?box)\s+\d{1,6}(?!\w)"),
)


def luhn_valid(digits: str) -> bool:
    """True when the digit string passes the Luhn checksum (as every payment card number does)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _is_card(candidate: str) -> bool:
    digits = _digits(candidate)
    return 13 <= len(digits) <= 19 and luhn_valid(digits)


def _phone_check(fewest_digits: int) -> Callable[[str], bool]:
    return lambda candidate: fewest_digits <= len(_digits(candidate)) <= MAX_PHONE_DIGITS


@dataclass(frozen=True)
class Finding:
    """One span of personal data: ``text[start:end]`` is replaced by ``placeholder``."""

    start: int
    end: int
    placeholder: str


_DETECTORS: tuple[tuple[str, re.Pattern[str], Callable[[str], bool] | None], ...] = (
    (EMAIL, EMAIL_RE, None),
    (CARD, CARD_RE, _is_card),
    *((ADDRESS, pattern, None) for pattern in ADDRESS_RES),
    *((PHONE, pattern, _phone_check(fewest)) for pattern, fewest in PHONE_RES),
)


def find_pii(text: str) -> list[Finding]:
    """The personal data in ``text``, left to right, without overlaps (earlier detectors win)."""
    taken: list[tuple[int, int]] = [m.span() for m in TRACKING_NUMBER_RE.finditer(text)]
    quoted_ids = [m.span("id") for m in QUOTED_ID_RE.finditer(text)]
    found: list[Finding] = []
    for placeholder, pattern, valid in _DETECTORS:
        for match in pattern.finditer(text):
            start, end = match.span()
            blocked = taken + quoted_ids if placeholder == PHONE else taken
            overlapping = [t_start for t_start, t_end in blocked if start < t_end and t_start < end]
            if overlapping:
                # "+44 20 7946 0958 12 Harbour St": the phone ran into the address; retry up to what is taken.
                if min(overlapping) <= start:
                    continue
                match = pattern.match(text, start, min(overlapping))
                if match is None:
                    continue
                end = match.end()
            if valid is not None and not valid(match.group()):
                continue
            taken.append((start, end))
            found.append(Finding(start, end, placeholder))
    return sorted(found, key=lambda f: f.start)


def mask_text(text: str) -> str:
    """``text`` with every email, phone number, street address and card number replaced by its placeholder."""
    if not text or not any(ch.isdigit() or ch == "@" for ch in text):
        return text  # every detector needs a digit or an @: the common case costs one scan
    out, last = [], 0
    for finding in find_pii(text):
        out.append(text[last:finding.start])
        out.append(finding.placeholder)
        last = finding.end
    out.append(text[last:])
    return "".join(out)


def mask_value(value: Any) -> Any:
    """A copy of ``value`` with every string inside it (dict values, list items) masked; keys are kept."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(mask_value(v) for v in value)
    return value
