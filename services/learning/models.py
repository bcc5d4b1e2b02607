"""ORM table of the emotion review queue (migration ``0007_learning``), on the store's ``Base``."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Float, Integer, String, Text, UniqueConstraint

from services.store.models import Base, utcnow

SOURCES = ("uncertain", "correction")  # why a message was queued
STATUSES = ("pending", "confirmed", "relabelled", "skipped")
LABELLED = ("confirmed", "relabelled")


class EmotionReviewItem(Base):
    """A shopper message to label: PII-masked text, the model's reading and, for corrections, the agent's."""

    __tablename__ = "emotion_review_queue"
    __table_args__ = (UniqueConstraint("sender_id", "text_hash", name="uq_emotion_review_queue_sender_text"),)

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False)
    text_masked = Column(Text, nullable=False)  # services.pii.mask_text of what the shopper wrote
    text_hash = Column(String(64), nullable=False)  # SHA-256 of text_masked: replays of a message do not duplicate it
    model_label = Column(String(16), nullable=True)  # None: the classifier gave no reading
    model_confidence = Column(Float, nullable=True)  # calibrated top probability
    source = Column(String(16), nullable=False)  # one of SOURCES
    suggested_label = Column(String(16), nullable=True)  # the agent's correction
    suggested_by = Column(String(64), nullable=True)  # the agent's username
    correction_id = Column(Integer, nullable=True)  # emotion_corrections.id it came from (no foreign key: corrections are the desk's)
    status = Column(String(16), nullable=False, default="pending", index=True)  # one of STATUSES
    final_label = Column(String(16), nullable=True)
    labelled_by = Column(String(64), nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    labelled_at = Column(DateTime, nullable=True)

    @property
    def proposed_label(self) -> str | None:
        """What confirming accepts: the agent's label when there is one, else the model's."""
        return self.suggested_label or self.model_label
