"""ORM schema of the analytics tables (migration ``0006_analytics``) and of the product reviews.

The tables hang on the store's declarative ``Base`` so the migrations and the models are compared
as one schema. Shopper text is not kept here: the dashboard needs the emotion readings, intents
and times, not what people wrote.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint

from services.store.models import Base, utcnow

POLARITIES = ("negative", "neutral", "positive")
ALERT_STATES = ("firing", "resolved")


class AnalyticsConversation(Base):
    """One Rasa conversation session of a sender, summarised as its events arrive."""

    __tablename__ = "analytics_conversations"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(32), nullable=True)
    started_at = Column(DateTime, nullable=False, index=True)
    last_event_at = Column(DateTime, nullable=False)
    user_messages = Column(Integer, nullable=False, default=0)  # expressive ones (see AnalyticsMessage.expressive)
    negative_messages = Column(Integer, nullable=False, default=0)
    first_emotion = Column(String(16), nullable=True)  # the dialogue label of the first shopper message
    first_polarity = Column(String(8), nullable=True)  # one of POLARITIES
    last_emotion = Column(String(16), nullable=True)
    last_polarity = Column(String(8), nullable=True)
    valence_ewm = Column(Float, nullable=True)  # recency-weighted valence of the shopper's messages
    escalated = Column(Boolean, nullable=False, default=False)
    # What later events need from earlier ones: the pending handoff reason, the open escalation, the last rating.
    state = Column(JSON, nullable=False, default=dict)


class AnalyticsMessage(Base):
    """One shopper message: intent and emotion reading (no text)."""

    __tablename__ = "analytics_messages"
    __table_args__ = (UniqueConstraint("sender_id", "message_id", name="uq_analytics_messages_sender_message"),)

    id = Column(Integer, primary_key=True)
    conversation_id = Column(Integer, ForeignKey("analytics_conversations.id", ondelete="CASCADE"), nullable=False, index=True)
    sender_id = Column(String(255), nullable=False)
    message_id = Column(String(64), nullable=True)
    sent_at = Column(DateTime, nullable=False, index=True)
    channel = Column(String(32), nullable=True)
    intent = Column(String(64), nullable=True)
    intent_confidence = Column(Float, nullable=True)
    emotion = Column(String(16), nullable=True)  # the classifier's top label
    emotion_confidence = Column(Float, nullable=True)
    emotion_confident = Column(Boolean, nullable=False, default=False)
    valence = Column(Float, nullable=True)
    dialogue_emotion = Column(String(16), nullable=False)  # the label when confident, else neutral
    polarity = Column(String(8), nullable=False)  # of dialogue_emotion: one of POLARITIES
    # False for replies that carry no feeling (a CSAT rating or its button): left out of every emotion figure.
    expressive = Column(Boolean, nullable=False, default=True)


class AnalyticsEscalation(Base):
    """A handoff to a person (``action_handoff``) and why."""

    __tablename__ = "analytics_escalations"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(Integer, ForeignKey("analytics_conversations.id", ondelete="CASCADE"), nullable=False, index=True)
    sender_id = Column(String(255), nullable=False)
    reason = Column(String(64), nullable=False)
    escalated_at = Column(DateTime, nullable=False, index=True)


class AnalyticsAgentReply(Base):
    """The first agent message after an escalation, and how long the shopper waited for it."""

    __tablename__ = "analytics_agent_replies"

    id = Column(Integer, primary_key=True)
    escalation_id = Column(Integer, ForeignKey("analytics_escalations.id", ondelete="CASCADE"), nullable=False, unique=True)
    agent_id = Column(String(64), nullable=True)
    replied_at = Column(DateTime, nullable=False)
    wait_seconds = Column(Float, nullable=False)


class AnalyticsCsat(Base):
    """A 1-5 rating the shopper gave (``action_save_csat``)."""

    __tablename__ = "analytics_csat"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(Integer, ForeignKey("analytics_conversations.id", ondelete="CASCADE"), nullable=False, index=True)
    sender_id = Column(String(255), nullable=False)
    rating = Column(Integer, nullable=False)
    rated_at = Column(DateTime, nullable=False)


class AnalyticsDeadLetter(Base):
    """A broker message the consumer could not use, kept for a person to look at."""

    __tablename__ = "analytics_dead_letters"

    id = Column(Integer, primary_key=True)
    source = Column(String(64), nullable=False)  # e.g. "sql:events" or "rabbitmq:rasa_analytics"
    source_position = Column(String(64), nullable=True)  # the events row id or AMQP delivery tag
    error = Column(String(500), nullable=False)
    body = Column(Text, nullable=False)  # the raw message, cut to MAX_DEAD_LETTER_CHARS
    received_at = Column(DateTime, nullable=False, default=utcnow)


class AnalyticsOffset(Base):
    """How far the consumer has read an incremental source (the SQL broker's ``events.id``)."""

    __tablename__ = "analytics_offsets"

    source = Column(String(64), primary_key=True)
    last_id = Column(Integer, nullable=False)
    updated_at = Column(DateTime, nullable=False, default=utcnow)


class AnalyticsAlert(Base):
    """A surge alert: one row per firing, resolved when the share recovers."""

    __tablename__ = "analytics_alerts"

    id = Column(Integer, primary_key=True)
    key = Column(String(160), nullable=False, index=True)  # what surged, e.g. "negative_messages"
    state = Column(String(16), nullable=False)  # one of ALERT_STATES
    fired_at = Column(DateTime, nullable=False)
    resolved_at = Column(DateTime, nullable=True)
    share = Column(Float, nullable=False)
    baseline = Column(Float, nullable=False)
    observations = Column(Integer, nullable=False)
    notified_fired = Column(Boolean, nullable=False, default=False)
    notified_resolved = Column(Boolean, nullable=False, default=False)
    detail = Column(JSON, nullable=False, default=dict)


class Review(Base):
    """A product review (authored seed data: ``data/reviews/``)."""

    __tablename__ = "reviews"

    id = Column(Integer, primary_key=True)
    product_id = Column(Integer, ForeignKey("products.id", ondelete="CASCADE"), nullable=False, index=True)
    reviewer = Column(String(64), nullable=False)
    rating = Column(Integer, nullable=False)  # 1-5 stars
    text = Column(Text, nullable=False)
    reviewed_at = Column(DateTime, nullable=False, index=True)
    source = Column(String(32), nullable=False, default="authored")


class ReviewSentence(Base):
    """One sentence of a review with its emotion reading and the aspects it mentions."""

    __tablename__ = "review_sentences"
    __table_args__ = (UniqueConstraint("review_id", "position", name="uq_review_sentences_review_position"),)

    id = Column(Integer, primary_key=True)
    review_id = Column(Integer, ForeignKey("reviews.id", ondelete="CASCADE"), nullable=False, index=True)
    position = Column(Integer, nullable=False)
    text = Column(Text, nullable=False)
    emotion = Column(String(16), nullable=False)
    confidence = Column(Float, nullable=False)
    polarity = Column(String(8), nullable=False)  # the sentence's: one of POLARITIES
    valence = Column(Float, nullable=False)
    aspects = Column(JSON, nullable=False, default=dict)  # aspect -> its polarity, e.g. {"quality": "positive", "price": "negative"}
