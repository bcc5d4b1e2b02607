"""Negative-surge alerts: a share of negative readings compared against its own baseline.

- :class:`SurgeRule` says when a share is a surge over a baseline (a margin, a ratio and a
  binomial z-test, so a handful of messages cannot fire it) and when it has recovered (hysteresis:
  a lower bar to clear than to fire, so it does not flap).
- :class:`NegativeShareMonitor` follows the stream of shopper messages: the share of negative
  ones in the last ``window`` against the share in the ``baseline_span`` before it. While an alert
  is firing the baseline is frozen at its value when it fired: a surge must not become its own
  baseline.
- :class:`AlertBook` keeps alerts in ``analytics_alerts`` (one firing row per key: repeats are
  de-duplicated, also across restarts) and delivers each firing and each recovery to the webhook
  once; a failed delivery is retried on the next :meth:`AlertBook.deliver`.

The review report (``services/analytics/reviews/trends.py``) uses the same rule and book per
product and aspect, week over week.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import deque
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.analytics.models import AnalyticsAlert
from services.analytics.webhook import SlackWebhook, slack_message

MESSAGES_KEY = "negative_messages"


@dataclass(frozen=True)
class SurgeRule:
    """When a negative share counts as a surge over its baseline, and when it has recovered."""

    min_increase: float = field(default=0.25, metadata={"help": "share - baseline needed to fire (0.25 = 25 points)"})
    min_ratio: float = field(default=2.0, metadata={"help": "share / baseline needed to fire"})
    z: float = field(default=3.0, metadata={"help": "binomial z-score over the baseline needed to fire"})
    min_observations: int = field(default=30, metadata={"help": "messages in the window before it can fire or clear"})
    clear_increase: float = field(default=0.07, metadata={"help": "the alert clears once share - baseline is at most this"})
    min_baseline: float = field(default=0.02, metadata={"help": "floor of the baseline in the z-test (a zero baseline is not certainty)"})
    design_effect: float = field(default=2.0, metadata={
        "help": "variance inflation in the z-test: one upset shopper sends several negative messages, so they are not independent"})

    def is_surge(self, share: float, observations: int, baseline: float) -> bool:
        if observations < self.min_observations:
            return False
        floor = max(baseline, self.min_baseline)
        noise = self.z * math.sqrt(self.design_effect * floor * (1 - floor) / observations)
        return share - baseline >= max(self.min_increase, noise) and share >= self.min_ratio * floor

    def has_recovered(self, share: float, observations: int, baseline: float) -> bool:
        return observations >= self.min_observations and share - baseline <= self.clear_increase


@dataclass(frozen=True)
class Reading:
    """The monitor's view at one moment."""

    at: dt.datetime
    share: float
    observations: int
    baseline: float | None  # None until the baseline has enough messages
    baseline_observations: int


@dataclass(frozen=True)
class Transition:
    """An alert fired or cleared."""

    key: str
    kind: str  # "fired" | "resolved"
    reading: Reading


@dataclass(frozen=True)
class MonitorOptions:
    window_minutes: float = field(default=30.0, metadata={"help": "rolling window of the current share"})
    baseline_hours: float = field(default=24.0, metadata={"help": "span before the window that makes the baseline"})
    min_baseline_observations: int = field(default=200, metadata={"help": "messages the baseline needs before any alert"})


class NegativeShareMonitor:
    """Rolling negative share of shopper messages against its own baseline (messages in time order)."""

    def __init__(self, rule: SurgeRule | None = None, options: MonitorOptions | None = None, key: str = MESSAGES_KEY) -> None:
        self.rule = rule or SurgeRule()
        self.options = options or MonitorOptions()
        self.key = key
        self.window_span = dt.timedelta(minutes=self.options.window_minutes)
        self.baseline_span = dt.timedelta(hours=self.options.baseline_hours)
        self._window: deque[tuple[dt.datetime, bool]] = deque()
        self._baseline: deque[tuple[dt.datetime, bool]] = deque()
        self._window_negative = 0
        self._baseline_negative = 0
        self._latest: dt.datetime | None = None
        self.firing = False
        self.frozen_baseline: float | None = None

    def restore(self, firing: bool, baseline: float | None) -> None:
        """Continue an alert that was firing before a restart (its frozen baseline included)."""
        self.firing, self.frozen_baseline = firing, (baseline if firing else None)

    def observe(self, at: dt.datetime, negative: bool) -> Transition | None:
        """Add one message; returns a transition when the alert fires or clears."""
        at = max(at, self._latest) if self._latest else at  # late arrivals count as now
        self._latest = at
        self._window.append((at, negative))
        self._window_negative += negative
        self._expire(at)
        reading = self.reading()
        if reading.baseline is None:
            return None
        if not self.firing and self.rule.is_surge(reading.share, reading.observations, reading.baseline):
            self.firing, self.frozen_baseline = True, reading.baseline
            return Transition(self.key, "fired", reading)
        if self.firing and self.rule.has_recovered(reading.share, reading.observations, reading.baseline):
            self.firing, self.frozen_baseline = False, None
            return Transition(self.key, "resolved", reading)
        return None

    def _expire(self, now: dt.datetime) -> None:
        while self._window and self._window[0][0] <= now - self.window_span:
            item = self._window.popleft()
            self._window_negative -= item[1]
            self._baseline.append(item)
            self._baseline_negative += item[1]
        while self._baseline and self._baseline[0][0] <= now - self.window_span - self.baseline_span:
            self._baseline_negative -= self._baseline.popleft()[1]

    def reading(self) -> Reading:
        n, nb = len(self._window), len(self._baseline)
        share = self._window_negative / n if n else 0.0
        if self.frozen_baseline is not None:
            baseline: float | None = self.frozen_baseline
        else:
            baseline = self._baseline_negative / nb if nb >= self.options.min_baseline_observations else None
        return Reading(self._latest or dt.datetime.min, round(share, 4), n, None if baseline is None else round(baseline, 4), nb)


