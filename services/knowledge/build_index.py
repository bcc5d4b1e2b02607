"""Build the knowledge index: ``python -m services.knowledge.build_index`` (part of ``make train``).

Exports the MiniLM encoder, embeds every passage and sentence of ``data/knowledge/*.md``, chooses
the abstention threshold on ``data/knowledge/eval.yml`` (``evaluation.choose_threshold``) and
writes everything to ``models/knowledge/`` (never committed).
"""

from __future__ import annotations

import logging
import time

from components.emotion.base_model import base_model_dir
from services.knowledge.documents import documents_fingerprint, load_passages
from services.knowledge.encoder import SentenceEncoder, export_encoder
from services.knowledge.eval_set import load_eval_set
from services.knowledge.evaluation import choose_threshold, cross_validated, figures_at, rank
from services.knowledge.index import DenseRetriever, IndexMeta, embed, encoder_vocabulary, save_index
from services.knowledge.options import KnowledgeOptions, parse_options
from services.knowledge.spelling import SpellingCorrector, store_words

logger = logging.getLogger(__name__)


def catalogue_words() -> set[str]:
    """Brand, line, type, tag and category words of the store's catalogue (typo-repair targets)."""
    from services.store.seed.catalogue import CATEGORIES, LINES

    texts = [c.name for c in CATEGORIES] + list(LINES)
    texts += [b for c in CATEGORIES for b in c.brands]
    texts += [f"{t.name} {' '.join(t.tags)}" for c in CATEGORIES for t in c.types]
    return store_words(texts)


def build(options: KnowledgeOptions) -> IndexMeta:
    """Write the index into ``options.index_dir``; returns its metadata (threshold and calibration figures)."""
    passages = load_passages(options.documents_dir)
    questions = load_eval_set(options.eval_file, known_ids=[p.id for p in passages])
    out = options.index_dir
    export_encoder(base_model_dir(), out)
    encoder = SentenceEncoder(out, num_threads=options.threads)
    passage_vectors, sentence_vectors, owners = embed(encoder, passages)
    repair = sorted(store_words(p.embedding_text() for p in passages) | catalogue_words())
    speller = SpellingCorrector(repair, encoder_vocabulary(out))
    retriever = DenseRetriever(encoder, passages, passage_vectors, sentence_vectors, owners, speller)
    ranked = rank(retriever, questions)
    threshold = choose_threshold(ranked, options.target_abstention)
    calibration = {
        "eval_file": options.eval_file.name,
        "questions": len(questions),
        "target_abstention": options.target_abstention,
        "in_sample": figures_at(ranked, threshold).as_dict(),
        "cross_validated": cross_validated(ranked, options.target_abstention, options.folds).as_dict(),
    }
    meta = IndexMeta(documents_fingerprint(options.documents_dir), threshold, tuple(repair), calibration)
    save_index(out, passages, passage_vectors, sentence_vectors, owners, meta)
    return meta


def main(argv: list[str] | None = None) -> None:
    options = parse_options(__doc__.splitlines()[0], argv)
    started = time.perf_counter()
    meta = build(options)
    figures = meta.calibration["in_sample"]
    print(f"wrote {options.index_dir} in {time.perf_counter() - started:.0f} s: threshold {meta.threshold:.3f}, "
          f"recall@3 {figures['recall_at_3']:.3f}, abstention on unanswerable {figures['abstention_unanswerable']:.3f}")


if __name__ == "__main__":
    main()
