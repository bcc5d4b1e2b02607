"""Options of the knowledge index and its evaluation, with the reason for each default."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field, fields
from pathlib import Path

from services.knowledge.documents import KNOWLEDGE_DIR
from services.knowledge.eval_set import EVAL_FILE
from services.knowledge.index import default_index_dir


@dataclass(frozen=True)
class KnowledgeOptions:
    """Where the documents, questions and index are, and how the threshold is chosen."""

    documents_dir: Path = field(default=KNOWLEDGE_DIR, metadata={"help": "policy documents (*.md)"})
    eval_file: Path = field(default=EVAL_FILE, metadata={"help": "evaluation questions (YAML)"})
    index_dir: Path = field(default_factory=default_index_dir, metadata={"help": "where the index is written and read"})
    # "Mostly refused": at least 4 in 5 unanswerable questions must get "I don't know"; among the
    # thresholds that do, the one with the most right minus twice the wrong answers wins.
    target_abstention: float = field(default=0.8, metadata={"help": "share of unanswerable questions that must abstain"})
    folds: int = field(default=5, metadata={"help": "folds of the cross-validated (held-out threshold) figures"})
    threads: int = field(default=2, metadata={"help": "ONNX Runtime threads while building and evaluating"})

    def __post_init__(self) -> None:
        if not 0.0 <= self.target_abstention <= 1.0:
            raise ValueError(f"target_abstention must be in [0, 1], got {self.target_abstention}")
        if self.folds < 2:
            raise ValueError(f"folds must be at least 2, got {self.folds}")


def parse_options(description: str, argv: list[str] | None = None) -> KnowledgeOptions:
    """KnowledgeOptions from the command line: one ``--flag`` per field, help from its metadata."""
    defaults = KnowledgeOptions()
    parser = argparse.ArgumentParser(description=description)
    for f in fields(KnowledgeOptions):
        value = getattr(defaults, f.name)
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(value), default=value,
                            help=f"{f.metadata.get('help', '')} (default: {value})")
    return KnowledgeOptions(**vars(parser.parse_args(argv)))
