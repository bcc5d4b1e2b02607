"""The real thing: a trained Rasa server publishing to its SQL event broker, read by the consumer.

Starts the action server and ``rasa run`` (``models/assistant.tar.gz``) with ``endpoints.yml`` (its PII-masking
SQL event broker, writing to ``<tmp>/events.db``), talks to it over REST, appends an
agent's reply the way the desk does (``POST /conversations/<id>/tracker/events``), hands back, and
checks what the consumer made of the broker's ``events`` table. ``ANALYTICS_RECORD_TO=<file>`` keeps
the broker's rows as JSON lines (``tests/analytics/recorded/`` holds one such recording).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml
from sqlalchemy import create_engine, select

from actions.handoff import REASON_TEXT
from channels.enabled import credentials as enabled_credentials
from ops.processes import free_port, stop_processes, wait_until
from services.analytics.consumer import Consumer, ConsumerOptions
from services.analytics.models import AnalyticsAgentReply, AnalyticsDeadLetter, AnalyticsEscalation, AnalyticsMessage
from services.analytics.sql_source import EVENTS
from services.analytics.webhook import SlackWebhook
from services.handback_cli import hand_back
from services.settings import PROJECT_ROOT
from services.store.db import session_scope
from services.store.seed.run import seed_database
from tests.conftest import TODAY
from tests.e2e.conftest import MODEL, RASA_RUN, SECRETS, Assistant, write_endpoints


@pytest.fixture(scope="module")
def rasa_with_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Assistant, Path]]:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` first (make test does)", pytrace=False)
    workdir = tmp_path_factory.mktemp("broker")
    database_url = f"sqlite:///{workdir / 'store.db'}"
    seed_database(database_url, today=TODAY, n_customers=20, progress=False)
    env = {**os.environ, "STORE_DATABASE_URL": database_url, "ASSISTANT_TODAY": TODAY.isoformat(), "PYTHONPATH": str(PROJECT_ROOT),
           "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2", **SECRETS}
    actions_port, rasa_port = free_port(), free_port()
    credentials = workdir / "credentials.yml"
    credentials.write_text(yaml.safe_dump(enabled_credentials(env)))
    logs = {name: workdir / f"{name}.log" for name in ("actions", "rasa")}
    processes = [
        subprocess.Popen([sys.executable, "-m", "services.action_server", "--port", str(actions_port)], cwd=PROJECT_ROOT, env=env,
                         stdout=logs["actions"].open("w"), stderr=subprocess.STDOUT),
        subprocess.Popen([*RASA_RUN, "--model", str(MODEL), "--enable-api", "--auth-token", SECRETS["RASA_AUTH_TOKEN"],
                          "--port", str(rasa_port), "--endpoints", str(write_endpoints(workdir, actions_port)),
                          "--credentials", str(credentials)], cwd=PROJECT_ROOT, env=env, stdout=logs["rasa"].open("w"),
                         stderr=subprocess.STDOUT),
    ]
    try:
        wait_until(f"http://127.0.0.1:{actions_port}/health", processes[0], logs["actions"])
        wait_until(f"http://127.0.0.1:{rasa_port}/status?token={SECRETS['RASA_AUTH_TOKEN']}", processes[1], logs["rasa"])
        yield Assistant(f"http://127.0.0.1:{rasa_port}", database_url, logs=logs), workdir
    finally:
        stop_processes(processes)


def append_agent_reply(assistant: Assistant, sender: str, agent: str, text: str) -> None:
    """What the desk does for an agent's reply (demo_site/desk/relay.py)."""
    response = requests.post(f"{assistant.base_url}/conversations/{sender}/tracker/events", timeout=30,
                             params={"token": SECRETS["RASA_AUTH_TOKEN"], "include_events": "NONE"},
                             json=[{"event": "bot", "text": text, "metadata": {"source": "desk", "agent": agent}}])
    response.raise_for_status()


def test_the_consumer_reads_what_rasa_publishes(rasa_with_broker: tuple[Assistant, Path]) -> None:
    assistant, workdir = rasa_with_broker
    angry = f"broker-{uuid.uuid4().hex[:8]}"
    assistant.say(angry, "Where the hell is my order 100241?! This is completely unacceptable, you people are useless!", customer_id="C-1002")
    assert "ticket #" in assistant.say(angry, "That's NOT good enough. I am furious, this is the worst service I have ever had!!",
                                       customer_id="C-1002")
    time.sleep(1.5)
    append_agent_reply(assistant, angry, "sue", "Sue (Harbor & Pine team): I'm on it, your parcel is with FedEx.")
    hand_back(assistant.base_url, angry, token=SECRETS["RASA_AUTH_TOKEN"])
    threat = f"broker-{uuid.uuid4().hex[:8]}"
    assistant.say(threat, "If my refund isn't here tomorrow I'm filing a chargeback and leaving a 1-star review.", customer_id="C-1003")
    calm = f"broker-{uuid.uuid4().hex[:8]}"
    assistant.say(calm, "what's your return policy?")

    events_url = f"sqlite:///{workdir / 'events.db'}"
    wait_for_bot_event(events_url, calm)  # the broker writes from a thread, a few milliseconds after the reply
    record_to = os.environ.get("ANALYTICS_RECORD_TO")
    if record_to:
        engine = create_engine(events_url)
        with engine.connect() as conn:
            Path(record_to).write_text("".join(row + "\n" for row in conn.execute(select(EVENTS.c.data).order_by(EVENTS.c.id)).scalars()))
        engine.dispose()
    consumer = Consumer(ConsumerOptions(source="sql", events_url=events_url, database_url=assistant.database_url, once=True),
                        webhook=SlackWebhook(None))
    summary = consumer.run()
    assert summary.processed > 20 and summary.dead_lettered == 0
    with session_scope(assistant.database_url) as session:
        messages = session.execute(select(AnalyticsMessage).order_by(AnalyticsMessage.id)).scalars().all()
        escalations = {e.sender_id: e.reason for e in session.execute(select(AnalyticsEscalation)).scalars()}
        reply = session.execute(select(AnalyticsAgentReply)).scalar_one()
        assert session.execute(select(AnalyticsDeadLetter)).first() is None
    by_sender = {m.sender_id: [] for m in messages}
    for m in messages:
        by_sender[m.sender_id].append(m)
    first_angry = by_sender[angry][0]
    assert first_angry.emotion == "angry" and first_angry.emotion_confident and first_angry.polarity == "negative"
    assert 0 <= first_angry.valence < 0.3 and first_angry.intent
    assert by_sender[calm][0].intent == "faq" and by_sender[calm][0].polarity != "negative"
    assert escalations[threat] == "threat" and escalations[angry] in REASON_TEXT
    assert reply.agent_id == "sue" and reply.wait_seconds >= 1.0


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
