"""Hand-written conversations through Rasa's own SQL event broker, the consumer, and every dashboard figure."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from services.analytics import metrics as m
from services.analytics.consumer import Consumer, ConsumerOptions
from services.analytics.models import AnalyticsConversation, AnalyticsDeadLetter
from services.analytics.webhook import SlackWebhook
from services.store.db import session_scope
from tests.analytics.conftest import SqlBroker
from tests.analytics.rasa_events import action, bot, handoff, rate, session_started, slot, user

DAY = m.DateRange(dt.date(2026, 11, 21), dt.date(2026, 11, 21))


def conversations() -> list[dict]:
    a, b, c, d = "shopper-a", "shopper-b", "shopper-c", "shopper-d"
    return [
        # A: angry, then frustrated, escalated for sustained frustration; Sue replies 5 minutes later; calmer after; rates 4.
        *session_started(a, 0), user(a, 0.1, "where is my order?!", "order_status", "angry", 0.9),
        user(a, 1, "still nothing, this is ridiculous", "order_status", "frustrated", 0.85), *handoff(a, 2, "sustained_frustration"),
        bot(a, 7.01, "Hi, Sue here, looking now.", agent="sue"), bot(a, 8, "Found it, it ships today.", agent="sue"),
        {"sender_id": a, "event": "resume", "timestamp": user(a, 9, "", "x", "neutral")["timestamp"]}, action(a, 9.01, "action_handback"),
        user(a, 10, "thank you so much", "thank", "grateful", 0.95), *rate(a, 11, "4"),
        # B: frustrated, then angry twice; asks for a person (no reason slot: "requested"); the handoff runs twice; rates "two".
        *session_started(b, 3), user(b, 3.1, "my parcel is late", "delivery_problem", "frustrated", 0.8),
        user(b, 4, "useless, get me a human", "request_human", "angry", 0.92), *handoff(b, 5, None), *handoff(b, 6, None),
        user(b, 7, "still angry", "delivery_problem", "angry", 0.88), *rate(b, 8, "two", entity=False),
        # C: one neutral question, rates 5.
        *session_started(c, 4), user(c, 4.1, "what's your return policy?", "faq", "neutral", 0.97, channel="rest"), *rate(c, 5, "5"),
        # D: anxious, then neutral; an unparseable rating ("meh") is not saved.
        *session_started(d, 5), user(d, 5.1, "can I still cancel?", "cancel_order", "anxious", 0.8),
        user(d, 6, "ok", "affirm", "neutral", 0.9), user(d, 7, "meh", "rate", "neutral"), action(d, 7.01, "action_save_csat"),
        # A again, after the session expired: a new conversation.
        *session_started(a, 60), user(a, 60.1, "hello again", "greet", "neutral", 0.9), slot(a, 60.2, "emotion", "neutral"),
    ]


@pytest.fixture()
def consumed(analytics_url: str, sql_broker: SqlBroker) -> str:
    events = conversations()
    for event in events[:10]:
        sql_broker.publish(event)  # Rasa's SQLEventBroker.publish, one commit per event
    sql_broker.publish_raw("x", "garbage that is not an event")
    sql_broker.publish_many(events[10:])
    Consumer(ConsumerOptions(source="sql", events_url=sql_broker.url, database_url=analytics_url, once=True),
             webhook=SlackWebhook(None)).run()
    return analytics_url


def test_conversations_are_summarised(consumed: str) -> None:
    with session_scope(consumed) as session:
        rows = session.execute(select(AnalyticsConversation).order_by(AnalyticsConversation.started_at)).scalars().all()
        summary = [(c.sender_id, c.user_messages, c.first_emotion, c.last_emotion, c.escalated) for c in rows]
        assert summary == [("shopper-a", 3, "angry", "grateful", True), ("shopper-b", 3, "frustrated", "angry", True),
                           ("shopper-c", 1, "neutral", "neutral", False), ("shopper-d", 2, "anxious", "neutral", False),
                           ("shopper-a", 1, "neutral", "neutral", False)]
        assert [d.body for d in session.execute(select(AnalyticsDeadLetter)).scalars()] == ["garbage that is not an event"]


def test_every_dashboard_figure(consumed: str) -> None:
    with session_scope(consumed) as session:
        overview = m.overview(session, DAY)
        assert (overview.conversations, overview.messages, overview.escalations, overview.ratings) == (5, 10, 2, 3)
        assert overview.negative_share == pytest.approx(6 / 10) and overview.mean_csat == pytest.approx(11 / 3)
        assert overview.dead_letters == 1

        mix = m.emotion_mix(session, DAY)[0]
        assert mix.counts == {"angry": 3, "frustrated": 2, "anxious": 1, "confused": 0, "neutral": 3, "satisfied": 0, "grateful": 1}

        assert [(x.reason, x.escalations, x.rate) for x in m.escalation_by_reason(session, DAY)] == [
            ("requested", 1, 0.2), ("sustained_frustration", 1, 0.2)]

        de = m.deescalation(session, DAY)
        assert (de.started_negative, de.calmed, de.rate) == (3, 2, pytest.approx(2 / 3))
        assert de.by_emotion == {"angry": (1, 1), "frustrated": (1, 0), "anxious": (1, 1)}

        assert [(g.emotion, g.ratings, g.mean) for g in m.csat_by_starting_emotion(session, DAY)] == [
            ("angry", 1, 4.0), ("frustrated", 1, 2.0), ("neutral", 1, 5.0)]

        rows = m.satisfaction_per_conversation(session, DAY)
        # Newest first. D ends on a neutral "ok" right after an anxious message: not yet read as satisfied.
        assert [(r.sender_id, r.inferred, r.csat) for r in rows] == [
            ("shopper-a", "satisfied", None), ("shopper-d", "unsatisfied", None), ("shopper-c", "satisfied", 5),
            ("shopper-b", "unsatisfied", 2), ("shopper-a", "satisfied", 4)]
        summary = m.satisfaction_summary(rows)
        assert (summary.satisfied, summary.unsatisfied, summary.compared, summary.agreement) == (3, 2, 3, 1.0)

        intents = m.negative_share_by_intent(session, DAY, min_messages=1)
        assert [(i.intent, i.messages, i.negative) for i in intents][:4] == [
            ("delivery_problem", 2, 2), ("order_status", 2, 2), ("cancel_order", 1, 1), ("request_human", 1, 1)]
        assert "rate" not in {i.intent for i in intents}  # a rating is not a mood

        replies = m.first_reply_times(session, DAY)
        assert (replies.escalations, replies.replied, replies.waits) == (2, 1, [pytest.approx(300.0, abs=0.1)])
        assert [(e.reason, e.agent_id) for e in m.escalation_rows(session, DAY)] == [("sustained_frustration", "sue"), ("requested", None)]


def test_another_day_is_empty(consumed: str) -> None:
    other = m.DateRange(dt.date(2026, 11, 22), dt.date(2026, 11, 23))
    with session_scope(consumed) as session:
        assert m.overview(session, other).conversations == 0
        assert m.satisfaction_per_conversation(session, other) == []
        assert all(d.total == 0 for d in m.emotion_mix(session, other))


def test_a_redelivered_message_is_recorded_once(analytics_url: str, sql_broker: SqlBroker) -> None:
    message = user("shopper-z", 0, "where is it", "order_status", "frustrated")
    sql_broker.publish_many([message, message, user("shopper-z", 1, "ok", "affirm", "neutral")])
    consumer = Consumer(ConsumerOptions(source="sql", events_url=sql_broker.url, database_url=analytics_url, once=True),
                        webhook=SlackWebhook(None))
    consumer.run()
    assert consumer.processor is not None and consumer.processor.duplicates == 1
    with session_scope(analytics_url) as session:
        assert m.overview(session, DAY).messages == 2
