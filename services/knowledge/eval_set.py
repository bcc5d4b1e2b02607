"""The evaluation questions (``data/knowledge/eval.yml``): each with the passages that answer it, or none."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from services.knowledge.documents import KNOWLEDGE_DIR

EVAL_FILE = KNOWLEDGE_DIR / "eval.yml"
KINDS = ("paraphrase", "typo", "casual", "formal", "unanswerable")


@dataclass(frozen=True)
class EvalQuestion:
    text: str
    sections: tuple[str, ...]  # passage ids that answer it; empty when the documents don't
    kind: str

    @property
    def answerable(self) -> bool:
        return bool(self.sections)


def load_eval_set(path: Path = EVAL_FILE, known_ids: Iterable[str] | None = None) -> list[EvalQuestion]:
    """The questions in ``path``; with ``known_ids``, a section id that no passage has is an error."""
    items = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("questions") or []
    known = set(known_ids) if known_ids is not None else None
    questions: list[EvalQuestion] = []
    for n, item in enumerate(items, 1):
        section = item.get("section")
        sections = tuple([section] if isinstance(section, str) else (section or []))
        kind = item.get("kind", "paraphrase")
        where = f"{path.name} question {n} ({item.get('q')!r})"
        if not str(item.get("q", "")).strip():
            raise ValueError(f"{where}: empty question")
        if kind not in KINDS:
            raise ValueError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
        if (kind == "unanswerable") == bool(sections):
            raise ValueError(f"{where}: kind 'unanswerable' exactly when section is null")
        unknown = [s for s in sections if known is not None and s not in known]
        if unknown:
            raise ValueError(f"{where}: no passage has the id {', '.join(unknown)}; see services/knowledge/documents.py")
        questions.append(EvalQuestion(str(item["q"]).strip(), sections, kind))
    return questions
