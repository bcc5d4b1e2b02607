"""Fixtures of the learning-loop tests: migrated store databases, a small slice of the authored data, a desk agent.

Databases are the real ones of ``tests/conftest.py`` (SQLite file and PostgreSQL schema). The
real-text set is pointed at an empty folder unless a test provides one, so the suite never reads
``../shared/eval``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.emotion.data import Example, read_split, write_splits
from components.emotion.labels import LABELS
from services.store.migrate import upgrade
from tests.conftest import empty_database

SMALL_SIZES = {"train": 30, "dev": 10, "test": 16}  # examples per label


@pytest.fixture(autouse=True)
def no_realtext(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``EMOTION_REALTEXT_DIR`` at an empty folder: the real-text set is absent unless a test says otherwise."""
    path = tmp_path_factory.mktemp("no-realtext")
    monkeypatch.setenv("EMOTION_REALTEXT_DIR", str(path))
    return path


@pytest.fixture()
def store_url(db_url: str) -> str:
    """A migrated, empty store database on each backend."""
    upgrade(db_url)
    return db_url


@pytest.fixture()
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    """A migrated SQLite store database (for the tests that also train a model)."""
    with empty_database("sqlite", tmp_path) as url:
        upgrade(url)
        yield url


def sample_split(name: str, per_label: int, seed: int = 7) -> list[Example]:
    """A seeded, stratified sample of one authored split."""
    rng = random.Random(f"{seed}-{name}")
    rows = read_split(name)
    return [e for label in LABELS for e in rng.sample([r for r in rows if r.label == label], per_label)]


@pytest.fixture(scope="session")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """train/dev/test CSVs with a few authored messages per label (splits kept as authored)."""
    directory = tmp_path_factory.mktemp("emotion-data")
    write_splits({name: sample_split(name, n) for name, n in SMALL_SIZES.items()}, directory)
    return directory
