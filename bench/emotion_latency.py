"""Emotion classifier latency: fp32 against dynamic int8, in the same run.

    python bench/emotion_latency.py [--model-dir models/emotion] [--messages 300]

Prints p50/p95 milliseconds per message at batch 1, messages per second at batch 32,
and test-split macro-F1 of each variant. Target: p50 <= 10 ms at batch 1 on 2 cores,
losing at most 1 point of macro-F1 to quantization.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from components.emotion.data import read_split  # noqa: E402
from components.emotion.inference import EmotionPredictor  # noqa: E402
from components.emotion.metrics import classification_metrics  # noqa: E402


def measure(predictor: EmotionPredictor, texts: list[str], n_single: int) -> dict[str, float]:
    for text in texts[:20]:  # warm-up
        predictor.predict([text])
    single = []
    for text in texts[:n_single]:
        start = time.perf_counter()
        predictor.predict([text])
        single.append((time.perf_counter() - start) * 1000)
    start = time.perf_counter()
    predictor.predict(texts, batch_size=32)
    batched = time.perf_counter() - start
    return {
        "p50_ms": float(np.percentile(single, 50)),
        "p95_ms": float(np.percentile(single, 95)),
        "mean_ms": statistics.fmean(single),
        "batch32_msg_per_s": len(texts) / batched,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", type=Path, default=Path("models/emotion"))
    parser.add_argument("--messages", type=int, default=300, help="messages timed one by one")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    test = read_split("test")
    texts, gold = [e.text for e in test], [e.label for e in test]
    rows = {}
    for name, quantize in (("fp32", False), ("int8", True)):
        predictor = EmotionPredictor(args.model_dir, quantize=quantize)
        row = measure(predictor, texts, args.messages)
        row["macro_f1"] = classification_metrics(gold, [r.label for r in predictor.predict(texts)])["macro_f1"]
        rows[name] = row
    print(f"Emotion latency, {args.threads} torch threads, {args.messages} single messages, {len(texts)} test messages\n")
    print(f"{'variant':8s} {'p50 ms':>8s} {'p95 ms':>8s} {'mean ms':>8s} {'b32 msg/s':>10s} {'macro-F1':>9s}")
    for name, r in rows.items():
        print(f"{name:8s} {r['p50_ms']:8.2f} {r['p95_ms']:8.2f} {r['mean_ms']:8.2f} {r['batch32_msg_per_s']:10.1f} {r['macro_f1']:9.4f}")
    fp, q = rows["fp32"], rows["int8"]
    print(f"\nint8/fp32: p50 x{q['p50_ms'] / fp['p50_ms']:.2f}, throughput x{q['batch32_msg_per_s'] / fp['batch32_msg_per_s']:.2f}, "
          f"macro-F1 {100 * (q['macro_f1'] - fp['macro_f1']):+.2f} points")
    print(f"target p50 <= 10 ms: fp32 {'met' if fp['p50_ms'] <= 10 else 'missed'}, int8 {'met' if q['p50_ms'] <= 10 else 'missed'}")


if __name__ == "__main__":
    main()
