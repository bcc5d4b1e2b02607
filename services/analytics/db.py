"""Sessions for the consumer: the store's engine, with SQLite savepoints that really nest."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import event
from sqlalchemy.orm import sessionmaker

from services.settings import get_settings
from services.store.db import make_engine


def _sqlite_autocommit_off(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    dbapi_connection.isolation_level = None  # pysqlite's own BEGIN handling breaks SAVEPOINT: SQLAlchemy emits BEGIN instead


def _sqlite_begin(connection) -> None:  # type: ignore[no-untyped-def]
    connection.exec_driver_sql("BEGIN")


@lru_cache(maxsize=8)
def consumer_sessions(url: str | None = None) -> sessionmaker:
    """A session factory on ``url`` (default: the store database) whose ``begin_nested`` works on SQLite too."""
    engine = make_engine(url or get_settings().database_url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_autocommit_off)
        event.listen(engine, "begin", _sqlite_begin)
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)
