"""The knowledge index: passage and sentence embeddings and the calibrated threshold, in ``models/knowledge/``.

Written by ``python -m services.knowledge.build_index`` (part of ``make train``), never committed:

- ``encoder.onnx``, ``tokenizer.json``: the MiniLM encoder (``encoder.py``);
- ``embeddings.npz``: one unit vector per passage and one per sentence;
- ``index.json``: the passages, their sentences, the repair vocabulary, the documents' fingerprint,
  the abstention threshold and the evaluation figures it was chosen on.

A passage's score is the mean of the question's cosine similarity with the whole passage and
with its best-matching sentence: the whole passage carries the topic, the sentence the detail a
question asks about (on our evaluation set this gave recall@1 +0.03 and fewer wrong answers
than either alone).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from services.knowledge.documents import Passage
from services.knowledge.encoder import TOKENIZER_FILE, SentenceEncoder
from services.knowledge.spelling import SpellingCorrector
from services.settings import get_settings

INDEX_FILE = "index.json"
EMBEDDINGS_FILE = "embeddings.npz"
FORMAT_VERSION = 1
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def default_index_dir() -> Path:
    """``KNOWLEDGE_INDEX_DIR`` from the environment, else ``<MODELS_DIR>/knowledge``."""
    override = os.environ.get("KNOWLEDGE_INDEX_DIR")
    return Path(override).expanduser().resolve() if override else get_settings().models_dir / "knowledge"


@dataclass(frozen=True)
class IndexMeta:
    """What ``index.json`` holds besides the passages and sentences."""

    documents_fingerprint: str
    threshold: float  # passage score below which answers abstain
    repair_words: tuple[str, ...] = ()  # targets of the typo repair (spelling.py)
    calibration: dict = field(default_factory=dict)  # how the threshold was chosen (figures on the eval set)
    base_model: str = "sentence-transformers/all-MiniLM-L6-v2"
    format_version: int = FORMAT_VERSION


def sentences_of(passages: Sequence[Passage]) -> tuple[list[str], list[int]]:
    """Each passage's sentences, prefixed with its heading, and the passage index of each."""
    texts: list[str] = []
    owners: list[int] = []
    for i, passage in enumerate(passages):
        for sentence in _SENTENCE_END.split(passage.text):
            texts.append(f"{passage.heading}. {sentence}")
            owners.append(i)
    return texts, owners


def encoder_vocabulary(directory: Path) -> set[str]:
    """Whole words the encoder's tokenizer knows (no word pieces)."""
    vocab = json.loads((directory / TOKENIZER_FILE).read_text(encoding="utf-8"))["model"]["vocab"]
    return {token for token in vocab if token.isalpha()}


class DenseRetriever:
    """MiniLM similarity of the (typo-repaired) question with each passage and its best sentence."""

    name = "MiniLM (ours)"

    def __init__(self, encoder: SentenceEncoder, passages: Sequence[Passage], passage_vectors: np.ndarray,
                 sentence_vectors: np.ndarray, sentence_owners: Sequence[int], speller: SpellingCorrector | None) -> None:
        if len(passages) != len(passage_vectors) or len(sentence_vectors) != len(sentence_owners):
            raise ValueError("passages, sentences and embeddings disagree: rebuild the index")
        self.encoder = encoder
        self.passages = list(passages)
        self.passage_vectors = passage_vectors.astype(np.float32)
        self.sentence_vectors = sentence_vectors.astype(np.float32)
        self.sentence_owners = np.asarray(sentence_owners, dtype=np.int64)
        self.speller = speller

    def prepare(self, question: str) -> str:
        return self.speller.correct(question) if self.speller else question

    def scores(self, questions: Sequence[str]) -> np.ndarray:
        vectors = self.encoder.encode([self.prepare(q) for q in questions])
        whole = vectors @ self.passage_vectors.T
        by_sentence = vectors @ self.sentence_vectors.T
        best = np.full_like(whole, -1.0)
        np.maximum.at(best.T, self.sentence_owners, by_sentence.T)
        return (whole + best) / 2


def embed(encoder: SentenceEncoder, passages: Sequence[Passage]) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """(passage vectors, sentence vectors, sentence owners) for ``passages``."""
    sentences, owners = sentences_of(passages)
    return encoder.encode([p.embedding_text() for p in passages]), encoder.encode(sentences), owners


def save_index(directory: Path, passages: Sequence[Passage], passage_vectors: np.ndarray, sentence_vectors: np.ndarray,
               sentence_owners: Sequence[int], meta: IndexMeta) -> Path:
    """Write ``embeddings.npz`` and ``index.json`` (the encoder files are written by ``export_encoder``)."""
    directory.mkdir(parents=True, exist_ok=True)
    np.savez(directory / EMBEDDINGS_FILE, passages=passage_vectors.astype(np.float32),
             sentences=sentence_vectors.astype(np.float32), owners=np.asarray(sentence_owners, dtype=np.int64))
    payload = {**asdict(meta), "passages": [asdict(p) for p in passages]}
    path = directory / INDEX_FILE
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def load_index(directory: Path | None = None, num_threads: int = 1) -> tuple[DenseRetriever, IndexMeta]:
    """The retriever and metadata of a built index; FileNotFoundError says how to build it."""
    directory = Path(directory or default_index_dir())
    path = directory / INDEX_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path} missing: run `python -m services.knowledge.build_index` (part of `make train`)")
    payload = json.loads(path.read_text(encoding="utf-8"))
    if payload.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path} has format {payload.get('format_version')}, expected {FORMAT_VERSION}: rebuild the index")
    passages = [Passage(**p) for p in payload.pop("passages")]
    payload["repair_words"] = tuple(payload.get("repair_words", ()))
    meta = IndexMeta(**payload)
    arrays = np.load(directory / EMBEDDINGS_FILE)
    speller = SpellingCorrector(meta.repair_words, encoder_vocabulary(directory)) if meta.repair_words else None
    retriever = DenseRetriever(SentenceEncoder(directory, num_threads=num_threads), passages, arrays["passages"],
                               arrays["sentences"], arrays["owners"], speller)
    return retriever, meta
