"""The analytics consumer: Rasa's event broker in, the analytics tables and surge alerts out.

    python -m services.analytics.consumer --source sql --events-url sqlite:///runtime/events.db
    python -m services.analytics.consumer --source rabbitmq --amqp-url amqp://guest:guest@127.0.0.1:5672/%2F --queue rasa_analytics

The embedded default reads the ``events`` table of Rasa's SQL event broker by id; production reads
a RabbitMQ queue bound to Rasa's exchange (pika). Each batch is one transaction on the store database
(with the SQL source's offset), each message a savepoint inside it: a message that does not parse is
logged and written to ``analytics_dead_letters`` and the consumer goes on. Alerts are delivered to
``ANALYTICS_ALERT_WEBHOOK_URL`` (Slack incoming-webhook format) after the batch is committed.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import signal
import time
from dataclasses import dataclass, field

from sqlalchemy.exc import OperationalError

from services.analytics.db import consumer_sessions
from services.analytics.processor import EventProcessor, Item
from services.analytics.rabbitmq_source import RabbitMqEventSource
from services.analytics.sql_source import SqlEventSource
from services.analytics.surge import AlertBook, MonitorOptions, NegativeShareMonitor, SurgeRule
from services.analytics.webhook import SlackWebhook
from services.settings import get_settings
from services.store.migrate import upgrade

logger = logging.getLogger(__name__)

SOURCES = ("sql", "rabbitmq")


def default_events_url() -> str:
    return os.environ.get("ANALYTICS_EVENTS_URL") or f"sqlite:///{get_settings().runtime_dir / 'events.db'}"


@dataclass
class ConsumerOptions:
    source: str = field(default_factory=lambda: os.environ.get("ANALYTICS_SOURCE", "sql"),
                        metadata={"help": "sql (Rasa's SQL event broker) or rabbitmq (pika)"})
    events_url: str = field(default_factory=default_events_url,
                            metadata={"help": "SQLAlchemy URL of the SQL event broker's database (its `events` table)"})
    amqp_url: str = field(default_factory=lambda: os.environ.get("ANALYTICS_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F"),
                          metadata={"help": "RabbitMQ URL"})
    queue: str = field(default_factory=lambda: os.environ.get("ANALYTICS_QUEUE", "rasa_analytics"),
                       metadata={"help": "RabbitMQ queue (list it under the pika broker's `queues:` in endpoints.yml)"})
    exchange: str = field(default="rasa-exchange", metadata={"help": "Rasa's fanout exchange"})
    database_url: str | None = field(default=None, metadata={"help": "analytics database (default: STORE_DATABASE_URL)"})
    batch_size: int = field(default=200, metadata={"help": "messages per transaction"})
    poll_seconds: float = field(default=1.0, metadata={"help": "wait between polls when there is nothing new"})
    once: bool = field(default=False, metadata={"help": "stop when the source has nothing new (replays, tests)"})
    window_minutes: float = field(default=30.0, metadata={"help": "surge monitor: rolling window"})
    baseline_hours: float = field(default=24.0, metadata={"help": "surge monitor: baseline span before the window"})


@dataclass(frozen=True)
class RunSummary:
    processed: int
    dead_lettered: int
    alerts_posted: int


class Consumer:
    """Runs one source into the analytics tables until stopped (or, with ``once``, until caught up)."""

    def __init__(self, options: ConsumerOptions, webhook: SlackWebhook | None = None, rule: SurgeRule | None = None) -> None:
        if options.source not in SOURCES:
            raise ValueError(f"unknown source {options.source!r}: use one of {', '.join(SOURCES)}")
        self.options = options
        self.sessions = consumer_sessions(options.database_url)
        self.monitor = NegativeShareMonitor(rule, MonitorOptions(options.window_minutes, options.baseline_hours))
        self.book = AlertBook(webhook or SlackWebhook.from_env())
        self.alerts_posted = 0
        self.stopping = False
        self.processor: EventProcessor | None = None

    def stop(self, *_: object) -> None:
        self.stopping = True

    def run(self) -> RunSummary:
        if self.options.source == "sql":
            self._run_sql()
        else:
            self._run_rabbitmq()
        processor = self.processor
        return RunSummary(processor.processed if processor else 0, processor.dead_lettered if processor else 0, self.alerts_posted)

    def _start(self, source_name: str) -> EventProcessor:
        self.processor = EventProcessor(self.sessions, self.monitor, self.book, source_name)
        self.processor.warm_up()
        self._deliver()
        return self.processor

    def _deliver(self) -> None:
        with self.sessions.begin() as session:
            self.alerts_posted += self.book.deliver(session)

    def _run_sql(self) -> None:
        source = SqlEventSource(self.options.events_url)
        processor = self._start(source.name)
        try:
            while not self.stopping:
                if not source.ready():
                    if self.options.once:
                        logger.warning("no `events` table at %s yet: is Rasa running with the SQL event broker?", self.options.events_url)
                        return
                    time.sleep(self.options.poll_seconds)
                    continue
                with self.sessions.begin() as session:
                    after = source.offset(session)
                rows = source.fetch(after, self.options.batch_size)
                processor.run_batch([Item(str(i), data) for i, data in rows],
                                    lambda session, position: source.save_offset(session, int(position)))
                self._deliver()
                if not rows:
                    if self.options.once:
                        return
                    time.sleep(self.options.poll_seconds)
        finally:
            source.close()

    def _run_rabbitmq(self) -> None:
        source = RabbitMqEventSource(self.options.amqp_url, self.options.queue, self.options.exchange, self.options.batch_size)
        processor = self._start(source.name)
        try:
            while not self.stopping:
                deliveries = source.batch(self.options.poll_seconds)
                if not deliveries:
                    if self.options.once:
                        return
                    continue
                try:
                    processor.run_batch([Item(str(d.tag), d.body) for d in deliveries])
                except OperationalError:
                    source.requeue(deliveries)
                    raise
                source.ack(deliveries)
                self._deliver()
        finally:
            source.close()


def parse_options(argv: list[str] | None = None) -> ConsumerOptions:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    defaults = ConsumerOptions()
    for f in dataclasses.fields(ConsumerOptions):
        flag = "--" + f.name.replace("_", "-")
        if f.type in ("bool", bool):
            parser.add_argument(flag, action="store_true", help=f.metadata["help"])
        else:
            kind = {"int": int, "float": float}.get(str(f.type), str)
            parser.add_argument(flag, type=kind, default=getattr(defaults, f.name), help=f.metadata["help"],
                                choices=SOURCES if f.name == "source" else None)
    return ConsumerOptions(**vars(parser.parse_args(argv)))


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    options = parse_options(argv)
    upgrade(options.database_url)
    consumer = Consumer(options)
    signal.signal(signal.SIGTERM, consumer.stop)
    signal.signal(signal.SIGINT, consumer.stop)
    where = options.events_url if options.source == "sql" else f"{options.queue} on {options.amqp_url.split('@')[-1]}"
    logger.info("analytics consumer reading %s (%s)", where, options.source)
    summary = consumer.run()
    logger.info("stopped: %d events, %d dead-lettered, %d alerts posted", summary.processed, summary.dead_lettered, summary.alerts_posted)


if __name__ == "__main__":
    main()
