"""The dashboard's charts as PNG bytes (matplotlib's Agg backend, one Figure per call: safe in a server)."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from collections.abc import Callable

from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

from components.emotion.labels import LABELS
from services.analytics.metrics import (
    ConversationSatisfaction,
    CsatGroup,
    DailyMix,
    DeEscalation,
    FirstReplies,
    IntentNegativity,
    ReasonRate,
    ShareBin,
)

EMOTION_COLOURS = {"angry": "#c0392b", "frustrated": "#e67e22", "anxious": "#8e44ad", "confused": "#f1c40f",
                   "neutral": "#bdc3c7", "satisfied": "#7dcea0", "grateful": "#1e8449"}
NEGATIVE_COLOUR, POSITIVE_COLOUR, ACCENT = "#c0392b", "#1e8449", "#2c6e91"
SIZE = (8.0, 3.4)


def figure_png(figure: Figure) -> bytes:
    """``figure`` as PNG bytes, in the house style: no top or right spines, tight layout."""
    for axes in figure.axes:
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def _png(draw: Callable[[Axes], None], size: tuple[float, float] = SIZE) -> bytes:
    figure = Figure(figsize=size, dpi=100)
    draw(figure.subplots())
    return figure_png(figure)


def _empty(axes: Axes, what: str) -> None:
    axes.text(0.5, 0.5, f"No {what} in this date range", ha="center", va="center", transform=axes.transAxes, color="#666")
    axes.set_xticks([])
    axes.set_yticks([])


def _percent_axis(axes: Axes, axis: str = "y") -> None:
    ticks = [0, 0.25, 0.5, 0.75, 1.0]
    if axis == "y":
        axes.set_ylim(0, 1)
        axes.set_yticks(ticks, [f"{t:.0%}" for t in ticks])
    else:
        axes.set_xlim(0, max(1.0, axes.get_xlim()[1]))


def emotion_mix_png(mix: list[DailyMix]) -> bytes:
    """Share of each emotion per day, stacked (negative emotions at the bottom)."""
    def draw(axes: Axes) -> None:
        days = [m for m in mix if m.total]
        if not days:
            return _empty(axes, "shopper messages")
        bottom = [0.0] * len(days)
        x = [m.day for m in days]
        for label in LABELS:
            shares = [m.counts[label] / m.total for m in days]
            axes.bar(x, shares, bottom=bottom, color=EMOTION_COLOURS[label], label=label, width=0.8)
            bottom = [b + s for b, s in zip(bottom, shares)]
        _percent_axis(axes)
        axes.xaxis.set_major_locator(AutoDateLocator(maxticks=10))
        axes.xaxis.set_major_formatter(ConciseDateFormatter(axes.xaxis.get_major_locator()))
        axes.set_ylabel("share of messages")
        axes.legend(ncol=7, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, 1.18), frameon=False)
    return _png(draw)


def escalations_png(reasons: list[ReasonRate]) -> bytes:
    def draw(axes: Axes) -> None:
        if not reasons:
            return _empty(axes, "escalations")
        ordered = list(reversed(reasons))
        axes.barh([r.reason.replace("_", " ") for r in ordered], [r.rate for r in ordered], color=ACCENT)
        for i, r in enumerate(ordered):
            axes.text(r.rate, i, f" {r.rate:.1%} ({r.escalations})", va="center", fontsize=8)
        axes.set_xlabel("escalations per conversation")
        axes.set_xlim(0, max(r.rate for r in reasons) * 1.35)
        axes.xaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    return _png(draw)


def deescalation_png(result: DeEscalation) -> bytes:
    def draw(axes: Axes) -> None:
        groups = [(label, started, calmed) for label, (started, calmed) in result.by_emotion.items() if started]
        if not groups:
            return _empty(axes, "conversations that started negative")
        labels = [g[0] for g in groups] + ["all"]
        started = [g[1] for g in groups] + [result.started_negative]
        calmed = [g[2] for g in groups] + [result.calmed]
        rates = [c / s for c, s in zip(calmed, started)]
        bars = axes.bar(labels, rates, color=[EMOTION_COLOURS.get(label, ACCENT) for label in labels])
        for bar, c, s in zip(bars, calmed, started):
            axes.text(bar.get_x() + bar.get_width() / 2, bar.get_height(), f"{c}/{s}", ha="center", va="bottom", fontsize=8)
        _percent_axis(axes)
        axes.set_ylabel("ended neutral or positive")
    return _png(draw)


def csat_png(groups: list[CsatGroup]) -> bytes:
    def draw(axes: Axes) -> None:
        if not groups:
            return _empty(axes, "ratings")
        bars = axes.bar([g.emotion for g in groups], [g.mean for g in groups], color=[EMOTION_COLOURS[g.emotion] for g in groups])
        for bar, g in zip(bars, groups):
            axes.text(bar.get_x() + bar.get_width() / 2, bar.get_height(), f"{g.mean:.2f} (n={g.ratings})", ha="center", va="bottom", fontsize=8)
        axes.set_ylim(0, 5.4)
        axes.set_ylabel("mean CSAT (1-5)")
        axes.set_xlabel("emotion the conversation started with")
    return _png(draw)


def satisfaction_png(rows: list[ConversationSatisfaction], days: list[dt.date]) -> bytes:
    """Conversations per day read as satisfied or unsatisfied from their text."""
    def draw(axes: Axes) -> None:
        counts = Counter((r.started_at.date(), r.inferred) for r in rows if r.inferred)
        if not counts:
            return _empty(axes, "conversations")
        satisfied = [counts[(d, "satisfied")] for d in days]
        unsatisfied = [counts[(d, "unsatisfied")] for d in days]
        axes.bar(days, unsatisfied, color=NEGATIVE_COLOUR, label="unsatisfied", width=0.8)
        axes.bar(days, satisfied, bottom=unsatisfied, color=POSITIVE_COLOUR, label="satisfied", width=0.8)
        axes.xaxis.set_major_locator(AutoDateLocator(maxticks=10))
        axes.xaxis.set_major_formatter(ConciseDateFormatter(axes.xaxis.get_major_locator()))
        axes.set_ylabel("conversations")
        axes.legend(fontsize=8, frameon=False)
    return _png(draw)


def intents_png(intents: list[IntentNegativity]) -> bytes:
    def draw(axes: Axes) -> None:
        if not intents:
            return _empty(axes, "requests with enough messages")
        ordered = list(reversed(intents))
        axes.barh([i.intent.replace("_", " ") for i in ordered], [i.share for i in ordered], color=NEGATIVE_COLOUR)
        for k, i in enumerate(ordered):
            axes.text(i.share, k, f" {i.share:.0%} of {i.messages}", va="center", fontsize=8)
        axes.set_xlim(0, 1.15)
        axes.xaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
        axes.set_xlabel("messages read as negative")
    return _png(draw)


def first_reply_png(replies: FirstReplies) -> bytes:
    def draw(axes: Axes) -> None:
        if not replies.waits:
            return _empty(axes, "agent replies")
        minutes = [w / 60 for w in replies.waits]
        axes.hist(minutes, bins=min(30, max(5, len(minutes) // 3)), color=ACCENT)
        for q, name in ((0.5, "median"), (0.9, "p90")):
            value = replies.quantile(q)
            if value is not None:
                axes.axvline(value / 60, color=NEGATIVE_COLOUR if name == "p90" else "#333", linestyle="--", linewidth=1)
                axes.text(value / 60, axes.get_ylim()[1] * 0.9, f" {name} {value / 60:.1f} min", fontsize=8)
        axes.set_xlabel("minutes from escalation to the agent's first reply")
        axes.set_ylabel("escalations")
    return _png(draw)


def negative_timeline_png(bins: list[ShareBin], alerts: list) -> bytes:  # alerts: list[AlertSpan]
    """Negative share over time, with the surge alerts shaded."""
    def draw(axes: Axes) -> None:
        points = [(b.start, b.negative / b.messages) for b in bins if b.messages]
        if not points:
            return _empty(axes, "shopper messages")
        axes.plot([p[0] for p in points], [p[1] for p in points], color=NEGATIVE_COLOUR, marker=".", linewidth=1.2)
        end = bins[-1].start
        for alert in alerts:
            axes.axvspan(alert.fired_at, alert.resolved_at or end, color=NEGATIVE_COLOUR, alpha=0.15)
        _percent_axis(axes)
        axes.xaxis.set_major_locator(AutoDateLocator(maxticks=10))
        axes.xaxis.set_major_formatter(ConciseDateFormatter(axes.xaxis.get_major_locator()))
        axes.set_ylabel("negative share")
    return _png(draw)
