"""The masker: what it masks, what it must keep (order and tracking numbers, prices, products), on seeded data too."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from services.pii import ADDRESS, CARD, EMAIL, PHONE, find_pii, luhn_valid, mask_text, mask_value
from services.store.seed.catalogue import generate_products
from services.store.seed.demo import DEMO_CUSTOMERS
from services.store.seed.population import generate_population

MASKED = [
    # emails
    ("my email is alice@example.com", f"my email is {EMAIL}"),
    ("Mail: Ann.Lee+shop@mail.example.co.uk.", f"Mail: {EMAIL}."),
    ("<bob_m-1@sub.example.org>", f"<{EMAIL}>"),
    # phones, international and local
    ("call +44 20 7946 0958 today", f"call {PHONE} today"),
    ("+1 (503) 555-0123", PHONE),
    ("+447700900123", PHONE),
    ("+49 30 123456", PHONE),
    ("+33 6 12 34 56 78", PHONE),
    ("(503) 555-0123", PHONE),
    ("503-555-0123", PHONE),
    ("503.555.0123", PHONE),
    ("503 555 0123", PHONE),
    ("1-800-555-0199", PHONE),
    ("020 7946 0958", PHONE),
    ("07700 900123", PHONE),
    ("06 12 34 56 78", PHONE),
    ("0161 496 0000", PHONE),
    ("ring 5035550123 after 5", f"ring {PHONE} after 5"),
    ("my number is 555-0123", f"my number is {PHONE}"),
    # street addresses (US, UK style, lower case, with unit and city/state/ZIP)
    ("ship to 12 Harbour St, Portland, OR 97201 instead", f"ship to {ADDRESS} instead"),
    ("48 pine rd, denver, co 80202", ADDRESS),
    ("sent to 12 Harbour St, Portland, OR 97201 yesterday", f"sent to {ADDRESS} yesterday"),
    ("change it to 7 Bay Rd, Boston, MA 02108.", f"change it to {ADDRESS}."),
    ("221B Baker Street", ADDRESS),
    ("I live at 3 Main Street Apt 4B", f"I live at {ADDRESS}"),
    ("1600 Pennsylvania Avenue NW is wrong", f"{ADDRESS} is wrong"),
    ("12 Lake Dr", ADDRESS),
    ("it should go to 90 Cedar Ln please", f"it should go to {ADDRESS} please"),
    ("10 Downing Street, London SW1A 2AA", ADDRESS),
    ("12 HARBOUR ST", ADDRESS),
    ("PO Box 1234", ADDRESS),
    ("P.O. Box 77", ADDRESS),
    # card numbers that pass the Luhn check, with and without separators
    ("card 4111 1111 1111 1111 exp 12/27", f"card {CARD} exp 12/27"),
    ("4111-1111-1111-1111", CARD),
    ("4111111111111111", CARD),
    ("5555 5555 5555 4444", CARD),
    ("amex 3782 822463 10005", f"amex {CARD}"),
    ("6011000990139424", CARD),
    # several at once
    ("I'm alice@example.com, 503-555-0123, 12 Harbour St.", f"I'm {EMAIL}, {PHONE}, {ADDRESS}"),
]

KEPT = [
    "where is my order 100234?",
    "orders 100234, 100235 and 100240",
    "orders 100234 100235 100240",
    "order #100241 is late",
    "tracking 1Z4A7F390312448861",
    "FedEx FX771200458193 and DHL JD123456789012",
    "USPS 94123456789012",
    "ups 1z4a7f390312448861",
    "it cost $149.99 and the case $19",
    "total 1,299.00 USD",
    "£1299.50",
    "delivered on 2026-11-22 at 10:30",
    "placed 22/11/2026",
    "I want 2 Wireless Headphones and 1 Phone Case",
    "I ordered 2 Stridelab Drift Road Running Shoes",
    "a 2 hour drive.",
    "3 ways to pay",
    "I paid 12 dollars on Main St",
    "my zip is 97201",
    "customer C-1001",
    "Sunscreen SPF 50",
    "It has been 14 days, 3 weeks really",
    "my parcel number is 1Z 999 AA1 01 2345 6784",
    "The USPS tracking number is 9400 1000 0000 0000 0000 00, ok",
    "tracking: 4111 1111 1111 1111 0000 12",  # a Luhn-valid prefix inside a longer number is no card
    "the receipt number is 0161 496 0000",
    "I WILL SEND THE 5S BACK EITHER WAY",
    "4111111111111112",  # 16 digits, fails the Luhn check
    "4111 1111 1111 1112",
    "version 3.6.21 on 127.0.0.1:5055",
    "request 123e4567-e89b-12d3-a456-426614174000",
    "ticket 42 opened",
    "rated 5 out of 5",
    "hello there",
    "",
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_masks_personal_data(text: str, expected: str) -> None:
    assert mask_text(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_keeps_what_is_not_personal(text: str) -> None:
    assert mask_text(text) == text


def test_tracking_number_next_to_a_phone_keeps_the_tracking_and_masks_the_phone() -> None:
    assert mask_text("1Z4A7F390312448861 / 503-555-0123") == f"1Z4A7F390312448861 / {PHONE}"
    assert mask_text("tracking 1234567890 and my phone 503-555-0123") == f"tracking 1234567890 and my phone {PHONE}"


def test_a_card_is_masked_even_when_quoted_as_a_reference() -> None:
    assert mask_text("ref 4111 1111 1111 1111") == f"ref {CARD}"


def test_a_phone_running_into_an_address_is_cut_before_it() -> None:
    assert mask_text("+44 20 7946 0958 12 Harbour St") == f"{PHONE} {ADDRESS}"


def test_masking_is_idempotent() -> None:
    once = mask_text(MASKED[-1][0] + " card 4111 1111 1111 1111")
    assert mask_text(once) == once


def test_findings_are_ordered_and_do_not_overlap() -> None:
    text = "bob@example.com 4111 1111 1111 1111 +44 20 7946 0958 12 Harbour St"
    findings = find_pii(text)
    assert [f.placeholder for f in findings] == [EMAIL, CARD, PHONE, ADDRESS]
    assert all(a.end <= b.start for a, b in zip(findings, findings[1:]))


def test_luhn() -> None:
    assert luhn_valid("79927398713") and luhn_valid("4111111111111111")
    assert not luhn_valid("79927398710") and not luhn_valid("4111111111111112")


def test_mask_value_walks_nested_structures_and_keeps_keys_and_non_strings() -> None:
    value = {"alice@example.com": ["call 503-555-0123", ("12 Harbour St",)], "n": 100234, "ok": True, "none": None}
    assert mask_value(value) == {"alice@example.com": [f"call {PHONE}", (ADDRESS,)], "n": 100234, "ok": True, "none": None}


@pytest.fixture(scope="module")
def population():
    products = generate_products(np.random.default_rng(7))
    return generate_population(products, np.random.default_rng(7), dt.date(2026, 11, 22), n_customers=300)


def test_every_seeded_order_and_tracking_number_survives(population) -> None:
    numbers = [str(o["id"]) for o in population.orders] + [s["tracking_number"] for s in population.shipments]
    text = " ".join(numbers)
    assert len(numbers) > 1000
    assert mask_text(text) == text


def test_every_seeded_address_and_email_is_masked(population) -> None:
    for customer in [*population.customers[:200], *DEMO_CUSTOMERS]:
        assert mask_text(f"it's {customer['email']}") == f"it's {EMAIL}"
    for order in population.orders[:300]:
        assert mask_text(f"send it to {order['shipping_address']} please") == f"send it to {ADDRESS} please"
