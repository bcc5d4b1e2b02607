"""Authored product reviews (``data/reviews/reviews.yml``) into the store database.

``seed_reviews(conn, today)`` replaces the authored reviews with those of the file, dated
``days_ago`` before ``today`` (at a fixed hour per review, so reseeding is reproducible).
``python -m services.store.seed.reviews`` adds them to an already seeded database.
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection, Engine

from services.analytics.models import Review
from services.settings import PROJECT_ROOT
from services.store.db import make_engine
from services.store.models import Product

REVIEWS_FILE = PROJECT_ROOT / "data" / "reviews" / "reviews.yml"
SOURCE = "authored"


@dataclass(frozen=True)
class AuthoredReview:
    product: str
    days_ago: int
    rating: int
    reviewer: str
    text: str


def load_reviews(path: Path = REVIEWS_FILE) -> list[AuthoredReview]:
    """Every review of the file, checked (rating 1-5, days_ago >= 0, non-empty text)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: list[AuthoredReview] = []
    for product in data["products"]:
        for r in product["reviews"]:
            review = AuthoredReview(product["product"], int(r["days_ago"]), int(r["rating"]), str(r["reviewer"]), str(r["text"]).strip())
            if not 1 <= review.rating <= 5 or review.days_ago < 0 or not review.text:
                raise ValueError(f"{path}: bad review for {review.product!r}: {r}")
            out.append(review)
    return out


def review_rows(reviews: list[AuthoredReview], product_ids: dict[str, int], today: dt.date) -> list[dict]:
    """Rows of the ``reviews`` table; a product missing from the catalogue is an error that names it."""
    missing = sorted({r.product for r in reviews} - set(product_ids))
    if missing:
        raise ValueError(f"reviews name products that are not in the catalogue: {missing}; fix data/reviews/reviews.yml "
                         "(names as in services/store/seed/catalogue.py FIXED_PRODUCTS)")
    midnight = dt.datetime.combine(today, dt.time())
    return [{"product_id": product_ids[r.product], "reviewer": r.reviewer, "rating": r.rating, "text": r.text, "source": SOURCE,
             "reviewed_at": midnight - dt.timedelta(days=r.days_ago) + dt.timedelta(hours=8 + (i * 7) % 12, minutes=(i * 13) % 60)}
            for i, r in enumerate(reviews)]


def has_reviews(engine: Engine) -> bool:
    """Whether the database holds any review (a database seeded before reviews existed holds none)."""
    with engine.connect() as conn:
        return bool(conn.execute(select(func.count()).select_from(Review.__table__)).scalar())


def seed_reviews(conn: Connection, today: dt.date, path: Path = REVIEWS_FILE) -> int:
    """Replace the authored reviews (their sentence analyses go with them); returns how many were written."""
    product_ids = dict(conn.execute(select(Product.name, Product.id)).all())
    rows = review_rows(load_reviews(path), product_ids, today)
    conn.execute(delete(Review.__table__).where(Review.__table__.c.source == SOURCE))
    conn.execute(insert(Review.__table__), rows)
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None, help="database URL (default: STORE_DATABASE_URL)")
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None, help="reference date (YYYY-MM-DD)")
    args = parser.parse_args()
    engine = make_engine(args.url)
    try:
        with engine.begin() as conn:
            print(f"{seed_reviews(conn, args.today or dt.date.today())} reviews written")
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
