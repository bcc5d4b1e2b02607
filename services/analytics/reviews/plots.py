"""One PNG per product: weekly negative share (overall and per aspect, surges shaded) and sentiment per aspect."""

from __future__ import annotations

import datetime as dt

from matplotlib.figure import Figure

from services.analytics.plots import NEGATIVE_COLOUR, POSITIVE_COLOUR, figure_png
from services.analytics.reviews.summary import ProductSummary
from services.analytics.reviews.trends import OVERALL

MIN_MENTIONS = 3  # aspects mentioned less often are left out of the picture
ASPECT_COLOURS = {OVERALL: "#1d2330", "delivery": "#2c6e91", "quality": "#c0392b", "size and fit": "#8e44ad",
                  "price": "#d68910", "service": "#1e8449"}


def product_png(summary: ProductSummary) -> bytes:
    figure = Figure(figsize=(10, 3.6), dpi=100)
    trend, bars = figure.subplots(1, 2, gridspec_kw={"width_ratios": [2.2, 1]})
    for aspect, series in summary.weeks.items():
        points = [(w.week_end, w.share, w.mentions) for w in series if w.mentions]
        if not points or (aspect != OVERALL and sum(p[2] for p in points) < MIN_MENTIONS):
            continue
        colour = ASPECT_COLOURS.get(aspect, "#777")
        if aspect == OVERALL:
            trend.plot([p[0] for p in points], [p[1] for p in points], color=colour, linewidth=2, label="all sentences")
        else:  # sparse: dots sized by how many sentences mention the aspect that week
            trend.scatter([p[0] for p in points], [p[1] for p in points], s=[12 + 10 * p[2] for p in points], color=colour,
                          alpha=0.7, label=aspect)
    for surge in summary.surges:
        end = surge.cleared_week or summary.weeks[OVERALL][-1].week_end
        trend.axvspan(surge.fired_week - dt.timedelta(days=7), end, color=NEGATIVE_COLOUR, alpha=0.12)
    trend.set_ylim(-0.02, 1.02)
    trend.set_ylabel("negative share per week")
    trend.set_title(f"{summary.name}: {summary.reviews} reviews, {summary.mean_rating:.1f}★", fontsize=10, loc="left")
    trend.legend(fontsize=7, frameon=False, ncol=3, loc="upper left", markerscale=0.6)
    trend.tick_params(axis="x", labelsize=7, rotation=30)
    shown = [a for a in summary.aspects if a.mentions >= MIN_MENTIONS]
    bars.barh([a.aspect for a in reversed(shown)], [a.net for a in reversed(shown)],
              color=[NEGATIVE_COLOUR if (a.net or 0) < 0 else POSITIVE_COLOUR for a in reversed(shown)])
    for i, a in enumerate(reversed(shown)):
        bars.text(0.98 if (a.net or 0) < 0 else -0.98, i, f"n={a.mentions}", va="center", fontsize=7,
                  ha="right" if (a.net or 0) < 0 else "left")
    bars.set_xlim(-1, 1)
    bars.axvline(0, color="#333", linewidth=0.8)
    bars.set_xlabel("net sentiment (positive − negative) / mentions", fontsize=8)
    return figure_png(figure)
