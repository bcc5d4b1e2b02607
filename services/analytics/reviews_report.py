"""Review monitoring report: ``python -m services.analytics.reviews_report`` (``make reviews-report``).

Reads the reviews in the store database (``make seed`` writes the authored ones), splits them into
sentences (spaCy), reads each sentence's emotion (the emotion classifier, ``models/emotion``) and
aspects (spaCy PhraseMatcher), and prints sentiment per product and aspect, the week-over-week
surges and the recurring complaints. Surges that are on now fire the same alert as the live stream
(``ANALYTICS_ALERT_WEBHOOK_URL``, de-duplicated, cleared on recovery). Writes a PNG per product, and
with ``--eval`` the aspect-level accuracy on ``data/reviews/aspect_eval.yml``.
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from services.analytics.db import consumer_sessions
from services.analytics.reviews.analysis import analyse_reviews
from services.analytics.reviews.aspects import default_reader
from services.analytics.reviews.evaluation import print_evaluation
from services.analytics.reviews.plots import product_png
from services.analytics.reviews.sentiment import PolarityRule, Scorer, emotion_scorer
from services.analytics.reviews.summary import ProductSummary, product_summaries, report_day, sync_alerts
from services.analytics.surge import AlertBook
from services.analytics.webhook import SlackWebhook
from services.settings import PROJECT_ROOT

DEFAULT_OUT = PROJECT_ROOT / "results" / "reviews"


@dataclass
class ReportOptions:
    url: str | None = field(default=None, metadata={"help": "store database URL (default: STORE_DATABASE_URL)"})
    today: str | None = field(default=None, metadata={"help": "report day YYYY-MM-DD (default: ASSISTANT_TODAY, else today, UTC)"})
    out: str = field(default=str(DEFAULT_OUT), metadata={"help": "directory for the per-product PNGs"})
    redo: bool = field(default=False, metadata={"help": "analyse every review again (after changing the model or the aspects)"})
    eval: bool = field(default=False, metadata={"help": "also measure aspect-level accuracy on data/reviews/aspect_eval.yml"})
    min_confidence: float = field(default=0.6, metadata={"help": "confidence from which the classifier's non-neutral reading decides a sentence"})


def _pct(value: float | None) -> str:
    return "   –" if value is None else f"{value:4.0%}"


def format_summaries(summaries: list[ProductSummary]) -> str:
    lines = []
    for s in summaries:
        lines.append(f"\n{s.name} ({s.sku}): {s.reviews} reviews, {s.mean_rating:.1f} stars, {s.sentences} sentences, "
                     f"{_pct(s.overall.negative_share).strip()} negative")
        lines.append("  " + "  ".join(f"{a.aspect}: {_pct(a.negative_share).strip()} neg of {a.mentions}" for a in s.aspects if a.mentions))
        for surge in s.surges:
            until = f"cleared week of {surge.cleared_week}" if surge.cleared_week else "STILL SURGING"
            lines.append(f"  surge in {surge.aspect}: week to {surge.fired_week}, {surge.share:.0%} negative of {surge.mentions} "
                         f"vs baseline {surge.baseline:.0%}; {until}")
        for aspect in s.recurring:
            lines.append(f"  recurring complaint: {aspect}")
    return "\n".join(lines)


def run(options: ReportOptions, scorer: Scorer | None = None, webhook: SlackWebhook | None = None) -> list[ProductSummary]:
    """Analyse, summarise, alert and plot; returns the summaries (printing is left to :func:`main`)."""
    today = dt.date.fromisoformat(options.today) if options.today else report_day()
    rule = PolarityRule(options.min_confidence)
    sessions = consumer_sessions(options.url)
    lazy: dict[str, Scorer] = {}

    def score(texts):  # noqa: ANN001, ANN202 - load the model only when there is something to read
        if "scorer" not in lazy:
            lazy["scorer"] = scorer or emotion_scorer()
        return lazy["scorer"](texts)

    book = AlertBook(webhook or SlackWebhook.from_env())
    with sessions.begin() as session:
        analyse_reviews(session, score, default_reader(), rule, redo=options.redo)
    with sessions.begin() as session:
        summaries = product_summaries(session, today)
        sync_alerts(session, summaries, book, today)
    with sessions.begin() as session:
        book.deliver(session)
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    for s in summaries:
        (out / f"{s.sku}.png").write_bytes(product_png(s))
    return summaries


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name, f in ReportOptions.__dataclass_fields__.items():
        flag = "--" + name.replace("_", "-")
        if f.type in ("bool", bool):
            parser.add_argument(flag, action="store_true", help=f.metadata["help"])
        else:
            parser.add_argument(flag, type=float if f.type == "float" else str, default=f.default, help=f.metadata["help"])
    options = ReportOptions(**vars(parser.parse_args(argv)))
    summaries = run(options)
    if not summaries:
        print("No reviews in the store database: run `make seed` (or `python -m services.store.seed.reviews`).")
    print(format_summaries(summaries))
    print(f"\nPNGs: {options.out}/<sku>.png")
    if options.eval:
        print_evaluation(options.min_confidence)


if __name__ == "__main__":
    main()
