"""Rows for an SQL ``events`` table written off the event loop, in batches, in order.

Rasa's ``SQLEventBroker.publish`` opens a session and commits once per event, on the server's event
loop: with SQLite that was about 17% of the embedded server's CPU under load (about 10 events per
message, each a commit). :class:`BatchedEventWriter` queues rows and one thread inserts whatever has
queued in a single transaction. Order is kept (one writer, FIFO). A failed write is retried with
back-off and the batch is kept, so a locked or briefly missing database loses nothing; ``close``
(also run at interpreter exit) writes what is queued before it returns. Events still queued when
the process is killed are lost: at most one batch, the events of the last few milliseconds.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

logger = logging.getLogger(__name__)
_STOP = object()


class BatchedEventWriter:
    """Inserts ``{"sender_id": ..., "data": ...}`` rows into ``table`` from one background thread.

    Args:
        engine: where the table lives.
        table: the table rows go into (Rasa's ``events``: ``sender_id``, ``data``).
        max_batch: most rows per transaction.
        retry_s: first wait after a failed write; doubles up to ``max_retry_s``.
        max_retry_s: longest wait between attempts.
    """

    def __init__(self, engine: Engine, table: Table, *, max_batch: int = 500, retry_s: float = 0.05,
                 max_retry_s: float = 2.0) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        self.engine = engine
        self.table = table
        self.max_batch = max_batch
        self.retry_s = retry_s
        self.max_retry_s = max_retry_s
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._exit_hook = False

    def put(self, row: dict[str, Any]) -> None:
        """Queue one row; it is written within a transaction's time unless the database is failing."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sql-event-writer", daemon=True)
                self._thread.start()
                if not self._exit_hook:
                    atexit.register(self.close)
                    self._exit_hook = True
        self._queue.put(row)

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Wait until every queued row is written; False when ``timeout_s`` passed first."""
        deadline = time.monotonic() + timeout_s
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)
        return True

    def close(self, timeout_s: float = 30.0) -> None:
        """Write what is queued and stop the thread (a later ``put`` starts a new one)."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            return
        self._queue.put(_STOP)
        thread.join(timeout_s)
        if thread.is_alive():
            logger.error("event writer: %d events not written after %.0f s", self._queue.qsize(), timeout_s)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            batch = [] if first is _STOP else [first]
            stop = first is _STOP
            while not stop and len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                else:
                    batch.append(item)
            if batch:
                self._write(batch)
            for _ in range(len(batch) + (1 if stop else 0)):
                self._queue.task_done()
            if stop:
                return

    def _write(self, rows: list[dict[str, Any]]) -> None:
        wait = self.retry_s
        while True:
            try:
                with self.engine.begin() as connection:
                    connection.execute(self.table.insert(), rows)
                return
            except SQLAlchemyError as error:
                logger.warning("event writer: %d events not written yet (%s); retrying in %.2f s", len(rows), error, wait)
                time.sleep(wait)
                wait = min(wait * 2, self.max_retry_s)
