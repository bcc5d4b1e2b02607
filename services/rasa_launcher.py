"""Rasa's CLI with the assistant's action-server fallback and speed-ups installed.

    python -m services.rasa_launcher run --model models/assistant.tar.gz --endpoints endpoints.yml ...

Same arguments as ``rasa``. The differences: a failing action server gets the shopper
"I'm having trouble, please try again in a moment." instead of silence (``services.action_fallback``,
which also checks action answers against a schema compiled once), and event types are looked up once
(``services.event_type_lookup``).

``run`` also serves with several Sanic workers (one more than the cores, at most ``MAX_WORKERS``),
unless ``SANIC_WORKERS`` says otherwise. Rasa accepts several workers only with a lock store that they
share; the embedded ``endpoints.yml`` has one (``services.sqlite_lock_store``), and its SQLite
tracker store lets every worker see every conversation. With several workers, prometheus_client's
multiprocess mode gets a fresh directory (``PROMETHEUS_MULTIPROC_DIR``) so ``/metrics`` sums them, and
the SQLite tables the workers share are created once, before they are forked (``create_shared_tables``).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import MutableMapping

PR_SET_PDEATHSIG = 1  # linux/prctl.h
MAX_WORKERS = 4  # each worker holds its own copy of the models (1.9 GB resident in `make run`)
# With several workers each gets one thread of TensorFlow (Rasa's variables) and of the emotion model:
# their thread pools spin while idle: 2 workers on 2 cores served 12.8 msg/s with the default pools, 17-18 with one thread each.
PER_WORKER_THREADS = ("TF_INTER_OP_PARALLELISM_THREADS", "TF_INTRA_OP_PARALLELISM_THREADS", "EMOTION_NUM_THREADS")


def default_workers() -> int:
    """One more than the cores this process may run on, at most ``MAX_WORKERS``.

    A worker waits on the action server for about a fifth of each message, and on 2 cores 3 workers
    served 20-23 msg/s against 17-18 with 2 (``bench/throughput.py``, docs/results.md).
    """
    return max(1, min(len(os.sched_getaffinity(0)) + 1, MAX_WORKERS))


def several_workers(environ: MutableMapping[str, str] = os.environ) -> bool:
    """Whether ``SANIC_WORKERS`` asks for more than one worker (state the workers share must then live outside them)."""
    try:
        return int(environ.get("SANIC_WORKERS", "1")) > 1
    except ValueError:
        return False


def serving_defaults(argv: list[str], environ: MutableMapping[str, str] = os.environ) -> None:
    """For ``rasa run``: ``SANIC_WORKERS`` and, with several, one thread each and ``PROMETHEUS_MULTIPROC_DIR``.

    Called before anything imports TensorFlow or prometheus_client, which read these at import.
    """
    if argv[:1] != ["run"]:
        return
    environ.setdefault("SANIC_WORKERS", str(default_workers()))
    if not several_workers(environ):
        return
    for name in PER_WORKER_THREADS:
        environ.setdefault(name, "1")
    if not environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from services.shared_sqlite import private_directory

        environ["PROMETHEUS_MULTIPROC_DIR"] = str(private_directory("rasa-metrics-"))


def endpoints_file(argv: list[str]) -> str:
    """The endpoints file ``rasa run`` reads: its ``--endpoints`` argument, else Rasa's default."""
    for i, arg in enumerate(argv):
        if arg == "--endpoints" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--endpoints="):
            return arg.split("=", 1)[1]
    return "endpoints.yml"


def create_shared_tables(endpoints_path: str) -> list[str]:
    """Create the SQLite tracker store's and SQL event broker's tables, as ``endpoints_path`` names them; returns their types.

    Each Sanic worker builds its own stores, and on a new file they raced: two workers found no table
    and both sent CREATE TABLE, so one logged "Could not create tables" (tracker store) or died (broker).
    Creating them here, in the parent before the fork, leaves the workers nothing to create.
    Other stores (PostgreSQL, Redis, RabbitMQ) are left to the workers; a missing file means no endpoints.
    """
    if not os.path.isfile(endpoints_path):
        return []
    from rasa.core.brokers.sql import SQLEventBroker
    from rasa.core.utils import AvailableEndpoints
    from rasa.shared.utils.common import class_from_module_path

    from services.sqlite_tracker_store import SQLiteTrackerStore

    def names_a(endpoint: object, base: type) -> bool:  # a class path (Rasa's built-in names such as "SQL" have no dot)
        kind = getattr(endpoint, "type", None)
        return isinstance(kind, str) and "." in kind and issubclass(class_from_module_path(kind), base)

    endpoints = AvailableEndpoints.read_endpoints(endpoints_path)
    created = []
    tracker, broker = endpoints.tracker_store, endpoints.event_broker
    if names_a(tracker, SQLiteTrackerStore):
        SQLiteTrackerStore(**tracker.kwargs).engine.dispose()
        created.append(tracker.type)
    if names_a(broker, SQLEventBroker) and broker.kwargs.get("dialect", "sqlite") == "sqlite":
        SQLEventBroker(host=broker.url, **broker.kwargs).engine.dispose()  # the base class: no writer thread in the parent
        created.append(broker.type)
    return created


def workers_die_with_the_server() -> None:
    """In each forked Sanic worker: the default SIGTERM/SIGINT until Sanic sets its own, and death with the parent.

    Sanic 21.12 forks its workers with the parent's signal handlers, which only signal the other
    workers: a worker still loading the model (about a minute) ignored SIGTERM, the parent then
    waited for it, and a parent killed after a timeout left its workers serving as orphans.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # a worker forked by the server dies with it, whatever kills it


def install() -> None:
    """What ``main`` adds to Rasa, for code that runs Rasa in-process (``bench/message_profile.py``)."""
    from services import action_fallback, event_type_lookup

    action_fallback.install()
    event_type_lookup.install()


def main() -> None:
    serving_defaults(sys.argv[1:])
    if several_workers():
        create_shared_tables(endpoints_file(sys.argv[1:]))
        os.register_at_fork(after_in_child=workers_die_with_the_server)
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
