"""The ONNX encoder gives the embeddings sentence-transformers gives for all-MiniLM-L6-v2."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from components.emotion.base_model import base_model_dir
from services.knowledge.encoder import SentenceEncoder, mean_pool

SENTENCES = ["how long do I have to return something?", "do you ship to Canada",
             "Our gift cards come in any amount from $10 to $500, and they never expire. " * 12]


def test_mean_pool_ignores_padding_and_normalises() -> None:
    hidden = np.array([[[1.0, 0.0], [3.0, 0.0], [100.0, 100.0]]], dtype=np.float32)
    pooled = mean_pool(hidden, np.array([[1, 1, 0]]))
    np.testing.assert_allclose(pooled, [[1.0, 0.0]], atol=1e-6)


def test_onnx_embeddings_match_sentence_transformers(index_dir: Path) -> None:
    from sentence_transformers import SentenceTransformer

    ours = SentenceEncoder(index_dir).encode(SENTENCES)
    reference = SentenceTransformer(str(base_model_dir()), device="cpu").encode(SENTENCES, normalize_embeddings=True)
    assert ours.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    # The long one is truncated at 256 tokens by both.
    assert (ours * reference).sum(axis=1).min() > 0.9999


def test_batches_give_the_same_vectors_as_one_at_a_time(index_dir: Path) -> None:
    encoder = SentenceEncoder(index_dir)
    together = encoder.encode(SENTENCES, batch_size=8)
    alone = np.concatenate([encoder.encode([s]) for s in SENTENCES])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert encoder.encode([]).shape == (0, 384)


def test_a_missing_encoder_says_how_to_build_it(tmp_path: Path) -> None:
    try:
        SentenceEncoder(tmp_path)
    except FileNotFoundError as error:
        assert "services.knowledge.build_index" in str(error)
    else:
        raise AssertionError("an empty directory must not load")
