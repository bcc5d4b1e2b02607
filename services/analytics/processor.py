"""Batches of broker messages: parse, write, then watch for surges; a bad message is dead-lettered, not fatal.

A batch is one transaction. Messages are parsed and checked before anything is written, so a
message that does not parse never reaches the database: it is logged and dead-lettered in the same
transaction. Should writing still fail (a redelivered duplicate, a bug), the batch is rolled back
and replayed one message per transaction, so only the message at fault is set aside.
The surge monitor sees a batch's messages only after it is committed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from services.analytics.events import BadEvent, parse_broker_message
from services.analytics.models import AnalyticsDeadLetter, AnalyticsMessage
from services.analytics.surge import AlertBook, NegativeShareMonitor, Transition
from services.analytics.writer import AnalyticsWriter, Observation

logger = logging.getLogger(__name__)

MAX_DEAD_LETTER_CHARS = 10_000
Checkpoint = Callable[[Session, str], None]  # stores a source position in the batch's transaction


@dataclass(frozen=True)
class Item:
    """One broker message and where it sits in its source (events row id, delivery tag)."""

    position: str
    body: bytes | str


def _text(body: bytes | str) -> str:
    """The body as storable text: undecodable bytes replaced, NUL written as \\x00 (PostgreSQL text cannot hold it)."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    return text.replace("\x00", "\\x00")


class EventProcessor:
    """Applies batches of broker messages to the analytics tables and feeds the surge monitor."""

    def __init__(self, sessions: sessionmaker, monitor: NegativeShareMonitor, book: AlertBook,
                 source: str, writer: AnalyticsWriter | None = None) -> None:
        self.sessions = sessions
        self.monitor = monitor
        self.book = book
        self.source = source[:64]
        self.writer = writer or AnalyticsWriter()
        self.processed = 0
        self.dead_lettered = 0
        self.duplicates = 0

    def warm_up(self) -> None:
        """Refill the monitor from the stored messages of its window and baseline, and line it up with the stored alert."""
        with self.sessions.begin() as session:
            latest = session.execute(select(func.max(AnalyticsMessage.sent_at))).scalar()
            if latest is not None:
                since = latest - self.monitor.window_span - self.monitor.baseline_span
                rows = session.execute(select(AnalyticsMessage.sent_at, AnalyticsMessage.polarity)
                                       .where(AnalyticsMessage.sent_at > since, AnalyticsMessage.expressive.is_(True))
                                       .order_by(AnalyticsMessage.sent_at, AnalyticsMessage.id))
                for sent_at, polarity in rows:
                    self.monitor.observe(sent_at, polarity == "negative")
            active = self.book.firing(session, self.monitor.key)
            if active is not None:
                self.monitor.restore(True, active.baseline)
            elif self.monitor.firing:  # it fired while the consumer was stopping: record it now
                self._record(session, Transition(self.monitor.key, "fired", self.monitor.reading()))

    def run_batch(self, items: list[Item], checkpoint: Checkpoint | None = None) -> None:
        """Apply ``items`` in one transaction (``checkpoint`` stores the last position with them), then watch for surges."""
        if not items:
            return
        try:
            with self.sessions.begin() as session:
                observations = [o for item in items for o in self._apply(session, item)]
                if checkpoint:
                    checkpoint(session, items[-1].position)
        except OperationalError:
            self.writer.forget()
            raise  # the database is away: the caller retries the batch
        except Exception as exc:  # noqa: BLE001 - replay one by one to find the message at fault
            self.writer.forget()
            logger.warning("batch of %d %s messages failed (%s); replaying them one at a time", len(items), self.source, exc)
            observations = [o for item in items for o in self._apply_alone(item, checkpoint)]
        self._watch(observations)

    def _apply(self, session: Session, item: Item) -> list[Observation]:
        try:
            event = parse_broker_message(item.body)
            prepared = self.writer.prepare(event)
        except BadEvent as exc:
            self._dead_letter(session, item, str(exc))
            return []
        self.processed += 1
        return self.writer.apply(session, event, prepared) if self.writer.wants(event) else []

    def _apply_alone(self, item: Item, checkpoint: Checkpoint | None) -> list[Observation]:
        try:
            with self.sessions.begin() as session:
                observations = self._apply(session, item)
                if checkpoint:
                    checkpoint(session, item.position)
                return observations
        except OperationalError:
            self.writer.forget()
            raise
        except IntegrityError:
            self.writer.forget()
            self.duplicates += 1
            logger.info("%s message %s was already recorded (a redelivery); skipped", self.source, item.position)
            error = None
        except Exception as exc:  # noqa: BLE001 - a message our code cannot handle must not stop the stream
            self.writer.forget()
            logger.exception("%s message %s could not be recorded", self.source, item.position)
            error = f"{type(exc).__name__}: {exc}"
        with self.sessions.begin() as session:
            if error is not None:
                self._dead_letter(session, item, error)
            if checkpoint:
                checkpoint(session, item.position)
        return []

    def _dead_letter(self, session: Session, item: Item, error: str) -> None:
        self.dead_lettered += 1
        logger.error("dead-lettered %s message %s: %s", self.source, item.position, error)
        session.add(AnalyticsDeadLetter(source=self.source, source_position=item.position[:64], error=_text(error)[:500],
                                        body=_text(item.body)[:MAX_DEAD_LETTER_CHARS], received_at=dt.datetime.utcnow().replace(microsecond=0)))

    def _watch(self, observations: list[Observation]) -> None:
        transitions = [t for o in observations if (t := self.monitor.observe(o.at, o.negative)) is not None]
        if transitions:
            with self.sessions.begin() as session:
                for transition in transitions:
                    self._record(session, transition)

    def _record(self, session: Session, transition: Transition) -> None:
        reading = transition.reading
        logger.warning("negative surge %s at %s: %.0f%% of %d messages, baseline %.0f%%", transition.kind, reading.at,
                       100 * reading.share, reading.observations, 100 * (reading.baseline or 0))
        self.book.record(session, transition, detail={
            "what": "shopper messages", "unit": "messages", "window": f"the last {self.monitor.options.window_minutes:g} minutes"})

