"""Split reviews into sentences, read each sentence's emotion and aspects, and store them (``review_sentences``)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.analytics.models import Review, ReviewSentence
from services.analytics.reviews.aspects import AspectReader, default_reader
from services.analytics.reviews.sentiment import PolarityRule, Scorer

MAX_SENTENCES_PER_REVIEW = 40  # bounds the work a pasted essay can cause


def analyse_reviews(session: Session, scorer: Scorer, reader: AspectReader | None = None, rule: PolarityRule | None = None,
                    redo: bool = False) -> int:
    """Analyse every review that has no sentences yet (all of them with ``redo``); returns how many were analysed."""
    reader = reader or default_reader()
    rule = rule or PolarityRule()
    if redo:
        session.execute(delete(ReviewSentence))
    analysed = select(ReviewSentence.review_id).distinct()
    reviews = session.execute(select(Review).where(Review.id.not_in(analysed)).order_by(Review.id)).scalars().all()
    pending = [(review, s) for review in reviews for s in reader.read(review.text)[:MAX_SENTENCES_PER_REVIEW]]
    readings = scorer([s.text for _, s in pending]) if pending else []
    positions: dict[int, int] = {}
    for (review, sentence), reading in zip(pending, readings):
        position = positions[review.id] = positions.get(review.id, -1) + 1
        session.add(ReviewSentence(review_id=review.id, position=position, text=sentence.text, emotion=reading.label,
                                   confidence=float(reading.confidence), polarity=rule.sentence_polarity(reading, sentence),
                                   valence=float(reading.valence), aspects=rule.aspect_polarities(reading, sentence)))
    session.flush()
    return len(reviews)
