"""Server-side agent sessions: a random id in the cookie, its SHA-256 and a CSRF token in the database."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from demo_site.desk.accounts import AgentView
from demo_site.desk.models import Agent, AgentSession
from services.store.models import utcnow

SESSION_ID_BYTES = 32
MAX_COOKIE_CHARS = 128
TOUCH_EVERY = dt.timedelta(minutes=1)  # write last_seen_at at most this often


@dataclass(frozen=True)
class DeskSession:
    """A valid session: who is logged in and the CSRF token their forms must carry."""

    agent: AgentView
    csrf_token: str


def token_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def start_session(session: Session, agent: AgentView, lifetime: dt.timedelta, now: dt.datetime | None = None) -> tuple[str, DeskSession]:
    """A new session for ``agent``: returns the cookie value (only ever held by the browser) and the session."""
    now = now or utcnow()
    session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
    csrf = secrets.token_urlsafe(32)
    session.add(AgentSession(token_hash=token_hash(session_id), agent_id=agent.id, csrf_token=csrf,
                             created_at=now, last_seen_at=now, expires_at=now + lifetime))
    session.flush()
    return session_id, DeskSession(agent, csrf)


def current_session(session: Session, session_id: str | None, idle: dt.timedelta, now: dt.datetime | None = None) -> DeskSession | None:
    """The session a cookie names, or None when it is unknown, revoked, expired, idle too long, or its agent is inactive."""
    if not session_id or len(session_id) > MAX_COOKIE_CHARS:
        return None
    now = now or utcnow()
    row = session.execute(
        select(AgentSession, Agent).join(Agent, Agent.id == AgentSession.agent_id)
        .where(AgentSession.token_hash == token_hash(session_id))
    ).one_or_none()
    if row is None:
        return None
    record, agent = row
    if record.revoked_at is not None or record.expires_at <= now or record.last_seen_at + idle <= now or not agent.active:
        return None
    if now - record.last_seen_at >= TOUCH_EVERY:
        record.last_seen_at = now
    return DeskSession(AgentView(agent.id, agent.username, agent.display_name, agent.role), record.csrf_token)


def end_session(session: Session, session_id: str | None, now: dt.datetime | None = None) -> bool:
    """Revoke the session a cookie names; True when there was one to revoke."""
    if not session_id or len(session_id) > MAX_COOKIE_CHARS:
        return False
    record = session.execute(select(AgentSession).where(AgentSession.token_hash == token_hash(session_id))).scalar_one_or_none()
    if record is None or record.revoked_at is not None:
        return False
    record.revoked_at = now or utcnow()
    return True


def csrf_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a submitted CSRF token."""
    return bool(given) and hmac.compare_digest(expected.encode(), str(given).encode())
