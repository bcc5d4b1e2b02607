"""Knowledge retrieval figures, ours against BM25: ``python -m services.knowledge.evaluate``.

For every retriever, on ``data/knowledge/eval.yml``: recall@1 and recall@3 of the expected
passage, and, with the abstention threshold chosen for that retriever
(``evaluation.choose_threshold``), answer accuracy, abstention rate on unanswerable questions
and false-answer rate. "held-out" rows choose the threshold on 4/5 of the questions and score
the fifth (5 folds): the figure to expect on new questions. Rows:

- MiniLM (ours): the served retriever, read from the built index (``make train``);
- MiniLM, no typo repair: the same without ``spelling.py`` (what the repair adds);
- BM25 (rank_bm25): the lexical baseline over the same passages;
- BM25 + typo repair: the baseline given the same repaired questions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from services.knowledge.bm25 import Bm25Retriever
from services.knowledge.documents import documents_fingerprint
from services.knowledge.eval_set import KINDS, EvalQuestion, load_eval_set
from services.knowledge.evaluation import Ranked, choose_threshold, cross_validated, figures_at, rank
from services.knowledge.index import DenseRetriever, load_index
from services.knowledge.options import KnowledgeOptions, parse_options
from services.knowledge.retrieval import Retriever

COLUMNS = ("recall@1", "recall@3", "answer acc", "abstain unans", "false answers", "threshold")


class _Repaired:
    """A retriever that gets the dense retriever's typo-repaired questions."""

    def __init__(self, inner: Retriever, dense: DenseRetriever, name: str) -> None:
        self.inner, self.dense, self.name, self.passages = inner, dense, name, inner.passages

    def scores(self, questions: Sequence[str]) -> np.ndarray:
        return self.inner.scores([self.dense.prepare(q) for q in questions])


def retrievers(dense: DenseRetriever) -> list[Retriever]:
    """Ours, ours without typo repair, BM25, BM25 with typo repair."""
    unrepaired = DenseRetriever(dense.encoder, dense.passages, dense.passage_vectors, dense.sentence_vectors,
                                dense.sentence_owners, speller=None)
    unrepaired.name = "MiniLM, no typo repair"
    bm25 = Bm25Retriever(dense.passages)
    return [dense, unrepaired, bm25, _Repaired(bm25, dense, "BM25 + typo repair")]


def evaluate(options: KnowledgeOptions, progress: bool = True) -> dict[str, dict]:
    """{retriever name: {"in_sample", "held_out": Figures dicts, "recall_at_3_by_kind"}}."""
    dense, meta = load_index(options.index_dir, num_threads=options.threads)
    current = documents_fingerprint(options.documents_dir)
    if meta.documents_fingerprint != current:
        raise SystemExit(f"{options.index_dir} was built from other documents: run `python -m services.knowledge.build_index`")
    questions = load_eval_set(options.eval_file, known_ids=[p.id for p in dense.passages])
    results: dict[str, dict] = {}
    for retriever in tqdm(retrievers(dense), desc="retrievers", disable=not progress, leave=False):
        ranked = rank(retriever, questions)
        threshold = meta.threshold if retriever is dense else choose_threshold(ranked, options.target_abstention)
        results[retriever.name] = {
            "in_sample": figures_at(ranked, threshold).as_dict(),
            "held_out": cross_validated(ranked, options.target_abstention, options.folds).as_dict(),
            "recall_at_3_by_kind": by_kind(ranked, questions),
        }
    return results


def by_kind(ranked: Ranked, questions: Sequence[EvalQuestion]) -> dict[str, float]:
    kinds = np.array([q.kind for q in questions])
    return {k: float(ranked.hit_at_3[kinds == k].mean()) for k in KINDS if k != "unanswerable" and (kinds == k).any()}


def _row(name: str, f: dict) -> str:
    values = (f["recall_at_1"], f["recall_at_3"], f["answer_accuracy"], f["abstention_unanswerable"],
              f["false_answer_rate"], f["threshold"])
    return f"| {name} | " + " | ".join(f"{v:.3f}" for v in values) + " |"


def table(results: dict[str, dict], questions: int, unanswerable: int) -> str:
    """The figures as a markdown table, in-sample rows then held-out rows, then recall@3 by kind."""
    lines = [f"{questions} questions ({unanswerable} unanswerable)", "",
             "| retriever | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    lines += [_row(name, r["in_sample"]) for name, r in results.items()]
    lines += [_row(f"{name}, held-out threshold", r["held_out"]) for name, r in results.items()]
    kinds = list(next(iter(results.values()))["recall_at_3_by_kind"])
    lines += ["", "recall@3 by kind of question:", "", "| retriever | " + " | ".join(kinds) + " |", "|---" * (len(kinds) + 1) + "|"]
    lines += [f"| {name} | " + " | ".join(f"{r['recall_at_3_by_kind'][k]:.3f}" for k in kinds) + " |" for name, r in results.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    import argparse

    split = argparse.ArgumentParser(add_help=False)
    split.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    known, rest = split.parse_known_args(argv)
    options = parse_options(__doc__.splitlines()[0], rest)
    results = evaluate(options)
    questions = load_eval_set(options.eval_file)
    print(table(results, len(questions), sum(not q.answerable for q in questions)))
    if known.json:
        known.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {known.json}")


if __name__ == "__main__":
    main()
