"""Sentence embeddings from the project's MiniLM base (all-MiniLM-L6-v2), served by ONNX Runtime on CPU.

``export_encoder`` writes the base model's encoder as ``encoder.onnx`` (fp32, last hidden state
out) and its ``tokenizer.json`` into the index directory, so serving needs neither torch nor
transformers. Embeddings are the attention-masked mean of the token states, L2-normalised:
the pooling all-MiniLM-L6-v2 was trained with.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ENCODER_FILE = "encoder.onnx"
TOKENIZER_FILE = "tokenizer.json"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
MAX_TOKENS = 256  # the base model's max_seq_length (sentence_bert_config.json)


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the token vectors where ``mask`` is 1, L2-normalised; (batch, tokens, dim) -> (batch, dim)."""
    weights = mask[..., None].astype(np.float32)
    summed = (hidden * weights).sum(axis=1)
    pooled = summed / np.clip(weights.sum(axis=1), 1e-9, None)
    return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


def export_encoder(base_dir: Path, out_dir: Path, opset: int = 17) -> Path:
    """Export the base model's encoder to ``out_dir/encoder.onnx`` and copy its tokenizer; returns the graph path."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer_json = Path(base_dir) / TOKENIZER_FILE
    if not tokenizer_json.exists():
        raise FileNotFoundError(f"{tokenizer_json} missing: the base model directory needs a fast tokenizer file")
    shutil.copyfile(tokenizer_json, out_dir / TOKENIZER_FILE)
    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    model = AutoModel.from_pretrained(base_dir).eval()
    sample = tokenizer(["what is your return policy?", "a longer sample sentence to trace the graph"],
                       padding=True, return_tensors="pt")

    class _Hidden(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: D102
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

    path = out_dir / ENCODER_FILE
    axes = {name: {0: "batch", 1: "tokens"} for name in INPUT_NAMES}
    with torch.no_grad():
        torch.onnx.export(_Hidden(model), tuple(sample[n] for n in INPUT_NAMES), str(path), input_names=list(INPUT_NAMES),
                          output_names=["last_hidden_state"], dynamic_axes={**axes, "last_hidden_state": {0: "batch", 1: "tokens"}},
                          opset_version=opset, dynamo=False)
    return path


class SentenceEncoder:
    """Embeds texts with the exported graph: ``encode(texts)`` -> (n, 384) unit vectors."""

    def __init__(self, directory: Path, num_threads: int = 1) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        graph, vocab = Path(directory) / ENCODER_FILE, Path(directory) / TOKENIZER_FILE
        for path in (graph, vocab):
            if not path.exists():
                raise FileNotFoundError(f"{path} missing: run `python -m services.knowledge.build_index` (part of `make train`)")
        self.tokenizer = Tokenizer.from_file(str(vocab))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # pad to the longest in the batch
        options = ort.SessionOptions()
        options.intra_op_num_threads = num_threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Unit-length embeddings of ``texts``, one row each (empty input gives shape (0, 384))."""
        rows: list[np.ndarray] = []
        for start in range(0, len(texts), batch_size):
            batch = self.tokenizer.encode_batch([str(t) for t in texts[start:start + batch_size]])
            feeds = {
                "input_ids": np.array([e.ids for e in batch], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in batch], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in batch], dtype=np.int64),
            }
            (hidden,) = self.session.run(None, feeds)
            rows.append(mean_pool(hidden, feeds["attention_mask"]))
        return np.concatenate(rows) if rows else np.zeros((0, 384), dtype=np.float32)
