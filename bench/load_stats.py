"""What a load run measured: the per-message log summarised, and every sent message looked up in the tracker store."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psycopg2


def read_log(path: Path) -> list[dict]:
    """The locustfile's JSON lines (one per message sent)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@dataclass(frozen=True)
class LoadSummary:
    messages: int
    conversations: int
    errors: int  # HTTP status other than 200, or a transport error
    silent: int  # 200 with no bot message at all
    trouble: int  # "I'm having trouble, please try again in a moment."
    duration_s: float
    msg_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    def line(self) -> str:
        return (f"{self.conversations} conversations, {self.messages} messages in {self.duration_s:.1f} s: "
                f"{self.msg_per_s:.1f} msg/s, p50 {self.p50_ms:.0f} ms, p95 {self.p95_ms:.0f} ms, p99 {self.p99_ms:.0f} ms, "
                f"max {self.max_ms:.0f} ms; errors {self.errors}, silent replies {self.silent}, trouble replies {self.trouble}")


def summarise(records: list[dict]) -> LoadSummary:
    """Throughput over the whole run (first send to last reply) and latency percentiles of every message."""
    if not records:
        return LoadSummary(0, 0, 0, 0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    latencies = np.array([r["latency"] for r in records]) * 1000
    start = min(r["start"] for r in records)
    end = max(r["start"] + r["latency"] for r in records)
    duration = max(end - start, 1e-9)
    p50, p95, p99 = np.percentile(latencies, [50, 95, 99])
    return LoadSummary(
        messages=len(records), conversations=len({r["sender"] for r in records}),
        errors=sum(1 for r in records if r["status"] != 200 or r.get("error")),
        silent=sum(1 for r in records if r["status"] == 200 and not r.get("error") and r["replies"] == 0),
        trouble=sum(1 for r in records if r.get("trouble")),
        duration_s=duration, msg_per_s=len(records) / duration,
        p50_ms=float(p50), p95_ms=float(p95), p99_ms=float(p99), max_ms=float(latencies.max()),
    )


@dataclass(frozen=True)
class Audit:
    """Sent messages against the ``user`` events the tracker store holds for the same conversations."""

    conversations: int
    sent: int  # every message the shoppers sent
    answered: int  # of which the server answered 200
    stored: int  # user events in the tracker store for these conversations
    lost: int  # answered 200 but not in the tracker store
    missing_conversations: int  # conversations with fewer stored user events than answered messages
    extra: int  # stored beyond what was sent (a message processed twice)
    events_total: int  # every event stored for these conversations (all types)

    def line(self) -> str:
        return (f"tracker store: {self.stored} user events for {self.sent} messages sent ({self.answered} answered) in "
                f"{self.conversations} conversations; lost {self.lost} (in {self.missing_conversations} conversations), "
                f"extra {self.extra}; {self.events_total} events in all")


def stored_user_events(tracker_db_url: str, sender_prefix: str) -> tuple[Counter, int]:
    """User events per sender whose id starts with ``sender_prefix``, and all their events."""
    url = tracker_db_url.replace("postgresql+psycopg2://", "postgresql://")
    conn = psycopg2.connect(url, connect_timeout=10)
    try:
        with conn.cursor() as cur:
            like = sender_prefix.replace("%", r"\%").replace("_", r"\_") + "%"
            cur.execute("SELECT sender_id, count(*) FILTER (WHERE type_name = 'user'), count(*) FROM events "
                        "WHERE sender_id LIKE %s GROUP BY sender_id", (like,))
            rows = cur.fetchall()
    finally:
        conn.close()
    return Counter({sender: users for sender, users, _ in rows}), sum(total for *_, total in rows)


def audit(records: list[dict], tracker_db_url: str, sender_prefix: str) -> Audit:
    """Count every conversation's user events in the tracker store against what was sent."""
    sent = Counter(r["sender"] for r in records)
    answered = Counter(r["sender"] for r in records if r["status"] == 200 and not r.get("error"))
    stored, events_total = stored_user_events(tracker_db_url, sender_prefix)
    lost = sum(max(0, answered[s] - stored[s]) for s in sent)
    return Audit(
        conversations=len(sent), sent=sum(sent.values()), answered=sum(answered.values()),
        stored=sum(stored[s] for s in sent), lost=lost,
        missing_conversations=sum(1 for s in sent if stored[s] < answered[s]),
        extra=sum(max(0, stored[s] - sent[s]) for s in sent), events_total=events_total,
    )
