"""The running assistant over the REST channel: identity, order flows, mood regulation, handoff.

Each test uses its own conversation id; the seeded database is shared, so tests that
change an order use an order no other test reads.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from services.handback_cli import hand_back
from services.store.db import session_scope
from services.store.models import CsatRating, Order, Ticket
from tests.e2e.conftest import SECRETS, Assistant


def sender() -> str:
    return f"e2e-{uuid.uuid4().hex[:10]}"


def events(assistant: Assistant, conversation: str) -> list[str]:
    return [e["event"] for e in assistant.tracker(conversation)["events"]]


def test_known_shopper_gets_order_status_with_carrier_and_tracking(assistant: Assistant) -> None:
    reply = assistant.say(sender(), "where is my order 100234?", customer_id="C-1001")
    assert "UPS" in reply and "1Z4A7F390312448861" in reply
    assert "Auralis Pulse Wireless Headphones" in reply


def test_known_shopper_without_a_number_sees_recent_orders(assistant: Assistant) -> None:
    reply = assistant.say(sender(), "what's the status of my orders", customer_id="C-1001")
    assert "100234" in reply and "100235" in reply


def test_unverified_shopper_is_verified_before_any_order_detail(assistant: Assistant) -> None:
    s = sender()
    first = assistant.say(s, "where is my order 100234")
    assert "email" in first.lower() and "UPS" not in first and "1Z4A7F" not in first
    wrong = assistant.say(s, "bob@example.com")
    assert "couldn't verify" in wrong.lower() and "UPS" not in wrong and "Headphones" not in wrong
    assert "order number" in wrong.lower()
    assistant.say(s, "100234")
    right = assistant.say(s, "alice@example.com")
    assert "1Z4A7F390312448861" in right


def test_unverified_shopper_learns_nothing_about_someone_elses_order(assistant: Assistant) -> None:
    s = sender()
    replies = [assistant.say(s, "I want the status of order 100240")]
    # Another customer's real email first, then made-up ones (other tests still verify Alice on this
    # shared database, and failures against her record count across conversations).
    for email in ("alice@example.com", "mallory@example.com", "eve@example.com"):
        replies.append(assistant.say(s, email))
        replies.append(assistant.say(s, "100240"))
    everything = "\n".join(replies)
    for secret in ("FedEx", "FX771200458193", "Trail Running Shoes", "delivered", "Bob", "Denver"):
        assert secret not in everything
    assert "agent" in everything.lower() or "person" in everything.lower()


def test_nonexistent_and_foreign_orders_get_the_same_answer(assistant: Assistant) -> None:
    foreign = assistant.say(sender(), "status of order 100240 please", customer_id="C-1001")
    missing = assistant.say(sender(), "status of order 999998 please", customer_id="C-1001")
    assert "can't find an order with that number" in foreign
    assert foreign.replace("100240", "N") == missing.replace("999998", "N")


def test_cancel_asks_for_confirmation_then_updates_the_database(assistant: Assistant) -> None:
    s = sender()
    question = assistant.say(s, "please cancel order 100235", customer_id="C-1001")
    assert "Shall I cancel order 100235" in question
    with session_scope(assistant.database_url) as session:
        assert session.get(Order, 100235).status == "placed"
    done = assistant.say(s, "yes", customer_id="C-1001")
    assert "cancelled" in done.lower()
    with session_scope(assistant.database_url) as session:
        order = session.get(Order, 100235)
        assert (order.status, order.payment_status) == ("cancelled", "refunded")


def test_cancel_of_a_shipped_order_is_refused_and_changes_nothing(assistant: Assistant) -> None:
    reply = assistant.say(sender(), "cancel my order 100234", customer_id="C-1001")
    assert "already shipped" in reply
    with session_scope(assistant.database_url) as session:
        assert session.get(Order, 100234).status == "shipped"


def test_angry_shopper_with_a_delayed_order_gets_an_apology_and_the_status(assistant: Assistant) -> None:
    reply = assistant.say(sender(), "Where the hell is my order 100241?! This is completely unacceptable, you people are useless!",
                          customer_id="C-1002")
    assert "sorry" in reply.lower()
    assert "running late" in reply and "FX771200902247" in reply
    assert reply.lower().index("sorry") < reply.index("running late")
    assert "picks" not in reply.lower() and "recommend" not in reply.lower()


def test_one_angry_message_from_an_anonymous_shopper_gets_an_apology_and_the_verification_question(assistant: Assistant) -> None:
    """The form that asks for the order number activates on the same message; the anger counts once."""
    s = sender()
    reply = assistant.say(s, "I am furious, my order never came and nobody answers")
    assert "sorry" in reply.lower() and "order number" in reply
    assert "didn't understand" not in reply and "ticket #" not in reply
    slots = assistant.tracker(s)["slots"]
    assert slots["escalate"] is False and len(slots["emotion_history"]) == 1


def test_repeated_anger_opens_a_ticket_and_pauses_the_conversation(assistant: Assistant) -> None:
    s = sender()
    assistant.say(s, "Where the hell is my order 100241?! This is completely unacceptable, you people are useless!", customer_id="C-1002")
    reply = assistant.say(s, "That's NOT good enough. I am furious, this is the worst service I have ever had!!", customer_id="C-1002")
    assert "ticket #" in reply
    with session_scope(assistant.database_url) as session:
        ticket = session.execute(select(Ticket).where(Ticket.sender_id == s)).scalar_one()
        assert ticket.customer_id == "C-1002" and ticket.status == "open"
        assert ticket.order_id == 100241
        assert [t["label"] for t in ticket.emotion_history][-2:] == ["angry", "angry"]
        assert any("worst service" in t["text"] for t in ticket.transcript)
        said = " ".join(t["text"] for t in ticket.transcript if t["role"] == "user")
        for turn in ticket.emotion_history[-2:]:  # the agent sees which words read as anger
            assert turn["confident"] is True and turn["explanation"], turn
            assert all(phrase in said for phrase in turn["explanation"]), turn
    assert "pause" in events(assistant, s)
    assert assistant.send(s, "hello?", customer_id="C-1002") == []

    messages = hand_back(assistant.base_url, s, token=SECRETS["RASA_AUTH_TOKEN"])
    assert any("Hi again" in m.get("text", "") for m in messages)
    assert "resume" in events(assistant, s)
    with session_scope(assistant.database_url) as session:
        assert session.execute(select(Ticket.status).where(Ticket.sender_id == s)).scalar_one() == "resolved"
    assert assistant.say(s, "where is my order 100241", customer_id="C-1002") != ""


def test_threat_goes_straight_to_a_person(assistant: Assistant) -> None:
    s = sender()
    reply = assistant.say(s, "If my refund isn't here tomorrow I'm filing a chargeback and leaving a 1-star review.", customer_id="C-1003")
    assert "ticket #" in reply
    with session_scope(assistant.database_url) as session:
        assert session.execute(select(Ticket.reason).where(Ticket.sender_id == s)).scalar_one() == "threat"


def test_delighted_shopper_is_offered_products(assistant: Assistant) -> None:
    s = sender()
    assistant.say(s, "where is my order 100234?", customer_id="C-1001")
    offer = assistant.say(s, "Thank you so much, that's wonderful news!", customer_id="C-1001")
    assert "picks" in offer.lower()
    messages = assistant.send(s, "yes please", customer_id="C-1001")
    cards = [m["custom"] for m in messages if "custom" in m]
    assert cards and cards[0]["type"] == "product_cards" and len(cards[0]["products"]) >= 1
    assert all(p["name"] not in ("Auralis Pulse Wireless Headphones", "Vertex Orbit Phone Case") for p in cards[0]["products"])


def test_angry_shopper_asking_for_recommendations_gets_none(assistant: Assistant) -> None:
    messages = assistant.send(sender(), "I'm furious with you people, just recommend me something that actually works, useless shop",
                              customer_id="C-1001")
    assert not any("custom" in m for m in messages)


def test_bad_input_gets_a_clear_reply_and_changes_nothing(assistant: Assistant) -> None:
    with session_scope(assistant.database_url) as session:
        before = session.execute(select(Order.id, Order.status)).all()
    for text in ("   ", "x" * 10000, "😀😀😀", "¿Dónde está mi pedido?", "'; DROP TABLE orders; --", "order 12345", "/restart"):
        replies = assistant.send(sender(), text)
        assert isinstance(replies, list)
        if text.strip() and text != "/restart":
            assert replies, f"no reply to {text[:30]!r}"
    with session_scope(assistant.database_url) as session:
        assert session.execute(select(Order.id, Order.status)).all() == before


def test_asking_for_a_person_during_verification_hands_over(assistant: Assistant) -> None:
    s = sender()
    assistant.say(s, "where is my order 100234")
    reply = assistant.say(s, "I want to talk to a human agent")
    assert "ticket #" in reply
    with session_scope(assistant.database_url) as session:
        ticket = session.execute(select(Ticket).where(Ticket.sender_id == s)).scalar_one()
        assert (ticket.reason, ticket.customer_id, ticket.order_id) == ("requested", None, None)


def test_return_then_goodbye_asks_for_a_rating_and_stores_it(assistant: Assistant) -> None:
    s = sender()
    assert "Shall I open a return for order 100240" in assistant.say(s, "I'd like to return order 100240", customer_id="C-1002")
    done = assistant.say(s, "yes please", customer_id="C-1002")
    assert "RMA-100240" in done and "didn't understand" not in done
    assert "1 (poor) to 5 (great)" in assistant.say(s, "bye", customer_id="C-1002")
    assistant.say(s, "5", customer_id="C-1002")
    with session_scope(assistant.database_url) as session:
        rating = session.execute(select(CsatRating).where(CsatRating.sender_id == s)).scalar_one()
        assert (rating.rating, rating.customer_id) == (5, "C-1002")
        assert len(rating.emotion_history) >= 3
