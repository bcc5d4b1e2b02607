"""Fill the emotion review queue: unsure readings and agents' corrections that disagree with the model.

    enqueue_if_uncertain(session, sender_id=..., text=..., label=..., confidence=...)  # analytics consumer
    enqueue_correction(session, correction_view)                                       # desk, after record_correction
    sync_corrections(session)                                                          # pulls every disagreeing correction

Text is PII-masked (``services.pii.mask_text``) before it is stored or hashed. A message is queued
once per conversation (``sender_id`` + hash of the masked text), so replayed events do not duplicate
it. None of these functions commits: the caller's transaction does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import yaml
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from components.emotion.labels import LABELS
from services.learning.models import LABELLED, EmotionReviewItem
from services.pii import mask_text
from services.settings import PROJECT_ROOT

CLASSIFIER = "components.emotion_classifier.EmotionClassifier"
CONFIG_FILE = PROJECT_ROOT / "config.yml"


class CorrectionLike(Protocol):
    """What :func:`enqueue_correction` reads (``demo_site.desk.corrections.CorrectionView`` has it)."""

    id: int
    sender_id: str
    text: str
    model_label: str
    model_confidence: float | None
    corrected_label: str
    agent: str
    created_at: dt.datetime


@lru_cache(maxsize=4)
def confidence_threshold(config_file: Path = CONFIG_FILE) -> float:
    """The classifier's ``confidence_threshold``: config.yml's value, else the component's default (0.6).

    Below it a reading is ``confident: false`` and the dialogue treats it as neutral, so the
    same number decides what is "unsure" here. Cached: the default needs the Rasa component imported.
    """
    if config_file.exists():
        config = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}
        for entry in config.get("pipeline") or []:
            if isinstance(entry, dict) and entry.get("name") == CLASSIFIER and "confidence_threshold" in entry:
                return float(entry["confidence_threshold"])
    from components.emotion_classifier import EmotionClassifier

    return float(EmotionClassifier.get_default_config()["confidence_threshold"])


def text_hash(masked: str) -> str:
    """SHA-256 (hex) of already masked text."""
    return hashlib.sha256(masked.encode("utf-8")).hexdigest()


def _check_label(label: str | None, what: str) -> None:
    if label is not None and label not in LABELS:
        raise ValueError(f"unknown {what} {label!r}; expected one of {', '.join(LABELS)}")


def _find(session: Session, sender_id: str, digest: str) -> EmotionReviewItem | None:
    return session.execute(
        select(EmotionReviewItem).where(EmotionReviewItem.sender_id == sender_id, EmotionReviewItem.text_hash == digest)
    ).scalar_one_or_none()


def _insert(session: Session, item: EmotionReviewItem) -> EmotionReviewItem | None:
    """Add ``item`` in a savepoint; None when a concurrent writer inserted the same message first."""
    try:
        with session.begin_nested():
            session.add(item)
        return item
    except IntegrityError:
        return None


def enqueue_if_uncertain(session: Session, *, sender_id: str, text: str | None, label: str | None,
                         confidence: float | None, threshold: float | None = None, confident: bool | None = None) -> bool:
    """Queue a shopper message whose calibrated confidence is below ``threshold`` (default :func:`confidence_threshold`).

    ``confident`` is the classifier's own verdict when the reading carries it (Rasa's parse data
    does): it decides, and the threshold is not consulted. Returns True when a row was added. Messages without text or without a reading (``confidence``
    None) and messages already queued for this sender are not queued. Raises ValueError for a
    label outside ``LABELS``.
    """
    _check_label(label, "emotion label")
    if not text or not text.strip() or confidence is None or label is None:
        return False
    if confident if confident is not None else confidence >= (confidence_threshold() if threshold is None else threshold):
        return False
    masked = mask_text(text.strip())
    digest = text_hash(masked)
    if _find(session, sender_id, digest) is not None:
        return False
    item = EmotionReviewItem(sender_id=sender_id[:255], text_masked=masked, text_hash=digest, model_label=label,
                             model_confidence=float(confidence), source="uncertain", status="pending")
    return _insert(session, item) is not None


def enqueue_correction(session: Session, correction: CorrectionLike) -> bool:
    """Queue an agent's correction that disagrees with the model's reading; True when the queue changed.

    A message already queued (as unsure, or by an older correction) gets the agent's label as its
    suggestion and goes back to ``pending``; one already labelled is reopened only when the
    correction is newer than the label and disagrees with it. Agreeing corrections are ignored.
    """
    _check_label(correction.corrected_label, "corrected label")
    model_label = correction.model_label if correction.model_label in LABELS else None  # "unknown": no reading
    if correction.corrected_label == model_label or not correction.text.strip():
        return False
    masked = mask_text(correction.text.strip())
    digest = text_hash(masked)
    item = _find(session, correction.sender_id, digest)
    if item is None:
        item = EmotionReviewItem(sender_id=correction.sender_id[:255], text_masked=masked, text_hash=digest,
                                 model_label=model_label, model_confidence=correction.model_confidence, source="correction",
                                 suggested_label=correction.corrected_label, suggested_by=correction.agent[:64],
                                 correction_id=correction.id, status="pending")
        return _insert(session, item) is not None
    if item.suggested_label == correction.corrected_label and item.correction_id is not None:
        return False
    if item.status in LABELLED:
        newer = item.labelled_at is None or correction.created_at > item.labelled_at
        if item.final_label == correction.corrected_label or not newer:
            return False
    item.source, item.suggested_label, item.suggested_by = "correction", correction.corrected_label, correction.agent[:64]
    item.correction_id, item.status = correction.id, "pending"
    item.final_label = item.labelled_by = item.labelled_at = None
    session.flush()
    return True


def sync_corrections(session: Session, since: dt.datetime | None = None) -> int:
    """Queue every latest desk correction (``latest_corrections``) that disagrees with the model; returns how many changed the queue."""
    from demo_site.desk.corrections import latest_corrections

    return sum(enqueue_correction(session, view) for view in latest_corrections(session, since))


def pending_items(session: Session, include_skipped: bool = False, limit: int | None = None) -> list[EmotionReviewItem]:
    """Items to label: agents' corrections first, then unsure readings, least confident first, oldest first."""
    statuses = ("pending", "skipped") if include_skipped else ("pending",)
    stmt = select(EmotionReviewItem).where(EmotionReviewItem.status.in_(statuses))
    items = list(session.execute(stmt).scalars())
    items.sort(key=lambda i: (i.source != "correction", i.model_confidence if i.model_confidence is not None else 0.0,
                              i.created_at, i.id))
    return items[:limit] if limit else items


def queue_counts(session: Session) -> dict[str, int]:
    """Rows per status."""
    counts = {status: 0 for status in ("pending", "confirmed", "relabelled", "skipped")}
    for (status,) in session.execute(select(EmotionReviewItem.status)):
        counts[status] = counts.get(status, 0) + 1
    return counts
