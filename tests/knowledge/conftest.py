"""One knowledge index per test session, built from the real documents into a temporary directory."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.knowledge.build_index import build
from services.knowledge.index import DenseRetriever, IndexMeta, load_index
from services.knowledge.options import KnowledgeOptions


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A built index (encoder exported, passages embedded, threshold calibrated): about 30 s on 2 cores."""
    directory = tmp_path_factory.mktemp("knowledge")
    build(dataclasses.replace(KnowledgeOptions(), index_dir=directory))
    return directory


@pytest.fixture(scope="session")
def built(index_dir: Path) -> tuple[DenseRetriever, IndexMeta]:
    return load_index(index_dir)


@pytest.fixture
def served_index(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the action server's loader (``KNOWLEDGE_INDEX_DIR``) at the built index."""
    monkeypatch.setenv("KNOWLEDGE_INDEX_DIR", str(index_dir))
    yield index_dir
