"""Warranty claims end to end on both backends: the warranty period per category, one open claim, scoping.

The module shares one seeded database per backend; each test moves the delivery date of the
order it uses, so the warranty edges do not depend on the day the data was generated.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from services.store import models as m
from services.store.claims import MAX_DESCRIPTION_LENGTH, create_claim
from services.store.order_rules import Outcome
from services.store.order_view import add_months
from services.store.orders import get_order
from tests.conftest import TODAY, dump_tables, open_session

ALICE, BOB = "C-1001", "C-1002"


def order_in_category(url: str, category: str, skip: int = 0) -> tuple[int, str]:
    """(number, owner) of a generated delivered single-item order of ``category`` without returns or claims."""
    with open_session(url) as session:
        rows = session.execute(
            select(m.Order).where(m.Order.status == "delivered", m.Order.id >= 200000).order_by(m.Order.id)
        ).scalars()
        found = [(o.id, o.customer_id) for o in rows
                 if len(o.items) == 1 and o.items[0].product.category == category and not o.returns and not o.claims]
    assert len(found) > skip, f"no generated delivered {category} order"
    return found[skip]


def deliver(url: str, number: int, day: dt.date) -> None:
    """Move the order's delivery to noon on ``day``."""
    with open_session(url) as session:
        session.execute(update(m.Shipment).where(m.Shipment.order_id == number)
                        .values(delivered_at=dt.datetime.combine(day, dt.time(12, 0))))


def claims_of(url: str, number: int) -> list[tuple[str, str, str]]:
    with open_session(url) as session:
        rows = session.execute(select(m.WarrantyClaim).where(m.WarrantyClaim.order_id == number)
                               .order_by(m.WarrantyClaim.id)).scalars()
        return [(c.code, c.status, c.description) for c in rows]


def test_claim_inside_the_warranty_after_the_return_window(seeded_url: str) -> None:
    number, owner = order_in_category(seeded_url, "kitchen")
    deliver(seeded_url, number, TODAY - dt.timedelta(days=200))
    with open_session(seeded_url) as session:
        outcome, code = create_claim(session, owner, number, TODAY, "  the handle\ncracked   after a month ")
    assert (outcome, code) == (Outcome.DONE, f"CLM-{number}-1")
    assert claims_of(seeded_url, number) == [(code, "open", "the handle cracked after a month")]
    with open_session(seeded_url) as session:
        view = get_order(session, owner, number)
        assert view is not None and view.has_open_claim
        assert create_claim(session, owner, number, TODAY, "again") == (Outcome.ALREADY_CLAIMED, None)
    # Once resolved, a new fault can be claimed.
    with open_session(seeded_url) as session:
        session.execute(update(m.WarrantyClaim).where(m.WarrantyClaim.code == code).values(status="resolved"))
    with open_session(seeded_url) as session:
        assert create_claim(session, owner, number, TODAY, "x" * 1000) == (Outcome.DONE, f"CLM-{number}-2")
    assert [(c, s, len(d)) for c, s, d in claims_of(seeded_url, number)] == [
        (code, "resolved", 32), (f"CLM-{number}-2", "open", MAX_DESCRIPTION_LENGTH)]


def test_warranty_period_depends_on_the_category(seeded_url: str) -> None:
    """Kitchen: 12 months, headphones: 24 months; the last day counts."""
    kitchen, kitchen_owner = order_in_category(seeded_url, "kitchen", skip=1)
    headphones, headphones_owner = order_in_category(seeded_url, "headphones")
    thirteen_months_ago = add_months(TODAY, -13)
    deliver(seeded_url, kitchen, thirteen_months_ago)
    deliver(seeded_url, headphones, thirteen_months_ago)
    before = dump_tables(seeded_url, ("warranty_claims",))
    with open_session(seeded_url) as session:
        assert create_claim(session, kitchen_owner, kitchen, TODAY) == (Outcome.WARRANTY_EXPIRED, None)
    assert dump_tables(seeded_url, ("warranty_claims",)) == before
    with open_session(seeded_url) as session:
        assert create_claim(session, headphones_owner, headphones, TODAY)[0] is Outcome.DONE

    edge, edge_owner = order_in_category(seeded_url, "kitchen", skip=2)
    deliver(seeded_url, edge, add_months(TODAY, -12))  # the warranty ends today
    with open_session(seeded_url) as session:
        assert create_claim(session, edge_owner, edge, TODAY + dt.timedelta(days=1)) == (Outcome.WARRANTY_EXPIRED, None)
        assert create_claim(session, edge_owner, edge, TODAY)[0] is Outcome.DONE


def test_claims_are_scoped_and_need_a_delivered_order(seeded_url: str) -> None:
    before = dump_tables(seeded_url, ("warranty_claims",))
    with open_session(seeded_url) as session:
        assert create_claim(session, ALICE, 100240, TODAY) == (Outcome.NOT_FOUND, None)  # Bob's order
        assert create_claim(session, BOB, 999999, TODAY) == (Outcome.NOT_FOUND, None)
        assert create_claim(session, ALICE, 100234, TODAY) == (Outcome.NOT_DELIVERED, None)  # shipped
        assert create_claim(session, ALICE, 100235, TODAY) == (Outcome.NOT_DELIVERED, None)  # placed
        assert create_claim(session, "C-1003", 100250, TODAY) == (Outcome.NOT_DELIVERED, None)  # cancelled
    assert dump_tables(seeded_url, ("warranty_claims",)) == before
    with open_session(seeded_url) as session:
        assert create_claim(session, BOB, 100240, TODAY, "sole came off") == (Outcome.DONE, "CLM-100240-1")
