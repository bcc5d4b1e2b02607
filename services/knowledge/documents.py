"""The store's policy documents (``data/knowledge/*.md``) split into passages with section ids.

Each document is one markdown file: a ``# Title`` line, then ``## Heading`` sections. Every
section is one passage; its id is ``<file stem>/<heading slug>``, e.g. ``returns/return-window``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from services.settings import PROJECT_ROOT

KNOWLEDGE_DIR = PROJECT_ROOT / "data" / "knowledge"
# The seven policy sections the issue asks for, in reading order.
DOCUMENTS = ("returns", "exchanges", "warranty", "shipping", "payments", "privacy", "accounts")
_SLUG_DROP = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Passage:
    """One section of one policy document."""

    id: str  # "<document>/<heading slug>"
    document: str  # file stem, e.g. "returns"
    document_title: str  # "Returns"
    heading: str  # "Return window"
    text: str  # the section's text, one line

    @property
    def citation(self) -> str:
        """How a shopper-facing answer names its source: ``Returns > Return window``."""
        return f"{self.document_title} > {self.heading}"

    def embedding_text(self) -> str:
        """What gets embedded and indexed: the titles carry much of the topic."""
        return f"{self.document_title}. {self.heading}. {self.text}"


def slug(heading: str) -> str:
    """``"Return window"`` -> ``"return-window"``."""
    return _SLUG_DROP.sub("-", heading.lower().replace("'", "")).strip("-")


def parse_document(stem: str, markdown: str) -> list[Passage]:
    """The passages of one document; raises ValueError naming the file when it is malformed."""
    title: str | None = None
    passages: list[Passage] = []
    heading: str | None = None
    lines: list[str] = []

    def close() -> None:
        if heading is None:
            return
        text = " ".join(" ".join(lines).split())
        if not text:
            raise ValueError(f"{stem}.md: section {heading!r} has no text")
        passages.append(Passage(f"{stem}/{slug(heading)}", stem, title or stem, heading, text))

    for raw in markdown.splitlines():
        line = raw.strip()
        if line.startswith("## "):
            close()
            heading, lines = line[3:].strip(), []
        elif line.startswith("# "):
            if title is not None:
                raise ValueError(f"{stem}.md: more than one '# ' title line")
            title = line[2:].strip()
        elif line:
            if heading is None:
                raise ValueError(f"{stem}.md: text before the first '## ' heading: {line[:60]!r}")
            lines.append(line)
    close()
    if title is None or not passages:
        raise ValueError(f"{stem}.md: needs a '# Title' line and at least one '## Heading' section")
    ids = [p.id for p in passages]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"{stem}.md: headings give the same section id twice: {', '.join(duplicates)}")
    return passages


def document_paths(directory: Path = KNOWLEDGE_DIR) -> list[Path]:
    """The policy documents in ``directory``, in the order of DOCUMENTS, then any others by name."""
    found = {p.stem: p for p in directory.glob("*.md") if p.stem.lower() != "readme"}
    if not found:
        raise FileNotFoundError(f"no policy documents (*.md) in {directory}")
    ordered = [found.pop(stem) for stem in DOCUMENTS if stem in found]
    return ordered + [found[stem] for stem in sorted(found)]


def load_passages(directory: Path = KNOWLEDGE_DIR) -> list[Passage]:
    """Every passage of every document in ``directory``."""
    return [p for path in document_paths(directory) for p in parse_document(path.stem, path.read_text(encoding="utf-8"))]


def documents_fingerprint(directory: Path = KNOWLEDGE_DIR) -> str:
    """SHA-256 of the documents' names and contents: an index built from other text is stale."""
    digest = hashlib.sha256()
    for path in document_paths(directory):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
