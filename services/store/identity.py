"""Who the shopper is: trusted channel metadata, or order number + email checked against the database.

Rules (see docs/identity.md):
- A channel that knows the shopper passes ``{"customer_id": ..., "customer_token": ...}`` in the
  message metadata; the token is ``hmac_sha256(IDENTITY_SECRET, customer_id)``; unsigned or
  badly signed metadata, or any metadata when no secret is configured, is ignored.
- Otherwise the shopper gives an order number and the email on that order; both must match.
  A failed check says nothing about which part was wrong or whether the order exists.
- After ``MAX_VERIFICATION_ATTEMPTS`` failures the conversation stops asking (counted in the
  database, so a ``/restart`` does not reset it).
"""

from __future__ import annotations

import hashlib
import hmac
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.store.models import Customer, Order, VerificationFailure, utcnow

MAX_VERIFICATION_ATTEMPTS = 3
ORDER_NUMBER_RE = re.compile(r"(?<![0-9])([0-9]{6})(?![0-9])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}")  # use fullmatch
CUSTOMER_ID_RE = re.compile(r"C-[0-9]{1,10}")  # use fullmatch: `$` would accept a trailing newline


def parse_order_number(value: object) -> int | None:
    """The 6-digit order number in ``value`` (int or text), or None if there is not exactly one."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 100000 <= value <= 999999 else None
    if not isinstance(value, str):
        return None
    found = set(ORDER_NUMBER_RE.findall(value.replace("#", " ")))
    return parse_order_number(int(found.pop())) if len(found) == 1 else None


def normalise_email(value: object) -> str | None:
    """Lower-cased, trimmed email if ``value`` looks like one, else None."""
    if not isinstance(value, str):
        return None
    email = value.strip().strip("<>.,;").lower()
    return email if EMAIL_RE.fullmatch(email) else None


def sign_customer_id(secret: str, customer_id: str) -> str:
    """The token a trusted channel sends with ``customer_id``."""
    return hmac.new(secret.encode(), customer_id.encode(), hashlib.sha256).hexdigest()


def customer_from_metadata(metadata: object, secret: str = "") -> str | None:
    """The customer id a trusted channel put in the message metadata, or None.

    The metadata must carry ``customer_token`` = HMAC-SHA256(secret, customer_id); without a
    secret nothing is trusted (the shopper is anonymous and verifies with order number and email).
    """
    if not isinstance(metadata, dict) or not secret:
        return None
    customer_id = metadata.get("customer_id")
    if not isinstance(customer_id, str) or not CUSTOMER_ID_RE.fullmatch(customer_id):
        return None
    token = metadata.get("customer_token")
    if not isinstance(token, str) or not hmac.compare_digest(token.encode(), sign_customer_id(secret, customer_id).encode()):
        return None
    return customer_id


def customer_exists(session: Session, customer_id: str) -> bool:
    return session.get(Customer, customer_id) is not None


def verify_order_email(session: Session, order_number: int, email: str) -> str | None:
    """The customer id if ``email`` is the email on order ``order_number``; None for any mismatch."""
    stmt = (
        select(Customer.id)
        .join(Order, Order.customer_id == Customer.id)
        .where(Order.id == order_number, Customer.email == email.lower())
    )
    return session.execute(stmt).scalar_one_or_none()


def failed_attempts(session: Session, sender_id: str) -> int:
    row = session.execute(select(VerificationFailure).where(VerificationFailure.sender_id == sender_id)).scalar_one_or_none()
    return row.failures if row else 0


def record_failed_attempt(session: Session, sender_id: str) -> int:
    """Count one more failed check for this conversation; returns the new total."""
    row = session.execute(
        select(VerificationFailure).where(VerificationFailure.sender_id == sender_id).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        row = VerificationFailure(sender_id=sender_id, failures=0)
        session.add(row)
    row.failures += 1
    row.last_failure_at = utcnow()
    session.flush()
    return row.failures


def is_locked_out(session: Session, sender_id: str) -> bool:
    return failed_attempts(session, sender_id) >= MAX_VERIFICATION_ATTEMPTS
