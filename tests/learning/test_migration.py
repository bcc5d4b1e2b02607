"""Migration 0007: the review queue table, on both backends, agrees with services/learning/models.py."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import services.learning.models  # noqa: F401  (registers the table on the store's Base)
from services.store.db import make_engine
from services.store.migrate import downgrade, upgrade
from services.store.models import Base

TABLE = "emotion_review_queue"


def state(url: str) -> tuple[set[str], list]:
    """Table names, and Alembic's diff between the queue model and the database (other tables left out)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            def ours(obj, name, type_, reflected, compare_to) -> bool:  # noqa: ANN001
                table = obj if type_ == "table" else getattr(obj, "table", None)
                return table is None or table.name == TABLE
            context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": ours})
            return set(inspect(engine).get_table_names()), compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(db_url: str) -> None:
    upgrade(db_url)
    tables, diffs = state(db_url)
    assert TABLE in tables and diffs == []
    downgrade(db_url, "0006")
    tables, _ = state(db_url)
    assert TABLE not in tables and "analytics_messages" in tables
    upgrade(db_url)
    tables, diffs = state(db_url)
    assert TABLE in tables and diffs == []
