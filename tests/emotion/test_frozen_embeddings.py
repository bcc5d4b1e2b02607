"""The frozen-encoder candidate of ``make emotion-compare``: unit-length embeddings, rows in input order."""

from __future__ import annotations

import numpy as np

from components.emotion.compare import frozen_embeddings


def test_embeddings_are_unit_length_and_keep_the_input_order() -> None:
    texts = ["where is my parcel, it was due on monday and nothing has come", "thanks!", "ok", "I'm so worried it won't arrive"]
    together = frozen_embeddings(texts, batch_size=2)  # length-sorted batches inside
    assert together.shape == (4, 384)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    alone = np.vstack([frozen_embeddings([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-4)
