"""Migration 0006: the analytics and review tables, on both backends, agree with services/analytics/models.py."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect

import services.analytics.models  # noqa: F401  (registers the tables on the store's Base)
from services.store.db import make_engine
from services.store.migrate import downgrade, upgrade
from services.store.models import Base

ANALYTICS_TABLES = {
    "analytics_conversations", "analytics_messages", "analytics_escalations", "analytics_agent_replies",
    "analytics_csat", "analytics_dead_letters", "analytics_offsets", "analytics_alerts", "reviews", "review_sentences",
}


def analytics_differences(url: str) -> list:
    """Alembic's diff between the analytics models and the migrated database, other sessions' tables left out."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            def ours(obj, name, type_, reflected, compare_to) -> bool:  # noqa: ANN001
                table = obj if type_ == "table" else getattr(obj, "table", None)
                return table is None or table.name in ANALYTICS_TABLES
            context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": ours})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_upgrade_creates_the_analytics_tables_as_modelled(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        assert ANALYTICS_TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert analytics_differences(db_url) == []


def test_the_comparison_sees_a_missing_column(db_url: str) -> None:
    upgrade(db_url)
    altered = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(altered)
    from sqlalchemy import Column, String

    altered.tables["analytics_messages"].append_column(Column("extra", String(8), nullable=True))
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), altered)
    finally:
        engine.dispose()
    assert ("analytics_messages", "extra") in {(d[2], d[3].name) for d in diffs if isinstance(d, tuple) and d[0] == "add_column"}


def test_downgrade_drops_them(db_url: str) -> None:
    upgrade(db_url)
    downgrade(db_url, "0003")
    engine = make_engine(db_url)
    try:
        assert not ANALYTICS_TABLES & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    upgrade(db_url)
    assert analytics_differences(db_url) == []
