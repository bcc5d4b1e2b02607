"""The FAQ answers (domain.yml ``utter_faq/*``), the policy documents and the code state the same facts.

Closed world: every quantity (days, hours, prices, times of day, counts) written in a document
must be one the FAQ answers or the code also state, listed in KNOWN_ELSEWHERE with its source.
Changing "30 days" in one place and not the others fails here.
"""

from __future__ import annotations

import re

import pytest
import yaml

from services.knowledge.documents import KNOWLEDGE_DIR, load_passages
from services.settings import PROJECT_ROOT
from services.store.identity import MAX_VERIFICATION_ATTEMPTS
from services.store.order_view import RETURN_WINDOW_DAYS
from services.store.seed.catalogue import CATEGORIES
from services.store.seed.population import CARRIERS
from services.store.seed.warranty import ELECTRONICS, ELECTRONICS_MONTHS, OTHER_MONTHS
from services.store.tickets import TRANSCRIPT_TURNS

RESPONSES = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())["responses"]
FAQ = {name.split("/", 1)[1]: variants[0]["text"] for name, variants in RESPONSES.items() if name.startswith("utter_faq/")}
DOCUMENT_OF_TOPIC = {
    "returns_window": "returns", "exchanges": "exchanges", "warranty": "warranty",
    "shipping_costs": "shipping", "shipping_times": "shipping", "international_shipping": "shipping",
    "payment_methods": "payments", "gift_cards": "payments", "price_match": "payments", "discount_codes": "payments",
    "account_password": "accounts", "contact_hours": "accounts",
}
UNIT = r"(?:business days?|days?|hours?|years?|weeks?|months?|countries|failed attempts?|messages|digit)"
QUANTITY = re.compile(rf"\$\d+(?:\.\d\d)?|\b\d{{1,2}} ?(?:am|pm)\b|\b\d+(?:-\d+)?[- ]{UNIT}\b|\b24/7\b", re.IGNORECASE)
# Quantities the documents share with the code rather than with an FAQ answer.
KNOWN_ELSEWHERE = {
    f"{RETURN_WINDOW_DAYS} day": "services/store/order_view.py RETURN_WINDOW_DAYS (return and exchange window)",
    "14 day": "actions/order_requests.py: drop the return parcel within 14 days",
    "5-7 business day": "refund times in actions/order_requests.py and actions/dialogue/order_replies.py",
    "3-5 business day": "domain.yml utter_payment_problem: duplicate payments reversed",
    "3 business day": "actions/dialogue/order_replies.py: replacement or refund for late parcels",
    "1-2 week": "actions/answers.py: restocks usually take 1-2 weeks",
    f"{MAX_VERIFICATION_ATTEMPTS} failed attempt": "services/store/identity.py MAX_VERIFICATION_ATTEMPTS",
    f"{TRANSCRIPT_TURNS} message": "services/store/tickets.py TRANSCRIPT_TURNS (turns attached to a ticket)",
    "6 digit": "services/store/identity.py ORDER_NUMBER_RE (6-digit order numbers)",
    "10 business day": "documents only: usual repair time (no code states it)",
}


def normalise(quantity: str) -> str:
    """``"2-year"`` and ``"2 years"`` -> ``"2 year"``; ``"2 pm"`` -> ``"2 pm"``; ``"30 Days"`` -> ``"30 day"``."""
    text = re.sub(r"(\d)[- ](?=[a-z])", r"\1 ", quantity.lower().strip())
    text = re.sub(r"(\d)(am|pm)\b", r"\1 \2", text)
    return re.sub(r"(day|hour|year|week|month|attempt|message)s\b", r"\1", text)


def quantities(text: str) -> set[str]:
    return {normalise(m.group(0)) for m in QUANTITY.finditer(text)}


def document_text(document: str) -> str:
    return " ".join(p.text for p in load_passages() if p.document == document)


