"""Human-handoff tickets and CSAT ratings (both backends, seeded data)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from services.store import models as m
from services.store.tickets import (
    MAX_TURN_CHARS,
    TRANSCRIPT_TURNS,
    create_ticket,
    open_ticket_for,
    resolve_tickets,
    save_csat,
)
from tests.conftest import open_session

EMOTIONS = [
    {"label": "neutral", "confidence": 0.61},
    {"label": "confusion", "confidence": 0.72},
    {"label": "anger", "confidence": 0.93},
]


def new_sender() -> str:
    return f"sender-{uuid.uuid4().hex}"


def stored_ticket(url: str, ticket_id: int) -> m.Ticket:
    with open_session(url) as session:
        ticket = session.get(m.Ticket, ticket_id)
        assert ticket is not None
        return ticket


def test_create_ticket_stores_reason_emotions_and_cut_transcript(seeded_url: str) -> None:
    sender = new_sender()
    transcript = [
        {"role": "user" if i % 2 == 0 else "bot", "text": f"turn {i:02d} " + "x" * (100 * i)} for i in range(15)
    ]
    with open_session(seeded_url) as session:
        view = create_ticket(session, sender, "repeated_failure", EMOTIONS, transcript,
                             customer_id="C-1001", order_id=100234)
    assert (view.sender_id, view.customer_id, view.order_id, view.reason, view.status) == (
        sender, "C-1001", 100234, "repeated_failure", "open")

    ticket = stored_ticket(seeded_url, view.id)
    assert (ticket.sender_id, ticket.customer_id, ticket.order_id) == (sender, "C-1001", 100234)
    assert (ticket.reason, ticket.status) == ("repeated_failure", "open")
    assert ticket.emotion_history == EMOTIONS
    assert len(ticket.transcript) == TRANSCRIPT_TURNS == 10
    assert [t["text"][:7] for t in ticket.transcript] == [f"turn {i:02d}" for i in range(5, 15)]
    assert [t["role"] for t in ticket.transcript] == ["bot", "user"] * 5
    assert all(len(t["text"]) <= MAX_TURN_CHARS == 500 for t in ticket.transcript)
    assert ticket.transcript[0]["text"] == ("turn 05 " + "x" * 500)[:500]
    assert len(ticket.transcript[-1]["text"]) == 500
    assert ticket.created_at is not None and ticket.updated_at is not None


def test_create_ticket_short_transcript_kept_as_is(seeded_url: str) -> None:
    transcript = [{"role": "user", "text": "y" * MAX_TURN_CHARS}, {"role": "bot", "text": "ok"},
                  {"role": "user", "text": 12345}]
    with open_session(seeded_url) as session:
        view = create_ticket(session, new_sender(), "user_request", [], transcript)
        empty = create_ticket(session, new_sender(), "user_request", [], [])
    assert stored_ticket(seeded_url, view.id).transcript == [
        {"role": "user", "text": "y" * MAX_TURN_CHARS}, {"role": "bot", "text": "ok"}, {"role": "user", "text": "12345"}]
    stored_empty = stored_ticket(seeded_url, empty.id)
    assert stored_empty.transcript == [] and stored_empty.emotion_history == []
    assert (stored_empty.customer_id, stored_empty.order_id) == (None, None)


@pytest.mark.parametrize(
    ("customer", "order", "kept_customer", "kept_order"),
    [
        ("C-1002", 100240, "C-1002", 100240),  # own order: kept
        ("C-1001", 100240, "C-1001", None),  # Bob's order, Alice's ticket
        (None, 100234, None, None),  # unverified shopper names an order
        ("C-999999", 100234, None, None),  # unknown customer
        ("C-1001", 999999, "C-1001", None),  # no such order
    ],
)
def test_create_ticket_keeps_only_own_order(
    seeded_url: str, customer: str | None, order: int, kept_customer: str | None, kept_order: int | None
) -> None:
    with open_session(seeded_url) as session:
        view = create_ticket(session, new_sender(), "delivery_problem", EMOTIONS[:1],
                             [{"role": "user", "text": "help"}], customer_id=customer, order_id=order)
    assert (view.customer_id, view.order_id) == (kept_customer, kept_order)
    ticket = stored_ticket(seeded_url, view.id)
    assert (ticket.customer_id, ticket.order_id) == (kept_customer, kept_order)


def test_open_ticket_for_and_resolve_tickets(seeded_url: str) -> None:
    sender, other = new_sender(), new_sender()
    with open_session(seeded_url) as session:
        assert open_ticket_for(session, sender) is None
        first = create_ticket(session, sender, "anger", EMOTIONS, [])
        second = create_ticket(session, sender, "user_request", [], [])
        bystander = create_ticket(session, other, "anger", [], [])
    assert second.id > first.id
    with open_session(seeded_url) as session:
        newest = open_ticket_for(session, sender)
        assert newest is not None and (newest.id, newest.reason, newest.status) == (second.id, "user_request", "open")
        session.get(m.Ticket, second.id).status = "resolved"
        session.get(m.Ticket, first.id).status = "in_progress"
    with open_session(seeded_url) as session:
        still_open = open_ticket_for(session, sender)
        assert still_open is not None and (still_open.id, still_open.status) == (first.id, "in_progress")
        session.get(m.Ticket, second.id).status = "open"

    with open_session(seeded_url) as session:
        assert sorted(resolve_tickets(session, sender)) == [first.id, second.id]
    with open_session(seeded_url) as session:
        statuses = dict(session.execute(
            select(m.Ticket.id, m.Ticket.status).where(m.Ticket.id.in_([first.id, second.id, bystander.id]))
        ).all())
        assert statuses == {first.id: "resolved", second.id: "resolved", bystander.id: "open"}
        assert open_ticket_for(session, sender) is None
        assert open_ticket_for(session, other).id == bystander.id
        assert resolve_tickets(session, sender) == []


def csat_rows(url: str, sender: str) -> list[tuple]:
    with open_session(url) as session:
        return [tuple(r) for r in session.execute(
            select(m.CsatRating.rating, m.CsatRating.customer_id, m.CsatRating.emotion_history)
            .where(m.CsatRating.sender_id == sender).order_by(m.CsatRating.id)
        )]


@pytest.mark.parametrize("rating", [0, 6, -1, 10])
def test_save_csat_rejects_out_of_range(seeded_url: str, rating: int) -> None:
    sender = new_sender()
    with open_session(seeded_url) as session:
        with pytest.raises(ValueError):
            save_csat(session, sender, rating, EMOTIONS)
    assert csat_rows(seeded_url, sender) == []


def test_save_csat_stores_rating_and_emotion_history(seeded_url: str) -> None:
    sender = new_sender()
    with open_session(seeded_url) as session:
        before = session.scalar(select(func.count()).select_from(m.CsatRating))
        low = save_csat(session, sender, 1, EMOTIONS, customer_id="C-1001")
        high = save_csat(session, sender, 5, [], customer_id="C-999999")
    assert high > low
    assert csat_rows(seeded_url, sender) == [(1, "C-1001", EMOTIONS), (5, None, [])]
    with open_session(seeded_url) as session:
        assert session.scalar(select(func.count()).select_from(m.CsatRating)) == before + 2
        assert session.get(m.CsatRating, low).created_at is not None
