"""Emotion classifier latency and accuracy per engine, in one run.

    python bench/emotion_latency.py [--model-dir models/emotion] [--messages 300] [--threads 2]

For torch fp32, torch int8 (dynamic, feed-forward layers), ONNX Runtime fp32 and ONNX Runtime
int8: p50/p95 ms per message at batch 1 (logits only, and the full ``predict`` with calibration),
ms per message at batch 32, and macro-F1 on our test split and the real-text dev set (when
present). Also the cost of an explanation (occlusion) for a negative message.
Target: ONNX int8 p50 <= 4 ms at batch 1 on 2 threads, at most 1 point of macro-F1 below torch fp32.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from components.emotion.data import read_split  # noqa: E402
from components.emotion.explain import occlusion_explanation  # noqa: E402
from components.emotion.inference import BACKENDS, EmotionPredictor  # noqa: E402
from components.emotion.labels import LABELS  # noqa: E402
from components.emotion.metrics import classification_metrics  # noqa: E402
from components.emotion.realtext import load_realtext, skipped_message  # noqa: E402

EXPLAINED = "I am furious about this, the parcel is two weeks late and nobody answers my emails"


def percentiles(samples: list[float]) -> tuple[float, float]:
    return float(np.percentile(samples, 50)), float(np.percentile(samples, 95))


def time_each(fn, texts: list[str]) -> list[float]:
    out = []
    for text in texts:
        start = time.perf_counter()
        fn(text)
        out.append((time.perf_counter() - start) * 1000)
    return out


def measure(predictor: EmotionPredictor, texts: list[str], n_single: int) -> dict[str, float]:
    for text in texts[:30]:  # warm-up
        predictor.predict([text])
    single = texts[:n_single]
    logits_p50, logits_p95 = percentiles(time_each(lambda t: predictor.logits([t]), single))
    predict_p50, predict_p95 = percentiles(time_each(lambda t: predictor.predict([t]), single))
    start = time.perf_counter()
    predictor.logits(texts, batch_size=32)
    batch_ms = (time.perf_counter() - start) * 1000 / len(texts)
    explain = time_each(lambda t: occlusion_explanation(t, LABELS.index("angry"), predictor.probabilities), [EXPLAINED] * 30)
    return {"logits_p50": logits_p50, "logits_p95": logits_p95, "predict_p50": predict_p50, "predict_p95": predict_p95,
            "batch32_ms": batch_ms, "explain_p50": percentiles(explain)[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=Path("models/emotion"))
    parser.add_argument("--messages", type=int, default=300, help="messages timed one by one")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    test = read_split("test")
    sets = {"test": test}
    real = load_realtext()
    if real is None:
        print(skipped_message())
    else:
        sets["real"] = real
    rng = np.random.default_rng(0)
    texts = [test[i].text for i in rng.permutation(len(test))]
    rows = {}
    for backend in BACKENDS:
        predictor = EmotionPredictor(args.model_dir, backend=backend, num_threads=args.threads, explain=False)
        row = measure(predictor, texts, args.messages)
        for name, examples in sets.items():
            labels = [r.label for r in predictor.predict([e.text for e in examples])]
            row[f"{name}_f1"] = classification_metrics([e.label for e in examples], labels)["macro_f1"]
        rows[backend] = row
        print(f"  measured {backend}", file=sys.stderr)
    print(f"Emotion latency, {args.threads} threads, {args.messages} single messages, batch 32 over {len(texts)} test messages\n")
    head = f"{'engine':11s} {'b1 p50':>7s} {'b1 p95':>7s} {'pred p50':>8s} {'pred p95':>8s} {'b32 ms/msg':>10s} {'explain':>8s} {'test F1':>8s}"
    print(head + (f" {'real F1':>8s}" if real else ""))
    for name, r in rows.items():
        line = (f"{name:11s} {r['logits_p50']:7.2f} {r['logits_p95']:7.2f} {r['predict_p50']:8.2f} {r['predict_p95']:8.2f} "
                f"{r['batch32_ms']:10.2f} {r['explain_p50']:8.2f} {r['test_f1']:8.4f}")
        print(line + (f" {r['real_f1']:8.4f}" if real else ""))
    base, serving = rows["torch"], rows["onnx-int8"]
    print(f"\nonnx-int8 / torch fp32: p50 x{serving['predict_p50'] / base['predict_p50']:.2f}, batch-32 x{serving['batch32_ms'] / base['batch32_ms']:.2f}, "
          f"test macro-F1 {100 * (serving['test_f1'] - base['test_f1']):+.2f} points")
    print(f"target p50 <= 4 ms (full predict, batch 1): onnx-int8 {serving['predict_p50']:.2f} ms "
          f"{'met' if serving['predict_p50'] <= 4 else 'missed'}")


if __name__ == "__main__":
    main()
