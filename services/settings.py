"""Configuration read from environment variables, with embedded defaults.

Every setting has a default that runs the whole assistant without any server
(SQLite under ``runtime/``); production deployments override them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _path_from_env(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Settings:
    """Runtime settings; build with :func:`get_settings`."""

    runtime_dir: Path = field(default_factory=lambda: _path_from_env("RUNTIME_DIR", PROJECT_ROOT / "runtime"))
    models_dir: Path = field(default_factory=lambda: _path_from_env("MODELS_DIR", PROJECT_ROOT / "models"))
    database_url: str = ""
    # HMAC secret a trusted channel uses to sign `customer_id` metadata; empty means no metadata is trusted.
    identity_secret: str = field(default_factory=lambda: os.environ.get("IDENTITY_SECRET", ""))
    # Path of the dialogue thresholds (escalation, recommendations, CSAT).
    dialogue_config: Path = field(
        default_factory=lambda: _path_from_env("DIALOGUE_CONFIG", PROJECT_ROOT / "actions" / "dialogue" / "thresholds.yml")
    )

    def __post_init__(self) -> None:
        if not self.database_url:
            url = os.environ.get("STORE_DATABASE_URL") or f"sqlite:///{self.runtime_dir / 'store.db'}"
            object.__setattr__(self, "database_url", url)

    @property
    def recommender_dir(self) -> Path:
        """Where the trained LightFM model and its mappings live."""
        return _path_from_env("RECOMMENDER_DIR", self.models_dir / "recommender")


def get_settings() -> Settings:
    """Read the settings from the environment now (not cached: tests change it)."""
    return Settings()
