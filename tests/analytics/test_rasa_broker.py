"""The real thing: a trained Rasa server publishing to its SQL event broker, read by the consumer.

Uses the session's assistant (``make run``'s launcher and Sanic workers, ``models/assistant.tar.gz``, the
embedded ``endpoints.yml`` with its PII-masking SQL event broker writing to ``<tmp>/events.db``), talks to it over REST, appends an
agent's reply the way the desk does (``POST /conversations/<id>/tracker/events``), hands back, and
checks what the consumer made of the broker's ``events`` table. ``ANALYTICS_RECORD_TO=<file>`` keeps
the broker's rows as JSON lines (``tests/analytics/recorded/`` holds one such recording).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, select

from actions.handoff import REASON_TEXT
from services.analytics.consumer import Consumer, ConsumerOptions
from services.analytics.models import AnalyticsAgentReply, AnalyticsDeadLetter, AnalyticsEscalation, AnalyticsMessage
from services.analytics.sql_source import EVENTS
from services.analytics.webhook import SlackWebhook
from services.handback_cli import hand_back
from services.store.db import session_scope
from tests.e2e.conftest import SECRETS, Assistant


@pytest.fixture(scope="module")
def published(assistant: Assistant) -> tuple[str, dict[str, str]]:
    """Three conversations on the session's assistant: its broker's events file and the senders (angry, threat, calm).

    The angry shopper is escalated, gets an agent's reply the way the desk sends one, and is handed back.
    """
    angry, threat, calm = (f"broker-{uuid.uuid4().hex[:8]}" for _ in range(3))
    assistant.say(angry, "Where the hell is my order 100241?! This is completely unacceptable, you people are useless!", customer_id="C-1002")
    assert "ticket #" in assistant.say(angry, "That's NOT good enough. I am furious, this is the worst service I have ever had!!",
                                       customer_id="C-1002")
    time.sleep(1.5)
    append_agent_reply(assistant, angry, "sue", "Sue (Harbor & Pine team): I'm on it, your parcel is with FedEx.")
    hand_back(assistant.base_url, angry, token=SECRETS["RASA_AUTH_TOKEN"])
    assistant.say(threat, "If my refund isn't here tomorrow I'm filing a chargeback and leaving a 1-star review.", customer_id="C-1003")
    assistant.say(calm, "what's your return policy?")
    events_url = f"sqlite:///{assistant.logs['rasa'].parent / 'events.db'}"  # embedded endpoints: beside the server's logs
    wait_for_bot_event(events_url, calm)  # the broker writes from a thread, a few milliseconds after the reply
    return events_url, {"angry": angry, "threat": threat, "calm": calm}


def append_agent_reply(assistant: Assistant, sender: str, agent: str, text: str) -> None:
    """What the desk does for an agent's reply (demo_site/desk/relay.py)."""
    response = requests.post(f"{assistant.base_url}/conversations/{sender}/tracker/events", timeout=30,
                             params={"token": SECRETS["RASA_AUTH_TOKEN"], "include_events": "NONE"},
                             json=[{"event": "bot", "text": text, "metadata": {"source": "desk", "agent": agent}}])
    response.raise_for_status()


def test_the_consumer_reads_what_rasa_publishes(published: tuple[str, dict[str, str]], analytics_url: str) -> None:
    events_url, senders = published
    angry, threat, calm = senders["angry"], senders["threat"], senders["calm"]
    record_to = os.environ.get("ANALYTICS_RECORD_TO")
    if record_to:
        engine = create_engine(events_url)
        with engine.connect() as conn:
            Path(record_to).write_text("".join(row + "\n" for row in conn.execute(select(EVENTS.c.data).order_by(EVENTS.c.id)).scalars()))
        engine.dispose()
    consumer = Consumer(ConsumerOptions(source="sql", events_url=events_url, database_url=analytics_url, once=True),
                        webhook=SlackWebhook(None))
    summary = consumer.run()  # every event the session's server has published so far
    assert summary.processed > 20 and summary.dead_lettered == 0
    with session_scope(analytics_url) as session:
        messages = session.execute(select(AnalyticsMessage).order_by(AnalyticsMessage.id)).scalars().all()
        escalations = {e.sender_id: e.reason for e in session.execute(select(AnalyticsEscalation)).scalars()}
        replies = session.execute(select(AnalyticsEscalation.sender_id, AnalyticsAgentReply.agent_id, AnalyticsAgentReply.wait_seconds)
                                  .join(AnalyticsAgentReply, AnalyticsAgentReply.escalation_id == AnalyticsEscalation.id)).all()
        assert session.execute(select(AnalyticsDeadLetter)).first() is None
    by_sender: dict[str, list[AnalyticsMessage]] = {m.sender_id: [] for m in messages}
    for m in messages:
        by_sender[m.sender_id].append(m)
    first_angry = by_sender[angry][0]
    assert first_angry.emotion == "angry" and first_angry.emotion_confident and first_angry.polarity == "negative"
    assert 0 <= first_angry.valence < 0.3 and first_angry.intent
    assert by_sender[calm][0].intent == "faq" and by_sender[calm][0].polarity != "negative"
    assert escalations[threat] == "threat" and escalations[angry] in REASON_TEXT
    [(_, agent, wait_seconds)] = [reply for reply in replies if reply[0] == angry]
    assert agent == "sue" and wait_seconds >= 1.0


def wait_for_bot_event(events_url: str, sender_id: str, timeout_s: float = 10.0) -> None:
    """Until the broker's table holds a bot event of ``sender_id``."""
    engine = create_engine(events_url)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                rows = conn.execute(select(EVENTS.c.data).where(EVENTS.c.sender_id == sender_id)).scalars().all()
            if any(json.loads(row).get("event") == "bot" for row in rows):
                return
            time.sleep(0.05)
    finally:
        engine.dispose()
    pytest.fail(f"no bot event of {sender_id} in {events_url} after {timeout_s} s")


@pytest.mark.parametrize("masked", [False, True], ids=["as_published", "pii_masked"])
def test_a_recorded_rasa_stream_parses_without_dead_letters(analytics_url: str, sql_broker, masked: bool) -> None:  # noqa: ANN001
    """The rows of a real Rasa 3.6 SQL broker (recorded with ANALYTICS_RECORD_TO) still read as they did, also after
    the PII-masking brokers (services/masking_broker.py) have masked them."""
    rows = [json.loads(line) for line in (Path(__file__).parent / "recorded" / "rasa_3_6_sql_broker.jsonl").read_text().splitlines()]
    if masked:
        from services.masking_broker import mask_event

        rows = [mask_event(row) for row in rows]
    sql_broker.publish_many(rows)
    summary = Consumer(ConsumerOptions(source="sql", events_url=sql_broker.url, database_url=analytics_url, once=True),
                       webhook=SlackWebhook(None)).run()
    assert summary.processed == len(rows) and summary.dead_lettered == 0
    with session_scope(analytics_url) as session:
        labels = session.execute(select(AnalyticsMessage.emotion)).scalars().all()
        reasons = set(session.execute(select(AnalyticsEscalation.reason)).scalars())
        agents = session.execute(select(AnalyticsAgentReply.agent_id)).scalars().all()
    assert "angry" in labels and None not in labels
    assert "threat" in reasons and agents == ["sue"]
