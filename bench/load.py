"""Load test of the production topology: Locust, headless, then every message looked up in the tracker store.

    python bench/load.py --users 1000 --turns 10     # starts `make run-prod`'s topology, runs, stops it
    python bench/load.py --url http://127.0.0.1:5080  # against a topology that is already up

Each simulated shopper holds one conversation (``bench/locustfile.py``); the run ends when all have
finished. Prints msg/s and p50/p95/p99, errors and silent replies, then counts each conversation's
user events in the PostgreSQL tracker store against what was sent, and the events that reached the
RabbitMQ queue. Exits 1 on any error or lost event.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import time
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import pika

from bench.load_stats import Audit, LoadSummary, audit, read_log, summarise
from ops.topology import ProdOptions
from services.settings import PROJECT_ROOT


@dataclass(frozen=True)
class LoadOptions:
    """What to run: how many conversations, how long, against which server."""

    users: int = field(default=1000, metadata={"help": "concurrent conversations (one simulated shopper each)"})
    turns: int = field(default=10, metadata={"help": "messages per conversation (at most 10)"})
    spawn_rate: float = field(default=50.0, metadata={"help": "shoppers started per second"})
    think: str = field(default="0.5,1.5", metadata={"help": "min,max seconds a shopper waits between turns"})
    max_run_s: int = field(default=3600, metadata={"help": "hard stop for the whole run"})
    url: str = field(default="", metadata={"help": "topology to load (empty: start `make run-prod`'s here)"})
    out_dir: Path = field(default=PROJECT_ROOT / "results" / "load", metadata={"help": "per-message logs"})


@dataclass(frozen=True)
class LoadResult:
    run_id: str
    summary: LoadSummary
    audit: Audit
    queued_events: int | None  # events in the broker's queue after the run (None: broker unreachable)
    records: list[dict]


def _rabbit(options: ProdOptions) -> pika.BlockingConnection:
    credentials = pika.PlainCredentials(options.rabbit_user, options.rabbit_password)
    params = pika.ConnectionParameters(options.rabbit_host, options.rabbit_port, credentials=credentials,
                                       connection_attempts=1, socket_timeout=5, blocked_connection_timeout=5)
    return pika.BlockingConnection(params)


def queue_depth(options: ProdOptions, purge: bool = False) -> int | None:
    """Messages waiting in the event queue (purged first when ``purge``); None when RabbitMQ is unreachable."""
    try:
        connection = _rabbit(options)
    except pika.exceptions.AMQPError:
        return None
    try:
        channel = connection.channel()
        channel.queue_declare(options.event_queue, durable=True)
        if purge:
            channel.queue_purge(options.event_queue)
        return channel.queue_declare(options.event_queue, durable=True, passive=True).method.message_count
    finally:
        connection.close()


def queue_settles(options: ProdOptions, stored: int, timeout_s: float) -> int | None:
    """The event queue's depth once it holds ``stored`` events, or after ``timeout_s``; None when unreachable."""
    deadline = time.monotonic() + timeout_s
    while (queued := queue_depth(options)) is not None and queued < stored and time.monotonic() < deadline:
        time.sleep(1)
    return queued


def run_locust(url: str, load: LoadOptions, prod: ProdOptions, identity_secret: str, run_id: str) -> list[dict]:
    """Run the locustfile headless until every shopper has finished; the per-message records."""
    load.out_dir.mkdir(parents=True, exist_ok=True)
    log = load.out_dir / f"{run_id}.jsonl"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "LOAD_RUN_ID": run_id, "LOAD_TURNS": str(load.turns),
           "LOAD_LOG": str(log), "LOAD_STORE_URL": prod.store_database_url, "IDENTITY_SECRET": identity_secret,
           "LOAD_THINK_S": load.think}
    argv = [sys.executable, "-m", "locust", "-f", str(PROJECT_ROOT / "bench" / "locustfile.py"), "--headless",
            "-u", str(load.users), "-r", str(load.spawn_rate), "-H", url, "-t", f"{load.max_run_s}s",
            "--stop-timeout", "60", "--only-summary", "--loglevel", "WARNING"]
    with (load.out_dir / f"{run_id}.locust.log").open("w") as out:
        subprocess.run(argv, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=load.max_run_s + 180)
    return read_log(log)


def run_load(url: str, load: LoadOptions, prod: ProdOptions, identity_secret: str, run_id: str | None = None) -> LoadResult:
    """One load run against ``url`` and its audit against the tracker store of ``prod``."""
    run_id = run_id or time.strftime("%H%M%S") + uuid.uuid4().hex[:4]
    queue_depth(prod, purge=True)
    records = run_locust(url, load, prod, identity_secret, run_id)
    checked = audit(records, prod.tracker_database_url, f"load-{run_id}-")
    queued = queue_settles(prod, checked.events_total, timeout_s=30)  # Rasa publishes to the broker in the background
    return LoadResult(run_id, summarise(records), checked, queued, records)


def print_result(result: LoadResult, title: str = "load") -> None:
    print(f"{title} (run {result.run_id})")
    print("  " + result.summary.line())
    print("  " + result.audit.line())
    if result.queued_events is None:
        print("  event broker: RabbitMQ unreachable")
    else:
        print(f"  event broker: {result.queued_events} events in the queue for {result.audit.events_total} stored")


def parse_options(argv: list[str] | None = None) -> LoadOptions:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for f in dataclasses.fields(LoadOptions):
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default), default=f.default, help=f.metadata["help"])
    return LoadOptions(**vars(parser.parse_args(argv)))


def main() -> None:
    from ops.run_prod import running_topology, runtime_secrets

    load = parse_options()
    prod = ProdOptions()
    context = nullcontext(None) if load.url else running_topology(prod, seed_today=os.environ.get("ASSISTANT_TODAY"))
    with context as topology:
        url = load.url or topology.url
        secret = runtime_secrets(os.environ)["IDENTITY_SECRET"]
        print(f"{load.users} conversations x {load.turns} turns through {url} ...", flush=True)
        result = run_load(url, load, prod, secret)
    print_result(result)
    sys.exit(0 if result.summary.errors == 0 and result.audit.lost == 0 else 1)


if __name__ == "__main__":
    main()
