"""Chat accounts linked to customers: who a Slack user or Telegram chat is, when the store knows."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.store.models import LinkedAccount

CHANNELS = ("slack", "telegram")


def linked_customer(session: Session, channel: str, external_id: str) -> str | None:
    """The customer id linked to ``external_id`` on ``channel``, or None (the shopper then verifies)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; expected one of {', '.join(CHANNELS)}")
    stmt = select(LinkedAccount.customer_id).where(LinkedAccount.channel == channel, LinkedAccount.external_id == str(external_id))
    return session.execute(stmt).scalar_one_or_none()


def link_account(session: Session, channel: str, external_id: str, customer_id: str) -> None:
    """Link (or re-link) ``external_id`` on ``channel`` to ``customer_id``."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; expected one of {', '.join(CHANNELS)}")
    row = session.execute(
        select(LinkedAccount).where(LinkedAccount.channel == channel, LinkedAccount.external_id == str(external_id))
    ).scalar_one_or_none()
    if row is None:
        session.add(LinkedAccount(channel=channel, external_id=str(external_id), customer_id=customer_id))
    else:
        row.customer_id = customer_id
