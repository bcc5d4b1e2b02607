"""Review monitoring: aspects and cues (spaCy), the authored seed, weekly surges and their alerts, the report, accuracy."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from services.analytics.models import Review, ReviewSentence
from services.analytics.reviews.aspects import AspectReader
from services.analytics.reviews.evaluation import EVAL_FILE, HOLDOUT_FILE, evaluate, load_eval
from services.analytics.reviews.sentiment import PolarityRule, emotion_scorer
from services.analytics.reviews.trends import WeekPoint, walk_surges
from services.analytics.reviews_report import ReportOptions, format_summaries, run
from services.analytics.webhook import SlackWebhook
from services.settings import PROJECT_ROOT
from services.store.db import make_engine, session_scope
from services.store.models import Product
from services.store.seed.reviews import load_reviews, seed_reviews
from services.store.seed.run import seed_database
from tests.analytics.webhook_double import WebhookDouble
from tests.conftest import TODAY

reader = AspectReader()


@dataclass(frozen=True)
class Calm:
    """A classifier that reads every sentence as neutral: the cue phrases decide (keeps these tests model-free)."""

    label: str = "neutral"
    confidence: float = 0.9
    polarity: str = "neutral"
    valence: float = 0.5


def calm_scorer(texts):  # noqa: ANN001, ANN201
    return [Calm() for _ in texts]


def test_sentences_aspects_and_cues() -> None:
    sentences = reader.read("Great quality, but far too expensive. Arrived late! It does not leak at all.")
    assert [s.text for s in sentences] == ["Great quality, but far too expensive.", "Arrived late!", "It does not leak at all."]
    assert sentences[0].aspects == {"quality": "positive", "price": "negative"}
    assert sentences[1].aspects == {"delivery": "negative"}
    assert sentences[2].aspects == {"quality": "positive"}  # negated cue
    assert reader.aspects("Lovely colour.") == {}


def test_the_classifier_decides_when_it_is_sure_and_cues_decide_per_aspect() -> None:
    sentence = reader.read("Really disappointed with the quality.")[0]
    angry = Calm("frustrated", 0.95, "negative", 0.1)
    assert PolarityRule().aspect_polarities(angry, sentence) == {"quality": "negative"}
    assert PolarityRule().aspect_polarities(Calm("frustrated", 0.4, "negative", 0.3), sentence) == {"quality": "neutral"}
    mixed = reader.read("Great quality, but far too expensive.")[0]
    assert PolarityRule().aspect_polarities(angry, mixed) == {"quality": "positive", "price": "negative"}


def weeks(pattern: list[tuple[int, int]]) -> list[WeekPoint]:
    end = dt.date(2026, 11, 22)
    return [WeekPoint(end - dt.timedelta(days=7 * (len(pattern) - 1 - i)), n, neg) for i, (n, neg) in enumerate(pattern)]


def test_weekly_surges_fire_over_their_baseline_and_clear_after_two_calm_weeks() -> None:
    spans = walk_surges("delivery", weeks([(1, 0), (2, 0), (1, 0), (6, 5), (4, 3), (1, 0), (0, 0), (2, 0), (1, 0)]))
    assert len(spans) == 1 and spans[0].share == pytest.approx(5 / 6, abs=1e-3) and spans[0].cleared_week is not None
    still = walk_surges("quality", weeks([(1, 0), (2, 0), (1, 0), (0, 0), (5, 5), (4, 4)]))
    assert len(still) == 1 and still[0].cleared_week is None
    chronic = walk_surges("size and fit", weeks([(2, 1), (2, 2), (1, 1), (2, 1), (2, 2), (3, 2)]))
    assert chronic == []  # always this bad: a recurring complaint, not a surge


def test_the_authored_reviews() -> None:
    reviews = load_reviews()
    assert len(reviews) >= 150 and len({r.product for r in reviews}) == 6
    assert max(r.days_ago for r in reviews) - min(r.days_ago for r in reviews) > 150  # spread over months
    assert {r.rating for r in reviews} == {1, 2, 3, 4, 5}


@pytest.fixture()
def seeded_reviews(db_url: str) -> str:
    seed_database(db_url, today=TODAY, n_customers=20, progress=False)  # `make seed` writes the authored reviews
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            assert seed_reviews(conn, TODAY) == len(load_reviews())  # and writing them again replaces them
    finally:
        engine.dispose()
    return db_url


def test_the_seed_writes_reviews_and_a_reseed_replaces_them(seeded_reviews: str) -> None:
    with session_scope(seeded_reviews) as session:
        first, last = session.execute(select(func.min(Review.reviewed_at), func.max(Review.reviewed_at))).one()
        assert last.date() < TODAY and (TODAY - first.date()).days >= 170
        espresso = session.execute(select(Product.id).where(Product.name == "Roastwell Nova Espresso Machine")).scalar_one()
        assert session.execute(select(func.count()).where(Review.product_id == espresso)).scalar_one() >= 30
        assert session.execute(select(func.count()).select_from(Review)).scalar_one() == len(load_reviews())
    seed_database(seeded_reviews, today=TODAY, n_customers=20, progress=False, reset=True)  # products go, their reviews with them
    with session_scope(seeded_reviews) as session:
        assert session.execute(select(func.count()).select_from(Review)).scalar_one() == len(load_reviews())


def test_the_report_finds_the_authored_stories_and_alerts_once(seeded_reviews: str, tmp_path: Path) -> None:
    options = ReportOptions(url=seeded_reviews, today=TODAY.isoformat(), out=str(tmp_path / "png"))
    with WebhookDouble() as hook:
        summaries = {s.name: s for s in run(options, scorer=calm_scorer, webhook=SlackWebhook(hook.url))}
        first = list(hook.texts)
        run(options, scorer=calm_scorer, webhook=SlackWebhook(hook.url))
        assert hook.texts == first  # nothing new: nothing posted again

        espresso = summaries["Roastwell Nova Espresso Machine"]
        assert "quality" in espresso.surging
        game = summaries["Meeple House Orbit Strategy Game"]
        assert [s.aspect for s in game.surges if s.aspect == "delivery"] == ["delivery"] and not game.surging
        assert "size and fit" in summaries["Stridelab Drift Trail Running Shoes"].recurring
        assert summaries["Ridgeline Summit Rain Jacket"].surges == []
        assert all(t.startswith("Negative surge: reviews of Roastwell Nova Espresso Machine") for t in first) and first
        assert sorted(p.name for p in (tmp_path / "png").iterdir()) == sorted(f"{s.sku}.png" for s in summaries.values())
        assert (tmp_path / "png" / f"{espresso.sku}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "STILL SURGING" in format_summaries(list(summaries.values()))

        with session_scope(seeded_reviews) as session:  # the bad batch is withdrawn: its reviews go
            bad = session.execute(select(Review.id).where(Review.product_id == espresso.product_id, Review.rating <= 2)).scalars().all()
            session.execute(delete(ReviewSentence).where(ReviewSentence.review_id.in_(bad)), execution_options={"synchronize_session": False})
            session.execute(delete(Review).where(Review.id.in_(bad)), execution_options={"synchronize_session": False})
        run(options, scorer=calm_scorer, webhook=SlackWebhook(hook.url))
        recovered = hook.texts[len(first):]
        assert len(recovered) == len(first) and all(t.startswith("Recovered: reviews of Roastwell Nova Espresso Machine") for t in recovered)


MODEL_DIR = PROJECT_ROOT / "models" / "emotion"


def test_aspect_level_accuracy_with_the_emotion_model() -> None:
    if not (MODEL_DIR / "config.json").exists():
        pytest.fail(f"{MODEL_DIR} is missing: run `make emotion-train` (make test does)", pytrace=False)
    scorer = emotion_scorer(MODEL_DIR)
    holdout = evaluate(load_eval(HOLDOUT_FILE), reader, scorer, PolarityRule())
    dev = evaluate(load_eval(EVAL_FILE), reader, scorer, PolarityRule())
    alone = evaluate(load_eval(HOLDOUT_FILE), reader, scorer, PolarityRule(0.0, use_cues=False))
    assert holdout.detection["micro"].f1 >= 0.85 and dev.detection["micro"].f1 >= 0.85
    assert holdout.joint_accuracy >= 0.8 and dev.joint_accuracy >= 0.8
    assert alone.joint_accuracy < holdout.joint_accuracy  # the cues are what make aspect polarity work on review text
