"""Faults under load, on the production topology: what the shopper saw and what was lost.

    python bench/faults.py                       # every fault, 40 conversations x 10 turns each
    python bench/faults.py --only redis_restart --users 20

Starts `make run-prod`'s topology once. For each fault a Locust load runs; ``--at-s`` seconds in, the
fault is injected, and undone ``--down-s`` seconds later. Then every message is looked up in the
tracker store (and the events in the RabbitMQ queue). One table row per fault:

- ``rasa_kill``: ``kill -9`` of one Rasa server (started again after the run);
- ``actions_kill``: ``kill -9`` of every action server, then started again;
- ``redis_restart``: the lock store's Redis stopped, then started again (empty);
- ``pg_terminate``: ``pg_terminate_backend`` on every connection to both databases, three times;
- ``rabbit_stop``: ``rabbitmqctl stop_app`` then ``start_app`` (the machine's RabbitMQ; skipped without rabbitmqctl).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.load import LoadOptions, LoadResult, queue_settles, run_load
from bench.load_stats import summarise
from ops.databases import terminate_connections
from ops.run_prod import Topology, running_topology
from ops.topology import ProdOptions


@dataclass(frozen=True)
class FaultOptions:
    users: int = field(default=40, metadata={"help": "concurrent conversations during each fault"})
    turns: int = field(default=10, metadata={"help": "messages per conversation"})
    at_s: float = field(default=10.0, metadata={"help": "seconds into the load when the fault is injected"})
    down_s: float = field(default=10.0, metadata={"help": "seconds the fault lasts before it is undone"})
    only: str = field(default="", metadata={"help": "comma-separated faults to run (default: all)"})


@dataclass
class FaultRow:
    fault: str
    result: LoadResult | None = None
    window: tuple[float, float] = (0.0, 0.0)
    note: str = ""
    queued_after_restart: int | None = None  # broker queue once a killed server came back and sent its spool

    def seen(self) -> str:
        """What shoppers whose message was in flight during the fault saw."""
        if self.result is None:
            return self.note
        start, end = self.window
        hit = [r for r in self.result.records if r["start"] + r["latency"] >= start and r["start"] <= end + 5]
        s = summarise(hit)
        parts = [f"{s.messages} msgs in the window: max wait {s.max_ms / 1000:.1f} s"]
        if s.trouble:
            parts.append(f"{s.trouble} x 'I'm having trouble...'")
        if s.errors:
            codes = sorted({r["status"] for r in hit if r["status"] != 200})
            parts.append(f"{s.errors} errors (HTTP {codes})")
        if s.silent:
            parts.append(f"{s.silent} silent")
        if not (s.trouble or s.errors or s.silent):
            parts.append("every message answered normally")
        return "; ".join(parts) + (f"; {self.note}" if self.note else "")


def _inject(topology: Topology, fault: str, down_s: float) -> str:
    """Inject ``fault``, wait ``down_s``, undo it; a note on what happened."""
    o = topology.options
    if fault == "rasa_kill":
        topology.kill(topology.rasa_names()[0], signal.SIGKILL)
        return "rasa-1 killed (-9); restarted after the run"
    if fault == "actions_kill":
        for name in topology.action_names():
            topology.kill(name, signal.SIGKILL)
        time.sleep(down_s)
        started = time.monotonic()
        for name in topology.action_names():
            topology.restart(name)
        return f"all action servers killed (-9) for {down_s:.0f} s; back {time.monotonic() - started:.1f} s after restart"
    if fault == "redis_restart":
        topology.kill("redis", signal.SIGTERM)
        time.sleep(down_s)
        topology.restart("redis")
        return f"Redis down {down_s:.0f} s, restarted empty"
    if fault == "pg_terminate":
        cut = 0
        for _ in range(3):
            cut += terminate_connections(o, [o.tracker_db, o.store_db])
            time.sleep(down_s / 3)
        return f"{cut} PostgreSQL connections terminated in 3 rounds"
    if fault == "rabbit_stop":
        subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=120)
        time.sleep(down_s)
        subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True, timeout=120)
        return f"RabbitMQ app stopped {down_s:.0f} s"
    raise ValueError(f"unknown fault {fault!r}")


FAULTS: tuple[str, ...] = ("rasa_kill", "actions_kill", "redis_restart", "pg_terminate", "rabbit_stop")


def run_fault(topology: Topology, fault: str, options: FaultOptions, identity_secret: str,
              after: Callable[[], None] | None = None) -> FaultRow:
    """One load run with ``fault`` injected ``options.at_s`` seconds in."""
    if fault == "rabbit_stop" and not shutil.which("rabbitmqctl"):
        return FaultRow(fault, note="skipped: rabbitmqctl not available on this machine")
    load = LoadOptions(users=options.users, turns=options.turns, spawn_rate=max(1.0, options.users / 5), think="1,2", max_run_s=1800)
    holder: list[LoadResult] = []
    runner = threading.Thread(target=lambda: holder.append(run_load(topology.url, load, topology.options, identity_secret)))
    runner.start()
    time.sleep(options.at_s)
    started = time.time()
    note = _inject(topology, fault, options.down_s)
    row = FaultRow(fault, window=(started, time.time()), note=note)
    runner.join()
    row.result = holder[0] if holder else None
    if after:
        after()
        row.queued_after_restart = queue_settles(topology.options, row.result.audit.events_total if row.result else 0, timeout_s=60)
    return row


def print_table(rows: list[FaultRow]) -> None:
    print("| fault | messages | errors | silent | trouble | p95 ms | max ms | lost events | extra | broker queued / stored | what the shopper saw |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        if row.result is None:
            print(f"| {row.fault} | | | | | | | | | | {row.seen()} |")
            continue
        s, a = row.result.summary, row.result.audit
        queued = "unreachable" if row.result.queued_events is None else str(row.result.queued_events)
        if row.queued_after_restart is not None:
            queued += f" ({row.queued_after_restart} after the restart)"
        print(f"| {row.fault} | {s.messages} | {s.errors} | {s.silent} | {s.trouble} | {s.p95_ms:.0f} | {s.max_ms:.0f} | "
              f"{a.lost} | {a.extra} | {queued} / {a.events_total} | {row.seen()} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, f in FaultOptions.__dataclass_fields__.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(f.default), default=f.default, help=f.metadata["help"])
    options = FaultOptions(**vars(parser.parse_args()))
    chosen = [f for f in FAULTS if not options.only or f in options.only.split(",")]
    from ops.run_prod import runtime_secrets

    rows: list[FaultRow] = []
    with running_topology(ProdOptions(), seed_today=os.environ.get("ASSISTANT_TODAY")) as topology:
        secret = runtime_secrets(os.environ)["IDENTITY_SECRET"]
        for fault in chosen:
            print(f"fault {fault}: {options.users} conversations x {options.turns} turns ...", flush=True)
            after = (lambda: topology.restart(topology.rasa_names()[0])) if fault == "rasa_kill" else None
            rows.append(run_fault(topology, fault, options, secret, after))
            print_table(rows[-1:])
    print()
    print_table(rows)
    bad = [r for r in rows if r.result and (r.result.summary.errors or r.result.summary.silent or r.result.audit.lost)]
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
