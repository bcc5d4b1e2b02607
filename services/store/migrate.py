"""Create and upgrade the store schema with Alembic (``python -m services.store.migrate``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from alembic import command
from alembic.config import Config

from services.settings import get_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at our migrations and at ``url`` (default: the configured database)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Alembic's config is an INI parser: a literal % in a URL (escaped passwords) must be doubled.
    config.set_main_option("sqlalchemy.url", (url or get_settings().database_url).replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "heads") -> None:
    """Bring the schema up to ``revision``."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    """Take the schema down to ``revision`` (``base`` drops every table)."""
    command.downgrade(alembic_config(url), revision)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("direction", choices=["upgrade", "downgrade"], nargs="?", default="upgrade")
    parser.add_argument("--revision", default=None, help="target revision (default: heads / base)")
    parser.add_argument("--url", default=None, help="database URL (default: STORE_DATABASE_URL)")
    args = parser.parse_args()
    if args.direction == "upgrade":
        upgrade(args.url, args.revision or "heads")
    else:
        downgrade(args.url, args.revision or "base")


if __name__ == "__main__":
    main()
