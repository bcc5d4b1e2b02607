"""The surge rule, the rolling monitor, the alert book's de-duplication, and the Slack payload."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from services.analytics.models import AnalyticsAlert
from services.analytics.surge import AlertBook, MonitorOptions, NegativeShareMonitor, Reading, SurgeRule, Transition
from services.analytics.webhook import SlackWebhook, slack_escape, slack_message
from services.store.db import session_scope
from tests.analytics.event_stream import StreamOptions, generate_stream, observations, surge_hours
from tests.analytics.webhook_double import WebhookDouble

T = dt.datetime(2026, 11, 21, 0, 0)


def test_the_rule_needs_a_margin_a_ratio_and_enough_messages() -> None:
    rule = SurgeRule()
    assert rule.is_surge(0.50, 60, 0.10)
    assert not rule.is_surge(0.50, 10, 0.10)  # too few messages
    assert not rule.is_surge(0.30, 60, 0.10)  # 20 points is below the 25-point margin
    assert not rule.is_surge(0.75, 60, 0.45)  # 30 points, but not twice the baseline
    assert rule.has_recovered(0.15, 40, 0.10) and not rule.has_recovered(0.25, 40, 0.10)


def feed(monitor: NegativeShareMonitor, start: dt.datetime, minutes: int, per_minute: int, negative_every: int) -> list[Transition]:
    out, n = [], 0
    for minute in range(minutes):
        for k in range(per_minute):
            n += 1
            t = monitor.observe(start + dt.timedelta(minutes=minute, seconds=k), n % negative_every == 0)
            if t:
                out.append(t)
    return out


def test_the_monitor_fires_once_keeps_its_baseline_while_firing_and_clears() -> None:
    monitor = NegativeShareMonitor(options=MonitorOptions(window_minutes=30, baseline_hours=6, min_baseline_observations=200))
    assert feed(monitor, T, 360, 2, 10) == []  # six calm hours, 10 % negative
    surge = feed(monitor, T + dt.timedelta(hours=6), 180, 2, 2)  # three hours at 50 %: it must not become the baseline
    assert [t.kind for t in surge] == ["fired"]
    assert surge[0].reading.baseline == pytest.approx(0.1, abs=0.01)
    assert monitor.reading().baseline == surge[0].reading.baseline
    calm = feed(monitor, T + dt.timedelta(hours=9), 120, 2, 10)
    assert [t.kind for t in calm] == ["resolved"]


def test_no_alert_before_there_is_a_baseline() -> None:
    monitor = NegativeShareMonitor()
    assert feed(monitor, T, 60, 3, 1) == []  # an hour of nothing but anger, but no baseline to compare with


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_two_days_of_traffic_give_exactly_one_alert_in_the_outage(seed: int) -> None:
    options = StreamOptions(seed=seed)
    monitor = NegativeShareMonitor()  # the production settings: 30-minute window, 24-hour baseline
    transitions = [t for at, negative in observations(generate_stream(options)) if (t := monitor.observe(at, negative))]
    start, end = surge_hours(options)
    assert [t.kind for t in transitions] == ["fired", "resolved"]
    assert start < transitions[0].reading.at < start + dt.timedelta(minutes=45)
    assert end < transitions[1].reading.at < end + dt.timedelta(minutes=45)


def fired(key: str, at: dt.datetime) -> Transition:
    return Transition(key, "fired", Reading(at, 0.5, 40, 0.1, 300))


def test_the_book_keeps_one_firing_alert_per_key_and_delivers_each_change_once(analytics_url: str) -> None:
    with WebhookDouble() as hook:
        book = AlertBook(SlackWebhook(hook.url))
        with session_scope(analytics_url) as session:
            assert book.record(session, fired("negative_messages", T)) is not None
            assert book.record(session, fired("negative_messages", T + dt.timedelta(minutes=5))) is None  # a repeat
            assert book.record(session, fired("reviews:7:quality", T)) is not None  # another key
            assert book.deliver(session) == 2
            assert book.deliver(session) == 0
            book.record(session, Transition("negative_messages", "resolved", Reading(T + dt.timedelta(hours=1), 0.12, 40, 0.1, 300)))
            assert book.record(session, Transition("negative_messages", "resolved", Reading(T, 0.1, 40, 0.1, 300))) is None
            assert book.deliver(session) == 1
            states = session.execute(select(AnalyticsAlert.key, AnalyticsAlert.state).order_by(AnalyticsAlert.id)).all()
        assert [tuple(s) for s in states] == [("negative_messages", "resolved"), ("reviews:7:quality", "firing")]
        assert [t.split(":")[0] for t in hook.texts] == ["Negative surge", "Negative surge", "Recovered"]


def test_slack_payloads_escape_markup() -> None:
    payload = slack_message("Surge in <Crema & Co> reviews", ["<!channel> & more"])
    assert payload["text"] == "Surge in &lt;Crema &amp; Co&gt; reviews"
    assert payload["blocks"][1]["elements"][0]["text"] == "&lt;!channel&gt; &amp; more"
    assert slack_escape("a<b") == "a&lt;b"
