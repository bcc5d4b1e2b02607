"""The consumer on Rasa's SQL event broker: replay of a recorded stream with a surge, dead letters, restarts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from services.analytics.consumer import Consumer, ConsumerOptions
from services.analytics.models import (
    AnalyticsAgentReply,
    AnalyticsAlert,
    AnalyticsConversation,
    AnalyticsCsat,
    AnalyticsDeadLetter,
    AnalyticsEscalation,
    AnalyticsMessage,
)
from services.analytics.webhook import SlackWebhook
from services.store.db import session_scope
from tests.analytics.conftest import SqlBroker
from tests.analytics.event_stream import WORKING_DAY, WORKING_DAY_BASELINE_HOURS, StreamOptions, surge_hours
from tests.analytics.webhook_double import WebhookDouble

BAD_ROWS = ("{not json", '["a", "list"]', '{"event": "user", "sender_id": "x"}',
            '{"sender_id": "y", "event": "user", "timestamp": 1764000000, "parse_data": {"emotion": "furious"}}')


def consume(analytics_url: str, broker: SqlBroker, webhook_url: str | None) -> Consumer:
    options = ConsumerOptions(source="sql", events_url=broker.url, database_url=analytics_url, once=True,
                              baseline_hours=WORKING_DAY_BASELINE_HOURS)
    consumer = Consumer(options, webhook=SlackWebhook(webhook_url))
    consumer.run()
    return consumer


def count(url: str, model) -> int:  # noqa: ANN001
    with session_scope(url) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_replay_fires_one_alert_in_the_surge_and_clears_it_after(analytics_url: str, sql_broker: SqlBroker,
                                                                 recorded_stream: list[dict]) -> None:
    half = len(recorded_stream) // 2
    sql_broker.publish_many(recorded_stream[:half])
    for raw in BAD_ROWS:
        sql_broker.publish_raw("x", raw)
    sql_broker.publish_many(recorded_stream[half:])
    with WebhookDouble() as hook:
        consumer = consume(analytics_url, sql_broker, hook.url)

    assert consumer.processor is not None
    assert consumer.processor.processed == len(recorded_stream)
    assert consumer.processor.dead_lettered == len(BAD_ROWS)
    with session_scope(analytics_url) as session:
        letters = session.execute(select(AnalyticsDeadLetter).order_by(AnalyticsDeadLetter.id)).scalars().all()
        assert [d.body for d in letters] == list(BAD_ROWS)
        assert "not JSON" in letters[0].error and "expected a JSON object" in letters[1].error
        assert "timestamp" in letters[2].error and "parse_data.emotion" in letters[3].error
        alerts = session.execute(select(AnalyticsAlert)).scalars().all()

    start, end = surge_hours(StreamOptions(**WORKING_DAY))
    assert len(alerts) == 1 and alerts[0].state == "resolved"
    assert start < alerts[0].fired_at < start + dt.timedelta(minutes=45)
    assert end < alerts[0].resolved_at < end + dt.timedelta(minutes=60)
    assert len(hook.payloads) == 2
    fired, resolved = hook.texts
    assert fired.startswith("Negative surge: shopper messages at ") and "baseline" in fired
    assert resolved.startswith("Recovered: shopper messages")
    assert hook.payloads[0]["blocks"][0]["type"] == "section"

    users = [e for e in recorded_stream if e["event"] == "user"]
    assert count(analytics_url, AnalyticsMessage) == len(users)
    assert count(analytics_url, AnalyticsConversation) == len({e["sender_id"] for e in recorded_stream})
    handoffs = [e for e in recorded_stream if e["event"] == "action" and e["name"] == "action_handoff"]
    assert count(analytics_url, AnalyticsEscalation) == len(handoffs)
    agent_threads = {e["sender_id"] for e in recorded_stream if e["event"] == "bot" and "agent_id" in e["metadata"]}
    assert count(analytics_url, AnalyticsAgentReply) == len(agent_threads)
    ratings = [e for e in recorded_stream if e["event"] == "action" and e["name"] == "action_save_csat"]
    assert count(analytics_url, AnalyticsCsat) == len(ratings)


def test_a_restart_in_the_middle_of_the_surge_neither_repeats_nor_loses_anything(
        analytics_url: str, sql_broker: SqlBroker, recorded_stream: list[dict]) -> None:
    start, _ = surge_hours(StreamOptions(**WORKING_DAY))
    cut = next(i for i, e in enumerate(recorded_stream) if dt.datetime.utcfromtimestamp(e["timestamp"]) > start + dt.timedelta(minutes=60))
    with WebhookDouble() as hook:
        sql_broker.publish_many(recorded_stream[:cut])
        consume(analytics_url, sql_broker, hook.url)
        assert [t.split(":")[0] for t in hook.texts] == ["Negative surge"]
        consume(analytics_url, sql_broker, hook.url)  # nothing new: nothing happens
        sql_broker.publish_many(recorded_stream[cut:])
        consume(analytics_url, sql_broker, hook.url)
    assert [t.split(":")[0] for t in hook.texts] == ["Negative surge", "Recovered"]
    assert count(analytics_url, AnalyticsMessage) == sum(e["event"] == "user" for e in recorded_stream)
    assert count(analytics_url, AnalyticsAlert) == 1


def test_alerts_wait_for_an_unreachable_webhook_and_go_out_once_it_answers(analytics_url: str, sql_broker: SqlBroker,
                                                                             recorded_stream: list[dict]) -> None:
    start, _ = surge_hours(StreamOptions(**WORKING_DAY))
    cut = next(i for i, e in enumerate(recorded_stream) if dt.datetime.utcfromtimestamp(e["timestamp"]) > start + dt.timedelta(minutes=60))
    sql_broker.publish_many(recorded_stream[:cut])
    with WebhookDouble(fail_first=10**6) as down:
        consume(analytics_url, sql_broker, down.url)
    assert down.refused >= 2 and down.payloads == []  # retried after every batch, never accepted
    with session_scope(analytics_url) as session:
        assert session.execute(select(AnalyticsAlert.notified_fired)).scalar_one() is False
    sql_broker.publish_many(recorded_stream[cut:])
    with WebhookDouble(fail_first=1) as flaky:
        consume(analytics_url, sql_broker, flaky.url)
    assert flaky.refused == 1
    assert [t.split(":")[0] for t in flaky.texts] == ["Negative surge", "Recovered"]
