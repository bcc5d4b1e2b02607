"""Per-product review sentiment: overall and per aspect, week by week, with surges and recurring complaints."""

from __future__ import annotations

import datetime as dt
import os
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.analytics.models import AnalyticsAlert, Review, ReviewSentence
from services.analytics.reviews.aspects import ASPECTS
from services.analytics.reviews.trends import OVERALL, SurgeSpan, TrendOptions, WeekPoint, current_transition, walk_surges, weekly_series
from services.analytics.surge import AlertBook
from services.store.models import Product

ASPECT_NAMES = tuple(ASPECTS)


@dataclass(frozen=True)
class RecurringRule:
    """An aspect complained about all along (not a surge): enough mentions, a high negative share, over several weeks."""

    min_mentions: int = field(default=8, metadata={"help": "mentions over the whole period"})
    min_negative_share: float = field(default=0.4, metadata={"help": "share of those that read negative"})
    min_weeks: int = field(default=4, metadata={"help": "different weeks with a negative mention"})


@dataclass(frozen=True)
class AspectSummary:
    aspect: str
    mentions: int
    negative: int
    positive: int

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.mentions if self.mentions else None

    @property
    def net(self) -> float | None:
        """(positive - negative) / mentions, in [-1, 1]."""
        return (self.positive - self.negative) / self.mentions if self.mentions else None


@dataclass(frozen=True)
class ProductSummary:
    product_id: int
    name: str
    sku: str
    reviews: int
    mean_rating: float
    sentences: int
    overall: AspectSummary
    aspects: list[AspectSummary]
    weeks: dict[str, list[WeekPoint]]  # OVERALL and each aspect
    surges: list[SurgeSpan]  # oldest first, every aspect
    recurring: list[str]

    @property
    def surging(self) -> list[str]:
        return [s.aspect for s in self.surges if s.cleared_week is None]


@dataclass(frozen=True)
class _Mention:
    at: dt.datetime
    polarity: str


def alert_key(product_id: int, aspect: str) -> str:
    return f"reviews:{product_id}:{aspect}"


def _summary(aspect: str, mentions: list[_Mention]) -> AspectSummary:
    return AspectSummary(aspect, len(mentions), sum(m.polarity == "negative" for m in mentions), sum(m.polarity == "positive" for m in mentions))


def report_day() -> dt.date:
    """The day reports count weeks back from: ``ASSISTANT_TODAY`` when pinned (demos, tests), else today (UTC)."""
    pinned = os.environ.get("ASSISTANT_TODAY")
    return dt.date.fromisoformat(pinned) if pinned else dt.datetime.utcnow().date()


def product_summaries(session: Session, today: dt.date | None = None, options: TrendOptions | None = None,
                      recurring: RecurringRule | None = None) -> list[ProductSummary]:
    """Every product with analysed reviews, worst overall sentiment first."""
    today = today or report_day()
    options, recurring = options or TrendOptions(), recurring or RecurringRule()
    rows = session.execute(
        select(Product.id, Product.name, Product.sku, Review.id, Review.rating, Review.reviewed_at, ReviewSentence.polarity, ReviewSentence.aspects)
        .join(Review, Review.product_id == Product.id).join(ReviewSentence, ReviewSentence.review_id == Review.id)
        .order_by(Product.id, Review.id, ReviewSentence.position)).all()
    products: dict[int, dict] = {}
    for pid, name, sku, review_id, rating, at, polarity, aspects in rows:
        p = products.setdefault(pid, {"name": name, "sku": sku, "ratings": {}, "mentions": defaultdict(list)})
        p["ratings"][review_id] = rating
        p["mentions"][OVERALL].append(_Mention(at, polarity))
        for aspect, aspect_polarity in (aspects or {}).items():
            p["mentions"][aspect].append(_Mention(at, aspect_polarity))
    out = []
    for pid, p in products.items():
        mentions = p["mentions"]
        weeks = {a: weekly_series([(m.at, m.polarity) for m in mentions.get(a, [])], today, options.weeks) for a in (OVERALL, *ASPECT_NAMES)}
        surges = sorted((s for a in (OVERALL, *ASPECT_NAMES) for s in walk_surges(a, weeks[a], options=options)), key=lambda s: s.fired_week)
        aspects = [_summary(a, mentions.get(a, [])) for a in ASPECT_NAMES]
        chronic = [a.aspect for a in aspects if a.mentions >= recurring.min_mentions and (a.negative_share or 0) >= recurring.min_negative_share
                   and sum(1 for w in weeks[a.aspect] if w.negative) >= recurring.min_weeks]
        out.append(ProductSummary(pid, p["name"], p["sku"], len(p["ratings"]), round(statistics.fmean(p["ratings"].values()), 2),
                                  len(mentions[OVERALL]), _summary(OVERALL, mentions[OVERALL]), aspects, weeks, surges, chronic))
    return sorted(out, key=lambda s: (-(s.overall.negative_share or 0), s.name))


def sync_alerts(session: Session, summaries: list[ProductSummary], book: AlertBook, today: dt.date | None = None) -> int:
    """Fire the surges that are on now and resolve those that are over (each once); returns how many changed."""
    today = today or report_day()
    changed = 0
    for s in summaries:
        for aspect in (OVERALL, *ASPECT_NAMES):
            key = alert_key(s.product_id, aspect)
            spans = [x for x in s.surges if x.aspect == aspect]
            transition = current_transition(key, spans, s.weeks[aspect], book.firing(session, key) is not None, today)
            if transition is None:
                continue
            what = f"reviews of {s.name}" + ("" if aspect == OVERALL else f", {aspect}")
            changed += book.record(session, transition, detail={"what": what, "unit": "review sentences",
                                                                "window": "the week", "product_id": s.product_id, "aspect": aspect}) is not None
    return changed


@dataclass(frozen=True)
class ReviewAlert:
    what: str
    state: str
    fired_at: dt.datetime
    resolved_at: dt.datetime | None
    share: float
    baseline: float


def review_alerts(session: Session, limit: int = 20) -> list[ReviewAlert]:
    """The newest review alerts, firing ones first."""
    alerts = session.execute(select(AnalyticsAlert).where(AnalyticsAlert.key.like("reviews:%"))
                             .order_by(AnalyticsAlert.state, AnalyticsAlert.fired_at.desc()).limit(limit)).scalars().all()
    return [ReviewAlert(str((a.detail or {}).get("what") or a.key), a.state, a.fired_at, a.resolved_at, a.share, a.baseline) for a in alerts]
