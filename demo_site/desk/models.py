"""ORM tables of the agent desk (migration 0005): agents, their sessions, and emotion corrections.

They live on the store's ``Base`` so one database holds tickets, agents and what agents corrected.
The learning loop reads :class:`EmotionCorrection` (``demo_site.desk.corrections.latest_corrections``).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Float, ForeignKey, Integer, String, Text

from services.store.models import Base, utcnow

AGENT_ROLES = ("agent", "senior")


class Agent(Base):
    """A support agent; ``senior`` agents also see the senior queue (anger, threats)."""

    __tablename__ = "agents"

    id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False, unique=True)
    display_name = Column(String(120), nullable=False)
    role = Column(String(16), nullable=False, default="agent")  # one of AGENT_ROLES
    password_hash = Column(String(255), nullable=False)  # demo_site.desk.passwords format
    active = Column(Boolean, nullable=False, default=True)
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(DateTime, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class AgentSession(Base):
    """A logged-in browser. Only the SHA-256 of the cookie's random id is stored."""

    __tablename__ = "agent_sessions"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    agent_id = Column(Integer, ForeignKey("agents.id"), nullable=False, index=True)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    last_seen_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False)
    revoked_at = Column(DateTime, nullable=True)


class EmotionCorrection(Base):
    """An agent's correction of the emotion the classifier read in one shopper turn (append-only)."""

    __tablename__ = "emotion_corrections"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="SET NULL"), nullable=True, index=True)  # reseeding drops tickets, not corrections
    sender_id = Column(String(255), nullable=False, index=True)  # the conversation
    turn_index = Column(Integer, nullable=False)  # 0-based among the conversation's shopper turns
    event_timestamp = Column(Float, nullable=True)  # the user event's Rasa timestamp, when read from the tracker
    text = Column(Text, nullable=False)
    model_label = Column(String(16), nullable=False)
    model_confidence = Column(Float, nullable=True)
    corrected_label = Column(String(16), nullable=False)
    agent_id = Column(Integer, ForeignKey("agents.id"), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
