"""The dashboard's tables as CSV, safe to open in a spreadsheet (no formula injection from shopper-controlled ids)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable

from sqlalchemy.orm import Session

from components.emotion.labels import LABELS
from services.analytics import metrics as m

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """A CSV cell: numbers and dates plainly, text that a spreadsheet would run as a formula quoted with '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, (int, dt.date)):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _emotion_mix(session: Session, r: m.DateRange) -> tuple[list[str], Iterable[list]]:
    return ["day", *LABELS, "total"], ([d.day, *(d.counts[label] for label in LABELS), d.total] for d in m.emotion_mix(session, r))


def _escalations(session: Session, r: m.DateRange) -> tuple[list[str], Iterable[list]]:
    rows = m.escalation_rows(session, r)
    return (["escalation_id", "sender_id", "reason", "escalated_at", "agent", "first_reply_at", "wait_seconds"],
            ([e.escalation_id, e.sender_id, e.reason, e.escalated_at, e.agent_id, e.replied_at, e.wait_seconds] for e in rows))


def _reasons(session: Session, r: m.DateRange) -> tuple[list[str], Iterable[list]]:
    return ["reason", "escalations", "rate"], ([x.reason, x.escalations, x.rate] for x in m.escalation_by_reason(session, r))


def _deescalation(session: Session, r: m.DateRange) -> tuple[list[str], Iterable[list]]:
    result = m.deescalation(session, r)
    rows = [[label, started, calmed, calmed / started if started else None] for label, (started, calmed) in result.by_emotion.items()]
    return ["starting_emotion", "started_negative", "ended_neutral_or_positive", "rate"], \
        [*rows, ["all", result.started_negative, result.calmed, result.rate]]


def _csat(session: Session, r: m.DateRange) -> tuple[list[str], Iterable[list]]:
    return ["starting_emotion", "ratings", "mean_csat"], ([g.emotion, g.ratings, g.mean] for g in m.csat_by_starting_emotion(session, r))


def _satisfaction(session: Session, r: m.DateRange) -> tuple[list[str], Iterable[list]]:
    rows = m.satisfaction_per_conversation(session, r)
    return (["conversation_id", "sender_id", "started_at", "channel", "messages", "first_emotion", "last_emotion", "valence",
             "inferred_satisfaction", "csat", "escalated"],
            ([c.conversation_id, c.sender_id, c.started_at, c.channel, c.messages, c.first_emotion, c.last_emotion, c.valence,
              c.inferred, c.csat, c.escalated] for c in rows))


def _intents(session: Session, r: m.DateRange) -> tuple[list[str], Iterable[list]]:
    rows = m.negative_share_by_intent(session, r, min_messages=1, top=1000)
    return ["intent", "messages", "negative", "negative_share"], ([i.intent, i.messages, i.negative, i.share] for i in rows)


def _timeline(session: Session, r: m.DateRange) -> tuple[list[str], Iterable[list]]:
    bins, _alerts = m.negative_timeline(session, r)
    return ["period_start", "messages", "negative", "negative_share"], \
        ([b.start, b.messages, b.negative, b.negative / b.messages if b.messages else None] for b in bins)


TABLES: dict[str, Callable[[Session, m.DateRange], tuple[list[str], Iterable[list]]]] = {
    "emotion_mix": _emotion_mix, "escalation_reasons": _reasons, "escalations": _escalations, "deescalation": _deescalation,
    "csat_by_emotion": _csat, "satisfaction": _satisfaction, "negative_intents": _intents, "negative_timeline": _timeline,
}


def export_csv(session: Session, table: str, r: m.DateRange) -> str:
    """One of :data:`TABLES` as CSV text; raises KeyError for an unknown table."""
    header, rows = TABLES[table](session, r)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([cell(v) for v in row] for row in rows)
    return out.getvalue()
