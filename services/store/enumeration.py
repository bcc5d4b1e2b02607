"""Back-off against guessing: failed checks counted per order number and per customer, across conversations.

After ``FREE_FAILURES`` failures against the same order or customer, every further check of it fails
(with the same reply as any failure) until ``locked_until``; each new failure doubles the wait, from
``BASE_BACKOFF`` up to ``MAX_BACKOFF``. A success does not reset the count early: the owner who
verifies during a back-off still has to wait, so an attacker learns nothing from timing.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.store.models import Customer, Order, VerificationTarget, utcnow

FREE_FAILURES = 3
BASE_BACKOFF = dt.timedelta(minutes=1)
MAX_BACKOFF = dt.timedelta(hours=24)


def targets_of(session: Session, order_number: int | None, email: str | None) -> list[tuple[str, str]]:
    """``(kind, key)`` pairs a check touches: the order number, its owner, and the customer with that email."""
    targets: list[tuple[str, str]] = []
    if order_number is not None:
        targets.append(("order", str(order_number)))
        owner = session.execute(select(Order.customer_id).where(Order.id == order_number)).scalar_one_or_none()
        if owner:
            targets.append(("customer", owner))
    if email:
        holder = session.execute(select(Customer.id).where(Customer.email == email.lower())).scalar_one_or_none()
        if holder and ("customer", holder) not in targets:
            targets.append(("customer", holder))
    return targets


def backoff_for(failures: int) -> dt.timedelta | None:
    """How long checks stay refused after ``failures`` failures (None while still free)."""
    if failures < FREE_FAILURES:
        return None
    doublings = min(failures - FREE_FAILURES, 20)  # 2**20 minutes is far past the cap; avoids overflow
    return min(MAX_BACKOFF, BASE_BACKOFF * 2**doublings)


def is_backed_off(session: Session, order_number: int | None, email: str | None, now: dt.datetime | None = None) -> bool:
    """True while any target of this check is in its back-off window."""
    now = now or utcnow()
    for kind, key in targets_of(session, order_number, email):
        row = session.execute(select(VerificationTarget).where(VerificationTarget.kind == kind, VerificationTarget.key == key)).scalar_one_or_none()
        if row is not None and row.locked_until is not None and row.locked_until > now:
            return True
    return False


def record_target_failure(session: Session, order_number: int | None, email: str | None, now: dt.datetime | None = None) -> int:
    """Count a failed check against each target; returns the highest failure count among them."""
    now = now or utcnow()
    highest = 0
    for kind, key in targets_of(session, order_number, email):
        row = session.execute(
            select(VerificationTarget).where(VerificationTarget.kind == kind, VerificationTarget.key == key).with_for_update()
        ).scalar_one_or_none()
        if row is None:
            row = VerificationTarget(kind=kind, key=key, failures=0)
            session.add(row)
        row.failures += 1
        row.last_failure_at = now
        wait = backoff_for(row.failures)
        row.locked_until = now + wait if wait else None
        highest = max(highest, row.failures)
    session.flush()
    return highest
