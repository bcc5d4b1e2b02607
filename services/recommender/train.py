"""Train the recommender: ``python -m services.recommender.train [--final]``.

Fits the hybrid LightFM model on the time-based training split, evaluates it on
the hold-out (see :mod:`services.recommender.evaluate`) and persists it under
``get_settings().recommender_dir`` (files: :mod:`services.recommender.storage`).
``--final`` then refits on every interaction, so the served model knows the newest
purchases; the metrics stay those of the hold-out.

Only this script imports matplotlib; the action server never imports this module.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from services.recommender.dataset import load_dataset
from services.recommender.evaluate import evaluate, format_table
from services.recommender.fitting import fit_model
from services.recommender.options import RecommenderOptions
from services.recommender.storage import METRICS_FILE, PLOT_FILE, save_model, write_json
from services.settings import get_settings


def save_report(directory: Path, metrics: dict, curve: list[float]) -> None:
    """Write ``metrics.json`` and the precision@10-per-epoch plot (baselines as horizontal lines)."""
    # Figure rather than pyplot: no GUI backend is needed to write a PNG.
    from matplotlib.figure import Figure

    directory.mkdir(parents=True, exist_ok=True)
    write_json(directory / METRICS_FILE, metrics)
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    ax.plot(range(1, len(curve) + 1), curve, marker="o", markersize=3, label="LightFM")
    overall = metrics["slices"]["all"]
    for name, style in (("popularity", "--"), ("popular in category", "-."), ("random", ":")):
        if name in overall:
            ax.axhline(overall[name]["precision@10"], linestyle=style, color="grey", label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("precision@10 (hold-out)")
    ax.set_title("Recommender: hold-out precision@10 per epoch")
    ax.legend()
    fig.tight_layout()
    fig.savefig(directory / PLOT_FILE, dpi=120)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=None, help="store database URL (default: STORE_DATABASE_URL)")
    parser.add_argument("--out", type=Path, default=None, help="output directory (default: RECOMMENDER_DIR)")
    parser.add_argument("--final", action="store_true", help="after evaluating, refit on all interactions for serving")
    args = parser.parse_args(argv)
    options = RecommenderOptions()
    directory = args.out or get_settings().recommender_dir

    data = load_dataset(args.url, options, holdout=True)
    report = evaluate(data, options)
    print(format_table(report.metrics))
    model = report.model
    if args.final:
        data = load_dataset(args.url, options, holdout=False)
        model = fit_model(data, options)
    trained_on = "all interactions" if args.final else "training split"
    save_model(directory, model, data, options, trained_on)
    save_report(directory, report.metrics, report.curve)
    print(f"saved to {directory} (served model trained on {trained_on})")


if __name__ == "__main__":
    main()
