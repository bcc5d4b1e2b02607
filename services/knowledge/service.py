"""The knowledge base as the action server uses it: the index loaded once, answers that never guess.

A missing index, or one built from other documents than ``data/knowledge/`` now holds, makes
every answer abstain (and logs what to run): quoting an outdated policy would be a confident
wrong answer.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from services.knowledge.answer import KnowledgeAnswer, abstention, answer_question
from services.knowledge.documents import KNOWLEDGE_DIR, documents_fingerprint
from services.knowledge.index import DenseRetriever, IndexMeta, default_index_dir, load_index

logger = logging.getLogger(__name__)
_LOADED: dict[Path, tuple[DenseRetriever, IndexMeta]] = {}
_LOCK = threading.Lock()


def loaded_index(directory: Path | None = None, documents_dir: Path = KNOWLEDGE_DIR) -> tuple[DenseRetriever, IndexMeta] | None:
    """The index in ``directory`` (default ``models/knowledge``), loaded once; None, logged, when missing or stale.

    Only a successful load is cached, so building the index later needs no restart; the
    documents are compared with the index on every call (seven small files), so editing them
    switches answers off until the index is rebuilt.
    """
    directory = Path(directory or default_index_dir())
    with _LOCK:
        if directory not in _LOADED:
            try:
                _LOADED[directory] = load_index(directory)
            except (FileNotFoundError, ValueError) as exc:
                logger.error("knowledge answers are off: %s", exc)
                return None
        retriever, meta = _LOADED[directory]
    if documents_dir.is_dir() and meta.documents_fingerprint != documents_fingerprint(documents_dir):
        logger.error("knowledge answers are off: %s was built from other documents than %s; "
                     "run `python -m services.knowledge.build_index`", directory, documents_dir)
        return None
    return retriever, meta


def answer(question: str, directory: Path | None = None) -> KnowledgeAnswer:
    """The answer to ``question`` from the policy documents, abstaining below the index's threshold."""
    index = loaded_index(directory)
    if index is None:
        return abstention(question, "no usable knowledge index")
    retriever, meta = index
    return answer_question(retriever, meta.threshold, question)
