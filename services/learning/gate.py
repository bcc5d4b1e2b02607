"""The promotion gate: a retrained emotion model replaces the current one only if it is not worse.

Rule: on our test split, and on the real-text development set when it is present
(``components/emotion/realtext.py``), the candidate's macro-F1 may not be more than
``tolerance`` (0.005, i.e. 0.5 points) below the current model's. Both models are scored in the
same run, through the serving path (``EmotionPredictor``: calibration, deployment prior, long
messages), with the same backend. With no current model the candidate is promoted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from components.emotion.data import Example, read_split
from components.emotion.metrics import classification_metrics
from components.emotion.onnx_export import ONNX_INT8
from components.emotion.realtext import load_realtext, realtext_dir

TOLERANCE = 0.005  # macro-F1 on a 0-1 scale: 0.5 points
EPSILON = 1e-9  # float noise: a drop of exactly the tolerance passes


@dataclass(frozen=True)
class SetResult:
    """One evaluation set's figures."""

    name: str
    size: int
    candidate: float
    current: float | None
    passed: bool

    @property
    def delta(self) -> float | None:
        return None if self.current is None else self.candidate - self.current


@dataclass(frozen=True)
class GateDecision:
    promote: bool
    reason: str
    tolerance: float
    backend: str
    sets: tuple[SetResult, ...]
    skipped: tuple[str, ...] = ()  # evaluation sets that were absent

    def figures(self) -> dict:
        """What the registry records."""
        return {"tolerance": self.tolerance, "backend": self.backend, "skipped": list(self.skipped),
                "sets": {s.name: {**asdict(s), "delta": s.delta} for s in self.sets}}

    def summary(self) -> str:
        parts = []
        for s in self.sets:
            if s.current is None:
                parts.append(f"{s.name} ({s.size}): candidate {s.candidate:.4f}")
            else:
                parts.append(f"{s.name} ({s.size}): current {s.current:.4f} -> candidate {s.candidate:.4f} "
                             f"({s.delta:+.4f}, {'ok' if s.passed else 'FAIL'})")
        parts += [f"{name}: skipped (absent)" for name in self.skipped]
        return "; ".join(parts)


def decide(candidate: dict[str, float], current: dict[str, float] | None, sizes: dict[str, int],
           tolerance: float = TOLERANCE, backend: str = "", skipped: tuple[str, ...] = ()) -> GateDecision:
    """Apply the rule to macro-F1 figures per evaluation set (``current`` None: nothing serves yet)."""
    if current is None:
        sets = tuple(SetResult(name, sizes[name], f1, None, True) for name, f1 in candidate.items())
        return GateDecision(True, "no current model", tolerance, backend, sets, skipped)
    sets = tuple(SetResult(name, sizes[name], f1, current[name], f1 >= current[name] - tolerance - EPSILON)
                 for name, f1 in candidate.items())
    failed = [s.name for s in sets if not s.passed]
    if failed:
        reason = f"macro-F1 dropped by more than {tolerance * 100:.1f} points on {', '.join(failed)}"
        return GateDecision(False, reason, tolerance, backend, sets, skipped)
    return GateDecision(True, f"macro-F1 within {tolerance * 100:.1f} points or better on every set", tolerance, backend, sets, skipped)


def evaluation_sets(data_dir: Path, realtext: Path | None = None) -> tuple[dict[str, list[Example]], tuple[str, ...]]:
    """``({"test": ..., "real": ...}, skipped)``: our test split and, when present, the real-text dev set."""
    sets = {"test": read_split("test", data_dir)}
    real = load_realtext(realtext or realtext_dir())
    if real:
        sets["real"] = real
    return sets, () if real else ("real",)


def choose_backend(*model_dirs: Path) -> str:
    """``onnx-int8`` (what serves) when every model has its int8 graph, else ``torch``."""
    return "onnx-int8" if all((d / ONNX_INT8).exists() for d in model_dirs) else "torch"


def macro_f1(model_dir: Path, sets: dict[str, list[Example]], backend: str) -> dict[str, float]:
    """Macro-F1 of the model in ``model_dir`` on each set, read through the serving predictor."""
    from components.emotion.inference import EmotionPredictor

    predictor = EmotionPredictor(model_dir, backend=backend, explain=False)
    scores = {}
    for name, examples in sets.items():
        predicted = [r.label for r in predictor.predict([e.text for e in examples])]
        scores[name] = classification_metrics([e.label for e in examples], predicted)["macro_f1"]
    return scores


def run_gate(candidate_dir: Path, current_dir: Path | None, data_dir: Path, tolerance: float = TOLERANCE,
             backend: str = "auto", realtext: Path | None = None) -> GateDecision:
    """Score both models on the evaluation sets and :func:`decide`."""
    has_current = current_dir is not None and (current_dir / "config.json").exists()
    dirs = [candidate_dir, current_dir] if has_current else [candidate_dir]
    backend = choose_backend(*dirs) if backend == "auto" else backend
    sets, skipped = evaluation_sets(data_dir, realtext)
    sizes = {name: len(examples) for name, examples in sets.items()}
    candidate = macro_f1(candidate_dir, sets, backend)
    current = macro_f1(current_dir, sets, backend) if has_current else None
    return decide(candidate, current, sizes, tolerance, backend, skipped)
