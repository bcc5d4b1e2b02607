"""Fixtures shared by every test folder: the pinned date and real store databases.

Databases are real: a SQLite file under ``tmp_path`` and a fresh schema on the
PostgreSQL server named by ``TEST_POSTGRES_URL`` (default: local server, database
``test``). An unreachable PostgreSQL server makes the tests that need it FAIL, unless
``STORE_TESTS_SKIP_POSTGRES=1`` is set, in which case they are skipped.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from services.store.db import make_engine, session_scope
from services.store.models import Base
from services.store.seed.run import seed_database

if TYPE_CHECKING:
    from tests.e2e.conftest import Assistant

TODAY = dt.date(2026, 11, 22)
BACKENDS = ("sqlite", "postgresql")
DEFAULT_POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session", autouse=True)
def pinned_today() -> Iterator[dt.date]:
    """Pin ``actions.conversation.today()`` to ``TODAY`` (via ``ASSISTANT_TODAY``) for the whole run."""
    previous = os.environ.get("ASSISTANT_TODAY")
    os.environ["ASSISTANT_TODAY"] = TODAY.isoformat()
    yield TODAY
    if previous is None:
        os.environ.pop("ASSISTANT_TODAY", None)
    else:
        os.environ["ASSISTANT_TODAY"] = previous


@contextmanager
def postgres_schema() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL schema (``test_<uuid>``), dropped with everything in it afterwards."""
    base = os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    schema = f"test_{uuid.uuid4().hex}"
    admin = create_engine(base, future=True, connect_args={"connect_timeout": 5})
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        error = None
    except OperationalError as exc:
        error = f"PostgreSQL at {make_url(base)!r} is unreachable: {exc.orig}".strip()
    if error is not None:
        admin.dispose()
        if os.environ.get("STORE_TESTS_SKIP_POSTGRES") == "1":
            pytest.skip(f"{error} (skipped: STORE_TESTS_SKIP_POSTGRES=1)")
        pytest.fail(
            f"{error}\nStart the server, point TEST_POSTGRES_URL at one, "
            "or set STORE_TESTS_SKIP_POSTGRES=1 to skip the PostgreSQL tests.",
            pytrace=False,
        )
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '30s'"))  # fail rather than hang on a leaked transaction
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def empty_database(backend: str, directory: Path) -> Iterator[str]:
    """URL of an empty database (no tables, migrations not applied) on ``backend``."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'store.db'}"
    else:
        with postgres_schema() as url:
            yield url


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each backend, fresh for every test."""
    with empty_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="module", params=BACKENDS)
def seeded_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database seeded at ``TODAY`` with 150 generated customers plus the demo ones, shared by one module."""
    with empty_database(request.param, tmp_path_factory.mktemp("seeded")) as url:
        seed_database(url, today=TODAY, n_customers=150, progress=False)
        yield url


def open_session(url: str) -> AbstractContextManager[Session]:
    """A transactional session on ``url``, committed on exit (``services.store.db.session_scope``)."""
    return session_scope(url)


def dump_tables(url: str, tables: tuple[str, ...] | None = None) -> dict[str, list[tuple]]:
    """Every row of ``tables`` (default: all store tables), ordered by primary key, read with a new connection."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t.name: [tuple(row) for row in conn.execute(select(t).order_by(*t.primary_key.columns))]
                for t in Base.metadata.sorted_tables
                if tables is None or t.name in tables
            }
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """The trained assistant with the always-on channels (REST, web chat) and the site, on ``make run``'s
    Sanic workers, shared by the session (``tests/e2e/conftest.py``; one start instead of one per module)."""
    from tests.e2e.conftest import running_assistant

    with running_assistant(tmp_path_factory.mktemp("e2e")) as running:
        yield running
