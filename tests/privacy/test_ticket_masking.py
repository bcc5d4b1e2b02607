"""Ticket transcripts keep what the agent needs (order and tracking numbers) and mask the rest (both backends)."""

from __future__ import annotations

import uuid

import pytest

from actions.handoff import ActionHandoff
from services.store import models as m
from services.store.tickets import MAX_TURN_CHARS, create_ticket, open_ticket_for
from tests.actions.conftest import make_tracker, run
from tests.conftest import open_session

TRANSCRIPT = [
    {"role": "user", "text": "my order 100241 never came, tracking FX771200902247"},
    {"role": "bot", "text": "Sorry about that. Which email is on the order?"},
    {"role": "user", "text": "bob@example.com, call me on +1 (503) 555-0123"},
    {"role": "user", "text": "send a new one to 48 Pine Rd, Denver, CO 80202 or refund card 4111 1111 1111 1111"},
]
SECRETS = ("bob@example.com", "555-0123", "48 Pine Rd", "80202", "4111 1111 1111 1111")


def stored_transcript(url: str, ticket_id: int) -> list[dict]:
    with open_session(url) as session:
        return session.get(m.Ticket, ticket_id).transcript


def test_transcript_is_masked_but_keeps_order_and_tracking_numbers(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        view = create_ticket(session, f"s-{uuid.uuid4().hex}", "delivery_problem", [], TRANSCRIPT,
                             customer_id="C-1002", order_id=100241)
    turns = stored_transcript(seeded_url, view.id)
    assert [t["text"] for t in turns] == [
        "my order 100241 never came, tracking FX771200902247",
        "Sorry about that. Which email is on the order?",
        "[EMAIL], call me on [PHONE]",
        "send a new one to [ADDRESS] or refund card [CARD]",
    ]
    assert view.order_id == 100241 and view.customer_id == "C-1002"


def test_masking_happens_before_the_cut_so_no_half_email_survives(seeded_url: str) -> None:
    text = "x" * (MAX_TURN_CHARS - 8) + " alice@example.com"  # cut first, "alice@" would stay
    with open_session(seeded_url) as session:
        view = create_ticket(session, f"s-{uuid.uuid4().hex}", "requested", [], [{"role": "user", "text": text}])
    (turn,) = stored_transcript(seeded_url, view.id)
    assert turn["text"] == "x" * (MAX_TURN_CHARS - 8) + " [EMAIL]"


@pytest.fixture
def store(seeded_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("STORE_DATABASE_URL", seeded_url)
    return seeded_url


def test_handoff_action_writes_a_masked_transcript(store: str) -> None:
    sender = f"s-{uuid.uuid4().hex}"
    events = [{"event": t["role"], "text": t["text"]} for t in TRANSCRIPT[:-1]]
    tracker = make_tracker(text=TRANSCRIPT[-1]["text"], intent="request_human", events=events, sender_id=sender,
                           slots={"handoff_reason": "delivery_problem"})
    run(ActionHandoff(), tracker)
    with open_session(store) as session:
        ticket = open_ticket_for(session, sender)
    turns = stored_transcript(store, ticket.id)
    text = "\n".join(t["text"] for t in turns)
    assert "100241" in text and "FX771200902247" in text
    assert "[EMAIL]" in text and "[PHONE]" in text and "[ADDRESS]" in text and "[CARD]" in text
    assert not [s for s in SECRETS if s in text]
