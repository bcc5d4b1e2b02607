"""Alembic migrations: upgrade/downgrade on both backends, and agreement with the ORM models."""

from __future__ import annotations

import datetime as dt

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, String, inspect, select, text

import demo_site.desk.models  # noqa: F401  (the desk's and the analytics tables hang on the store's Base)
import services.analytics.models  # noqa: F401
import services.learning.models  # noqa: F401
from services.store.db import make_engine
from services.store.migrate import alembic_config, downgrade, upgrade
from services.store.models import Base

STORE_TABLES = set(Base.metadata.tables)


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def current_revisions(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()


def schema_differences(url: str, metadata: MetaData) -> list:
    """Alembic autogenerate's diff between ``metadata`` and the migrated database (types compared too)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def test_there_are_store_tables_to_check() -> None:
    assert {"customers", "products", "orders", "order_items", "shipments", "returns", "tickets",
            "interactions", "csat_ratings", "verification_failures", "verification_targets", "linked_accounts",
            "product_variants", "warranty_periods", "exchanges", "warranty_claims",
            "agents", "agent_sessions", "emotion_corrections",
            "analytics_conversations", "analytics_messages", "analytics_escalations", "analytics_agent_replies",
            "analytics_csat", "analytics_dead_letters", "analytics_offsets", "analytics_alerts",
            "reviews", "review_sentences", "emotion_review_queue"} == STORE_TABLES


def test_upgrade_head_creates_every_model_table(db_url: str) -> None:
    assert table_names(db_url) == set()
    upgrade(db_url)
    assert table_names(db_url) == STORE_TABLES | {"alembic_version"}
    head = ScriptDirectory.from_config(alembic_config(db_url)).get_current_head()
    assert current_revisions(db_url) == [head]


def test_downgrade_base_drops_every_table(db_url: str) -> None:
    upgrade(db_url)
    downgrade(db_url)
    assert table_names(db_url) <= {"alembic_version"}
    if table_names(db_url):
        assert current_revisions(db_url) == []


def test_upgrade_downgrade_upgrade(db_url: str) -> None:
    upgrade(db_url)
    downgrade(db_url)
    upgrade(db_url)
    assert table_names(db_url) == STORE_TABLES | {"alembic_version"}
    # The re-created schema is usable, indexes included.
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(Base.metadata.tables["customers"].insert(),
                         {"id": "C-1", "name": "N", "email": "n@example.com", "created_at": dt.datetime(2026, 1, 1)})
            assert conn.execute(select(Base.metadata.tables["customers"].c.email)).scalars().all() == ["n@example.com"]
        indexes = {ix["name"] for ix in inspect(engine).get_indexes("interactions")}
    finally:
        engine.dispose()
    assert {"ix_interactions_customer_id", "ix_interactions_product_id", "ix_interactions_occurred_at"} <= indexes


def test_models_and_migrations_agree(db_url: str) -> None:
    """compare_metadata on the migrated database finds nothing: tables, columns, types, nullability,
    indexes, unique constraints and foreign keys all match. Nothing is ignored."""
    upgrade(db_url)
    assert schema_differences(db_url, Base.metadata) == []


def test_schema_comparison_can_see_differences(db_url: str) -> None:
    """Guard for the test above: on this backend the comparison does report a column and a type change."""
    upgrade(db_url)
    altered = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(altered)
    customers = altered.tables["customers"]
    customers.append_column(Column("nickname", String(40), nullable=True))
    customers.c.name.type = String(60)
    altered.tables["tickets"].append_column(Column("priority", Integer, nullable=True))

    diffs = schema_differences(db_url, altered)
    added = {(d[2], d[3].name) for d in diffs if isinstance(d, tuple) and d[0] == "add_column"}
    assert added == {("customers", "nickname"), ("tickets", "priority")}
    type_changes = [d[0] for d in diffs if isinstance(d, list)]
    assert [(c[0], c[2], c[3]) for c in type_changes] == [("modify_type", "customers", "name")]