def test_the_quantity_reader_sees_what_a_policy_states() -> None:
    assert quantities("free over $50, else $4.95; 3-5 business days; a 2-year warranty or 1 year; before 2 pm; 24/7") == {
        "$50", "$4.95", "3-5 business day", "2 year", "1 year", "2 pm", "24/7"}
    assert quantities("within 30 days of delivery, after 3 failed attempts, the last 10 messages") == {
        "30 day", "3 failed attempt", "10 message"}


def test_every_faq_topic_has_a_document() -> None:
    assert set(FAQ) == set(DOCUMENT_OF_TOPIC), "a new FAQ topic needs its document in DOCUMENT_OF_TOPIC"
    assert set(DOCUMENT_OF_TOPIC.values()) <= {path.stem for path in KNOWLEDGE_DIR.glob("*.md")}


@pytest.mark.parametrize("topic", sorted(DOCUMENT_OF_TOPIC))
def test_the_document_states_every_quantity_of_the_faq_answer(topic: str) -> None:
    missing = quantities(FAQ[topic]) - quantities(document_text(DOCUMENT_OF_TOPIC[topic]))
    assert not missing, f"utter_faq/{topic} says {sorted(missing)}, {DOCUMENT_OF_TOPIC[topic]}.md does not"


@pytest.mark.parametrize("document", sorted(set(DOCUMENT_OF_TOPIC.values()) | {"privacy"}))
def test_the_document_states_no_quantity_the_faq_answers_and_the_code_do_not(document: str) -> None:
    known = set().union(*(quantities(text) for text in FAQ.values())) | set(KNOWN_ELSEWHERE)
    unknown = quantities(document_text(document)) - known
    assert not unknown, f"{document}.md states {sorted(unknown)}: agree them with the FAQ or the code, then list them here"


def test_the_return_and_exchange_windows_are_the_code_constant() -> None:
    window = f"{RETURN_WINDOW_DAYS} days"
    assert f"within {window} of delivery" in FAQ["returns_window"]
    assert f"within {window}" in FAQ["exchanges"]
    assert f"within {window} of delivery" in document_text("returns")
    assert f"open for {window} from delivery" in document_text("exchanges")


def test_the_carriers_are_the_ones_orders_ship_with() -> None:
    named = set(re.search(r"We ship with ([^.]+)\.", document_text("shipping")).group(1).replace(" and ", ", ").split(", "))
    assert named == set(CARRIERS)


def payment_methods(text: str) -> list[str]:
    listed = re.search(r"We accept ([^.]+)\.", text).group(1)
    return [m.strip() for m in re.split(r",| and ", listed) if m.strip()]


def test_the_payment_methods_are_the_same_list() -> None:
    assert payment_methods(document_text("payments")) == payment_methods(FAQ["payment_methods"])


def test_the_warranty_periods_are_the_ones_claims_are_checked_against() -> None:
    text = document_text("warranty")
    electronics = re.search(r"Electronics \(([^)]+)\) come with a (\d+)-year warranty", text)
    everything_else = re.search(r"Everything else we sell is covered for (\d+) year", text)
    assert set(electronics.group(1).replace(" and ", ", ").split(", ")) == set(ELECTRONICS)
    assert set(ELECTRONICS) <= {c.name for c in CATEGORIES}
    assert int(electronics.group(2)) * 12 == ELECTRONICS_MONTHS
    assert int(everything_else.group(1)) * 12 == OTHER_MONTHS
    assert f"{ELECTRONICS_MONTHS // 12}-year warranty" in FAQ["warranty"]
    assert f"covered for {OTHER_MONTHS // 12} year" in FAQ["warranty"]


@pytest.mark.parametrize("fact", ["one discount code per order", "never expire", "Forgot password", "support@harborandpine.example"])
def test_worded_facts_appear_in_both(fact: str) -> None:
    faq_text = " ".join(FAQ.values())
    documents = " ".join(p.text for p in load_passages())
    assert fact.lower() in faq_text.lower() and fact.lower() in documents.lower()
