"""What the dashboard shows, computed from the analytics tables for a date range.

Emotion figures count expressive shopper messages only (a CSAT rating is not a mood).
Dates are UTC calendar days, both ends included. Conversations belong to the day they started;
messages, escalations and replies to the moment they happened. Grouping is done in Python so the
same code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from components.emotion.labels import LABELS, NEGATIVE
from services.analytics.models import (
    AnalyticsAgentReply,
    AnalyticsAlert,
    AnalyticsConversation,
    AnalyticsCsat,
    AnalyticsDeadLetter,
    AnalyticsEscalation,
    AnalyticsMessage,
)
from services.analytics.surge import MESSAGES_KEY

MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 30


@dataclass(frozen=True)
class DateRange:
    start: dt.date
    end: dt.date  # included

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"the range ends ({self.end}) before it starts ({self.start})")
        if (self.end - self.start).days >= MAX_RANGE_DAYS:
            raise ValueError(f"ranges are limited to {MAX_RANGE_DAYS} days")

    @classmethod
    def last_days(cls, days: int = DEFAULT_RANGE_DAYS, today: dt.date | None = None) -> DateRange:
        today = today or dt.datetime.utcnow().date()
        return cls(today - dt.timedelta(days=days - 1), today)

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time())

    @property
    def until(self) -> dt.datetime:
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time())

    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]


@dataclass(frozen=True)
class SatisfactionRule:
    """How satisfaction is inferred from what the shopper wrote (the running valence of their messages)."""

    satisfied_from: float = field(default=0.45, metadata={
        "help": "running valence (0 negative .. 1 positive, unsure readings 0.5) from which a conversation reads satisfied"})

    def label(self, valence: float | None) -> str | None:
        if valence is None:
            return None
        return "satisfied" if valence >= self.satisfied_from else "unsatisfied"


def _in(column, r: DateRange):  # noqa: ANN001, ANN202
    return and_(column >= r.since, column < r.until)


@dataclass(frozen=True)
class Overview:
    conversations: int
    messages: int
    negative_share: float | None
    escalations: int
    escalation_rate: float | None
    ratings: int
    mean_csat: float | None
    dead_letters: int  # all time, not just the range
    active_alerts: int


def overview(session: Session, r: DateRange) -> Overview:
    conversations = session.execute(select(func.count()).where(_in(AnalyticsConversation.started_at, r))).scalar_one()
    messages, negative = session.execute(select(func.count(), func.count().filter(AnalyticsMessage.polarity == "negative"))
                                         .where(_in(AnalyticsMessage.sent_at, r), AnalyticsMessage.expressive.is_(True))).one()
    escalations = session.execute(select(func.count()).where(_in(AnalyticsEscalation.escalated_at, r))).scalar_one()
    ratings, mean = session.execute(select(func.count(), func.avg(AnalyticsCsat.rating)).where(_in(AnalyticsCsat.rated_at, r))).one()
    dead = session.execute(select(func.count()).select_from(AnalyticsDeadLetter)).scalar_one()  # all time: an operational figure
    active = session.execute(select(func.count()).where(AnalyticsAlert.state == "firing")).scalar_one()
    return Overview(conversations, messages, negative / messages if messages else None, escalations,
                    escalations / conversations if conversations else None, ratings, float(mean) if mean is not None else None, dead, active)


@dataclass(frozen=True)
class DailyMix:
    day: dt.date
    counts: dict[str, int]  # per emotion label (the dialogue's reading), every label present

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def emotion_mix(session: Session, r: DateRange) -> list[DailyMix]:
    """Shopper messages per day and emotion (the label the dialogue acted on: unsure readings count as neutral)."""
    rows = session.execute(select(AnalyticsMessage.sent_at, AnalyticsMessage.dialogue_emotion)
                           .where(_in(AnalyticsMessage.sent_at, r), AnalyticsMessage.expressive.is_(True)))
    per_day: dict[dt.date, Counter] = defaultdict(Counter)
    for sent_at, label in rows:
        per_day[sent_at.date()][label] += 1
    return [DailyMix(day, {label: per_day[day][label] for label in LABELS}) for day in r.days()]


@dataclass(frozen=True)
class ReasonRate:
    reason: str
    escalations: int
    rate: float  # escalations / conversations started in the range


def escalation_by_reason(session: Session, r: DateRange) -> list[ReasonRate]:
    """Escalations of the conversations started in the range, per reason, as a share of those conversations."""
    conversations = session.execute(select(func.count()).where(_in(AnalyticsConversation.started_at, r))).scalar_one()
    rows = session.execute(select(AnalyticsEscalation.reason, func.count()).join(AnalyticsConversation)
                           .where(_in(AnalyticsConversation.started_at, r)).group_by(AnalyticsEscalation.reason)).all()
    return sorted((ReasonRate(reason, n, n / conversations) for reason, n in rows if conversations), key=lambda x: (-x.escalations, x.reason))


@dataclass(frozen=True)
class DeEscalation:
    started_negative: int  # with at least two messages: one to start, one to end on
    calmed: int  # of those, ended neutral or positive
    by_emotion: dict[str, tuple[int, int]]  # starting emotion -> (started, calmed)

    @property
    def rate(self) -> float | None:
        return self.calmed / self.started_negative if self.started_negative else None


def deescalation(session: Session, r: DateRange) -> DeEscalation:
    """Conversations that started negative and ended neutral or positive: whether the regulation works."""
    rows = session.execute(select(AnalyticsConversation.first_emotion, AnalyticsConversation.last_polarity).where(
        _in(AnalyticsConversation.started_at, r), AnalyticsConversation.first_polarity == "negative",
        AnalyticsConversation.user_messages >= 2)).all()
    by: dict[str, list[int]] = {label: [0, 0] for label in LABELS if label in NEGATIVE}
    for first, last in rows:
        by.setdefault(first, [0, 0])
        by[first][0] += 1
        by[first][1] += last != "negative"
    return DeEscalation(len(rows), sum(v[1] for v in by.values()), {k: (v[0], v[1]) for k, v in by.items()})


@dataclass(frozen=True)
class CsatGroup:
    emotion: str
    ratings: int
    mean: float


def csat_by_starting_emotion(session: Session, r: DateRange) -> list[CsatGroup]:
    """Mean CSAT of the conversations started in the range, by the emotion they started with."""
    rows = session.execute(select(AnalyticsConversation.first_emotion, AnalyticsCsat.rating).join(
        AnalyticsConversation, AnalyticsCsat.conversation_id == AnalyticsConversation.id).where(_in(AnalyticsConversation.started_at, r)))
    groups: dict[str, list[int]] = defaultdict(list)
    for emotion, rating in rows:
        groups[emotion or "neutral"].append(rating)
    return [CsatGroup(label, len(groups[label]), round(statistics.fmean(groups[label]), 3)) for label in LABELS if groups.get(label)]


@dataclass(frozen=True)
class ConversationSatisfaction:
    conversation_id: int
    sender_id: str
    started_at: dt.datetime
    channel: str | None
    messages: int
    first_emotion: str | None
    last_emotion: str | None
    valence: float | None
    inferred: str | None  # satisfied | unsatisfied
    csat: int | None
    escalated: bool


@dataclass(frozen=True)
class SatisfactionSummary:
    satisfied: int
    unsatisfied: int
    agreement: float | None  # with CSAT (4-5 satisfied, 1-2 unsatisfied; 3 left out)
    compared: int


def satisfaction_per_conversation(session: Session, r: DateRange, rule: SatisfactionRule | None = None,
                                  limit: int | None = None) -> list[ConversationSatisfaction]:
    """Each conversation started in the range (newest first) with the satisfaction its text suggests, and its CSAT."""
    rule = rule or SatisfactionRule()
    latest = (select(AnalyticsCsat.conversation_id, func.max(AnalyticsCsat.id).label("csat_id"))
              .group_by(AnalyticsCsat.conversation_id).subquery())
    stmt = (select(AnalyticsConversation, AnalyticsCsat.rating)
            .outerjoin(latest, latest.c.conversation_id == AnalyticsConversation.id)
            .outerjoin(AnalyticsCsat, AnalyticsCsat.id == latest.c.csat_id)
            .where(_in(AnalyticsConversation.started_at, r), AnalyticsConversation.user_messages > 0)
            .order_by(AnalyticsConversation.started_at.desc(), AnalyticsConversation.id.desc()))
    if limit:
        stmt = stmt.limit(limit)
    return [ConversationSatisfaction(c.id, c.sender_id, c.started_at, c.channel, c.user_messages, c.first_emotion, c.last_emotion,
                                     c.valence_ewm, rule.label(c.valence_ewm), rating, c.escalated)
            for c, rating in session.execute(stmt)]


def satisfaction_summary(rows: list[ConversationSatisfaction]) -> SatisfactionSummary:
    satisfied = sum(r.inferred == "satisfied" for r in rows)
    unsatisfied = sum(r.inferred == "unsatisfied" for r in rows)
    pairs = [(r.inferred, "satisfied" if r.csat >= 4 else "unsatisfied") for r in rows if r.csat is not None and r.csat != 3 and r.inferred]
    agreement = sum(a == b for a, b in pairs) / len(pairs) if pairs else None
    return SatisfactionSummary(satisfied, unsatisfied, agreement, len(pairs))


@dataclass(frozen=True)
class IntentNegativity:
    intent: str
    messages: int
    negative: int

    @property
    def share(self) -> float:
        return self.negative / self.messages


def negative_share_by_intent(session: Session, r: DateRange, min_messages: int = 5, top: int = 10) -> list[IntentNegativity]:
    """The requests (intents) whose messages most often read negative; intents with fewer than ``min_messages`` left out."""
    rows = session.execute(select(AnalyticsMessage.intent, func.count(), func.count().filter(AnalyticsMessage.polarity == "negative"))
                           .where(_in(AnalyticsMessage.sent_at, r), AnalyticsMessage.expressive.is_(True))
                           .group_by(AnalyticsMessage.intent)).all()
    found = [IntentNegativity(intent or "(none)", n, neg) for intent, n, neg in rows if n >= min_messages]
    return sorted(found, key=lambda x: (-x.share, -x.messages, x.intent))[:top]


@dataclass(frozen=True)
class FirstReplies:
    escalations: int
    replied: int
    waits: list[float]  # seconds, one per replied escalation

    def quantile(self, q: float) -> float | None:
        if not self.waits:
            return None
        ordered = sorted(self.waits)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def median(self) -> float | None:
        return statistics.median(self.waits) if self.waits else None


def first_reply_times(session: Session, r: DateRange) -> FirstReplies:
    """How long shoppers waited, after an escalation in the range, for an agent's first reply."""
    escalations = session.execute(select(func.count()).where(_in(AnalyticsEscalation.escalated_at, r))).scalar_one()
    waits = session.execute(select(AnalyticsAgentReply.wait_seconds).join(AnalyticsEscalation)
                            .where(_in(AnalyticsEscalation.escalated_at, r))).scalars().all()
    return FirstReplies(escalations, len(waits), [float(w) for w in waits])


