"""Week-over-week review sentiment per product and aspect, and its surges (the same rule and alerts as the live stream).

Weeks end on the report day: week 0 is the last seven days, week 1 the seven before, and so on.
A week fires when its negative share is a surge (:class:`~services.analytics.surge.SurgeRule`) over
the pooled share of the ``baseline_weeks`` before it; while it fires the baseline stays frozen, and it
clears after ``recovery_weeks`` weeks in a row whose mentions are back near the baseline (reviews are
sparse: a quiet week is no evidence either way).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from services.analytics.surge import Reading, SurgeRule, Transition

OVERALL = "overall"
REVIEW_RULE = SurgeRule(min_increase=0.3, min_ratio=2.0, z=2.0, min_observations=4, clear_increase=0.1, design_effect=1.0)


@dataclass(frozen=True)
class TrendOptions:
    baseline_weeks: int = field(default=26, metadata={"help": "weeks before the current one that make its baseline"})
    min_baseline_mentions: int = field(default=2, metadata={"help": "mentions the baseline needs before a week can fire (aspects are sparse)"})
    recovery_weeks: int = field(default=2, metadata={"help": "weeks in a row back near the baseline that clear a surge"})
    weeks: int = field(default=27, metadata={"help": "weeks shown and walked (about six months)"})


@dataclass(frozen=True)
class WeekPoint:
    week_end: dt.date  # the last day of the week, included
    mentions: int
    negative: int

    @property
    def share(self) -> float | None:
        return self.negative / self.mentions if self.mentions else None


@dataclass(frozen=True)
class SurgeSpan:
    aspect: str
    fired_week: dt.date
    cleared_week: dt.date | None  # None: still firing
    share: float
    baseline: float
    mentions: int


def week_index(at: dt.datetime, today: dt.date) -> int:
    """0 for the seven days ending on ``today``, 1 for the week before, ..."""
    return (today - at.date()).days // 7


def weekly_series(mentions: list[tuple[dt.datetime, str]], today: dt.date, weeks: int) -> list[WeekPoint]:
    """``(when, polarity)`` mentions binned into the last ``weeks`` weeks, oldest first."""
    counts = [[0, 0] for _ in range(weeks)]
    for at, polarity in mentions:
        k = week_index(at, today)
        if 0 <= k < weeks:
            counts[k][0] += 1
            counts[k][1] += polarity == "negative"
    return [WeekPoint(today - dt.timedelta(days=7 * k), counts[k][0], counts[k][1]) for k in reversed(range(weeks))]


def walk_surges(aspect: str, series: list[WeekPoint], rule: SurgeRule = REVIEW_RULE,
                options: TrendOptions | None = None) -> list[SurgeSpan]:
    """Every surge of one series, oldest first; the last one has ``cleared_week=None`` while it still fires."""
    options = options or TrendOptions()
    spans: list[SurgeSpan] = []
    firing: SurgeSpan | None = None
    calm_weeks = 0
    for i, week in enumerate(series):
        if firing is None:
            before = series[max(0, i - options.baseline_weeks):i]
            pooled, negative = sum(w.mentions for w in before), sum(w.negative for w in before)
            if pooled < options.min_baseline_mentions or not week.mentions:
                continue
            baseline = negative / pooled
            if rule.is_surge(week.negative / week.mentions, week.mentions, baseline):
                firing = SurgeSpan(aspect, week.week_end, None, round(week.negative / week.mentions, 4), round(baseline, 4), week.mentions)
                calm_weeks = 0
            continue
        if not week.mentions:
            continue
        calm = week.negative / week.mentions - firing.baseline <= rule.clear_increase
        calm_weeks = calm_weeks + 1 if calm else 0
        if calm_weeks >= options.recovery_weeks:
            spans.append(SurgeSpan(aspect, firing.fired_week, week.week_end, firing.share, firing.baseline, firing.mentions))
            firing = None
    if firing is not None:
        spans.append(firing)
    return spans


def current_transition(key: str, spans: list[SurgeSpan], series: list[WeekPoint], active: bool, today: dt.date) -> Transition | None:
    """What the alert book must record so the stored alert matches the series now: fire, resolve, or nothing."""
    last = spans[-1] if spans else None
    if last is not None and last.cleared_week is None and not active:
        fired_at = dt.datetime.combine(last.fired_week, dt.time())
        return Transition(key, "fired", Reading(fired_at, last.share, last.mentions, last.baseline, 0))
    if active and (last is None or last.cleared_week is not None):
        recent = next((w for w in reversed(series) if w.mentions), None)
        share = recent.share if recent and recent.share is not None else 0.0
        return Transition(key, "resolved", Reading(dt.datetime.combine(today, dt.time()), share, recent.mentions if recent else 0,
                                                   last.baseline if last else 0.0, 0))
    return None