class AlertBook:
    """Alerts in ``analytics_alerts``: fire once per key, resolve once, deliver each to the webhook once."""

    def __init__(self, webhook: SlackWebhook) -> None:
        self.webhook = webhook

    @staticmethod
    def firing(session: Session, key: str) -> AnalyticsAlert | None:
        stmt = select(AnalyticsAlert).where(AnalyticsAlert.key == key, AnalyticsAlert.state == "firing").order_by(AnalyticsAlert.id.desc())
        return session.execute(stmt).scalars().first()

    def record(self, session: Session, transition: Transition, detail: dict | None = None) -> AnalyticsAlert | None:
        """Store a transition; a second firing of a key already firing (or a resolve of nothing) is ignored."""
        active = self.firing(session, transition.key)
        reading = transition.reading
        if transition.kind == "fired":
            if active is not None:
                return None
            alert = AnalyticsAlert(key=transition.key, state="firing", fired_at=reading.at, share=reading.share,
                                   baseline=reading.baseline or 0.0, observations=reading.observations,
                                   notified_fired=False, notified_resolved=False, detail=detail or {})
            session.add(alert)
            session.flush()
            return alert
        if active is None:
            return None
        active.state, active.resolved_at = "resolved", reading.at
        active.detail = {**(active.detail or {}), "resolved_share": reading.share, "resolved_observations": reading.observations}
        return active

    def deliver(self, session: Session) -> int:
        """Post every alert not yet delivered (firing, then recovery); returns how many were posted."""
        posted = 0
        pending = session.execute(select(AnalyticsAlert).where(
            (AnalyticsAlert.notified_fired.is_(False)) | ((AnalyticsAlert.state == "resolved") & AnalyticsAlert.notified_resolved.is_(False))
        ).order_by(AnalyticsAlert.id)).scalars().all()
        for alert in pending:
            if not alert.notified_fired:
                if not self.webhook.post(fired_message(alert)):
                    break  # keep the order: retry from here next time
                alert.notified_fired, posted = True, posted + 1
            if alert.state == "resolved" and not alert.notified_resolved:
                if not self.webhook.post(resolved_message(alert)):
                    break
                alert.notified_resolved, posted = True, posted + 1
        return posted


def _describe(alert: AnalyticsAlert) -> str:
    return str((alert.detail or {}).get("what") or alert.key)


def fired_message(alert: AnalyticsAlert) -> dict:
    detail = alert.detail or {}
    return slack_message(
        f"Negative surge: {_describe(alert)} at {alert.share:.0%} negative (baseline {alert.baseline:.0%})",
        [f"{alert.observations} {detail.get('unit', 'messages')} in {detail.get('window', 'the window')}",
         f"since {alert.fired_at:%Y-%m-%d %H:%M} UTC", f"alert key {alert.key}"],
    )


def resolved_message(alert: AnalyticsAlert) -> dict:
    detail = alert.detail or {}
    share = detail.get("resolved_share")
    now = f"{share:.0%} negative now" if isinstance(share, (int, float)) else "back to its baseline"
    return slack_message(
        f"Recovered: {_describe(alert)} is {now} (baseline {alert.baseline:.0%})",
        [f"fired {alert.fired_at:%Y-%m-%d %H:%M} UTC, cleared {alert.resolved_at:%Y-%m-%d %H:%M} UTC", f"alert key {alert.key}"],
    )