@dataclass(frozen=True)
class ShareBin:
    start: dt.datetime
    messages: int
    negative: int


@dataclass(frozen=True)
class AlertSpan:
    key: str
    fired_at: dt.datetime
    resolved_at: dt.datetime | None
    share: float
    baseline: float


def negative_timeline(session: Session, r: DateRange) -> tuple[list[ShareBin], list[AlertSpan]]:
    """Negative share per hour (ranges up to 3 days) or per day, and the surge alerts that overlap the range."""
    hourly = (r.end - r.start).days < 3
    step = dt.timedelta(hours=1) if hourly else dt.timedelta(days=1)
    bins: dict[dt.datetime, list[int]] = {}
    at = r.since
    while at < r.until:
        bins[at] = [0, 0]
        at += step
    stmt = select(AnalyticsMessage.sent_at, AnalyticsMessage.polarity).where(_in(AnalyticsMessage.sent_at, r), AnalyticsMessage.expressive.is_(True))
    for sent_at, polarity in session.execute(stmt):
        key = sent_at.replace(minute=0, second=0, microsecond=0) if hourly else dt.datetime.combine(sent_at.date(), dt.time())
        bins[key][0] += 1
        bins[key][1] += polarity == "negative"
    alerts = session.execute(select(AnalyticsAlert).where(AnalyticsAlert.key == MESSAGES_KEY, AnalyticsAlert.fired_at < r.until,
                                                          (AnalyticsAlert.resolved_at.is_(None)) | (AnalyticsAlert.resolved_at >= r.since))
                             .order_by(AnalyticsAlert.fired_at)).scalars().all()
    return ([ShareBin(k, v[0], v[1]) for k, v in bins.items()],
            [AlertSpan(a.key, a.fired_at, a.resolved_at, a.share, a.baseline) for a in alerts])


@dataclass(frozen=True)
class EscalationRow:
    escalation_id: int
    sender_id: str
    reason: str
    escalated_at: dt.datetime
    agent_id: str | None
    replied_at: dt.datetime | None
    wait_seconds: float | None


def escalation_rows(session: Session, r: DateRange) -> list[EscalationRow]:
    """Every escalation in the range with its first agent reply, if any (for export)."""
    stmt = (select(AnalyticsEscalation, AnalyticsAgentReply).outerjoin(AnalyticsAgentReply)
            .where(_in(AnalyticsEscalation.escalated_at, r)).order_by(AnalyticsEscalation.escalated_at, AnalyticsEscalation.id))
    return [EscalationRow(e.id, e.sender_id, e.reason, e.escalated_at, reply.agent_id if reply else None,
                          reply.replied_at if reply else None, reply.wait_seconds if reply else None)
            for e, reply in session.execute(stmt)]
