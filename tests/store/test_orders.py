"""Order queries and changes, scoped to the customer they act for (both backends, seeded data).

The module shares one seeded database per backend, so every test that changes data uses
orders no other test here relies on: 100235 for the address change, a generated placed
order for the cancellation, 100240 for the return.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select

from services.store import models as m
from services.store.orders import (
    MAX_ADDRESS_LENGTH,
    RETURN_WINDOW_DAYS,
    Outcome,
    cancel_order,
    change_address,
    create_return,
    get_order,
    recent_orders,
)
from tests.conftest import TODAY, dump_tables, open_session

ALICE, BOB, CARLA = "C-1001", "C-1002", "C-1003"


def order_row(url: str, number: int) -> dict:
    """The order's stored columns plus its shipment and returns, read in a new session."""
    with open_session(url) as session:
        order = session.get(m.Order, number)
        assert order is not None
        row = {c.name: getattr(order, c.name) for c in m.Order.__table__.columns}
        row["shipment"] = (order.shipment.status, order.shipment.delivered_at) if order.shipment else None
        row["returns"] = [(r.rma_code, r.status) for r in order.returns]
        return row


# --- reading ----------------------------------------------------------------------------------------


def test_get_order_for_its_owner(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        view = get_order(session, ALICE, 100234)
    assert view is not None
    assert (view.number, view.status, view.carrier) == (100234, "shipped", "UPS")
    assert view.items == (("Auralis Pulse Wireless Headphones", 1),)
    assert view.total == order_row(seeded_url, 100234)["total"]
    assert view.shipping_address == "12 Harbour St, Portland, OR 97201"


def test_get_order_hides_other_customers_orders_like_missing_ones(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        someone_elses = get_order(session, BOB, 100234)
        missing = get_order(session, BOB, 999999)
        own = get_order(session, BOB, 100240)
    assert someone_elses is None and missing is None
    assert own is not None and own.number == 100240


def test_recent_orders_newest_first(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        alice = recent_orders(session, ALICE)
        bob_one = recent_orders(session, BOB, limit=1)
    assert [o.number for o in alice] == [100235, 100234]
    assert [o.number for o in bob_one] == [100240]


def test_recent_orders_limit_on_a_busy_customer(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        rows = session.execute(select(m.Order.customer_id, m.Order.id, m.Order.placed_at)).all()
        by_customer: dict[str, list[tuple[dt.datetime, int]]] = {}
        for customer, number, placed in rows:
            by_customer.setdefault(customer, []).append((placed, number))
        customer = max(sorted(by_customer), key=lambda c: len(by_customer[c]))
        assert len(by_customer[customer]) >= 6
        got = recent_orders(session, customer, limit=4)
        default = recent_orders(session, customer)
    expected = [number for _, number in sorted(by_customer[customer], reverse=True)]
    assert [o.number for o in got] == expected[:4]
    assert [o.number for o in default] == expected[:3]
    assert all(a.placed_at >= b.placed_at for a, b in zip(got, got[1:]))


def test_is_delayed_at_today(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        late = get_order(session, BOB, 100241)
        on_time = get_order(session, ALICE, 100234)
    assert late is not None and on_time is not None
    assert late.is_delayed(TODAY)
    assert not late.is_delayed(late.promised_date)  # not late on the promised day itself
    assert late.is_delayed(late.promised_date + dt.timedelta(days=1))
    assert not on_time.is_delayed(TODAY)


# --- cancelling -------------------------------------------------------------------------------------


def generated_placed_order(url: str) -> tuple[int, str]:
    with open_session(url) as session:
        row = session.execute(
            select(m.Order.id, m.Order.customer_id)
            .where(m.Order.status == "placed", m.Order.id >= 200000)
            .order_by(m.Order.id)
            .limit(1)
        ).one()
    return row[0], row[1]


def test_cancel_placed_order(seeded_url: str) -> None:
    number, owner = generated_placed_order(seeded_url)
    before = order_row(seeded_url, number)
    assert (before["status"], before["payment_status"], before["cancelled_at"]) == ("placed", "paid", None)

    with open_session(seeded_url) as session:
        assert cancel_order(session, owner, number) is Outcome.DONE

    after = order_row(seeded_url, number)
    assert (after["status"], after["payment_status"]) == ("cancelled", "refunded")
    assert after["cancelled_at"] is not None and after["refunded_at"] == after["cancelled_at"]
    assert after["shipping_address"] == before["shipping_address"] and after["total"] == before["total"]
    with open_session(seeded_url) as session:
        assert cancel_order(session, owner, number) is Outcome.ALREADY_CANCELLED
    assert order_row(seeded_url, number) == after


def test_cancel_shipped_order_is_refused(seeded_url: str) -> None:
    before = order_row(seeded_url, 100234)
    with open_session(seeded_url) as session:
        assert cancel_order(session, ALICE, 100234) is Outcome.ALREADY_SHIPPED
    assert order_row(seeded_url, 100234) == before


def test_cancel_someone_elses_order_is_not_found(seeded_url: str) -> None:
    before = order_row(seeded_url, 100235)
    assert before["status"] == "placed"
    with open_session(seeded_url) as session:
        assert cancel_order(session, BOB, 100235) is Outcome.NOT_FOUND
        assert cancel_order(session, BOB, 999999) is Outcome.NOT_FOUND
    assert order_row(seeded_url, 100235) == before


def test_cancel_already_cancelled(seeded_url: str) -> None:
    before = order_row(seeded_url, 100250)
    with open_session(seeded_url) as session:
        assert cancel_order(session, CARLA, 100250) is Outcome.ALREADY_CANCELLED
    assert order_row(seeded_url, 100250) == before


# --- returns ----------------------------------------------------------------------------------------


def test_return_delivered_order_once(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        outcome, rma = create_return(session, BOB, 100240, TODAY, reason="too small")
    assert outcome is Outcome.DONE and rma

    with open_session(seeded_url) as session:
        stored = session.execute(select(m.ReturnRequest).where(m.ReturnRequest.order_id == 100240)).scalars().all()
        total = session.get(m.Order, 100240).total
    assert [(r.rma_code, r.status, r.reason, r.refund_amount) for r in stored] == [(rma, "requested", "too small", total)]
    assert order_row(seeded_url, 100240)["returns"] == [(rma, "requested")]

    with open_session(seeded_url) as session:
        assert create_return(session, BOB, 100240, TODAY) == (Outcome.ALREADY_RETURNED, None)
        assert get_order(session, BOB, 100240).has_return
    with open_session(seeded_url) as session:
        assert len(session.execute(select(m.ReturnRequest.id).where(m.ReturnRequest.order_id == 100240)).all()) == 1


def test_return_of_shipped_order_is_not_delivered(seeded_url: str) -> None:
    before = dump_tables(seeded_url, ("returns",))
    with open_session(seeded_url) as session:
        assert create_return(session, ALICE, 100234, TODAY) == (Outcome.NOT_DELIVERED, None)
        assert create_return(session, ALICE, 100235, TODAY) == (Outcome.NOT_DELIVERED, None)
        assert create_return(session, ALICE, 100240, TODAY) == (Outcome.NOT_FOUND, None)  # Bob's order
    assert dump_tables(seeded_url, ("returns",)) == before


def test_return_window_closed(seeded_url: str) -> None:
    cutoff = dt.datetime.combine(TODAY - dt.timedelta(days=RETURN_WINDOW_DAYS + 1), dt.time())
    with open_session(seeded_url) as session:
        order = session.execute(
            select(m.Order)
            .join(m.Shipment, m.Shipment.order_id == m.Order.id)
            .where(m.Order.status == "delivered", m.Shipment.delivered_at < cutoff)
            .order_by(m.Order.id)
            .limit(1)
        ).scalar_one()
        number, owner = order.id, order.customer_id
        assert order.returns == []
    before = dump_tables(seeded_url, ("returns",))
    with open_session(seeded_url) as session:
        assert create_return(session, owner, number, TODAY) == (Outcome.WINDOW_CLOSED, None)
    assert dump_tables(seeded_url, ("returns",)) == before


def test_return_window_edges(seeded_url: str) -> None:
    """The window is inclusive: the 30th day after delivery still counts, the 31st does not."""
    with open_session(seeded_url) as session:
        view = get_order(session, BOB, 100240)
    assert view is not None and view.delivered_at is not None
    delivered = view.delivered_at.date()
    view = dataclasses.replace(view, has_return=False)  # 100240 may already have its return from another test
    assert view.is_returnable(delivered + dt.timedelta(days=RETURN_WINDOW_DAYS))
    assert not view.is_returnable(delivered + dt.timedelta(days=RETURN_WINDOW_DAYS + 1))


# --- address changes --------------------------------------------------------------------------------


def test_change_address_validation_writes_nothing(seeded_url: str) -> None:
    before = order_row(seeded_url, 100235)
    for address in ("1 A St", "Harbour Street, Portland", "9 " + "x" * MAX_ADDRESS_LENGTH, "   ", ""):
        with open_session(seeded_url) as session:
            assert change_address(session, ALICE, 100235, address) is Outcome.INVALID_ADDRESS, address
    assert order_row(seeded_url, 100235) == before


def test_change_address_refused_after_shipping_or_for_others(seeded_url: str) -> None:
    shipped, alices = order_row(seeded_url, 100234), order_row(seeded_url, 100235)
    with open_session(seeded_url) as session:
        assert change_address(session, ALICE, 100234, "99 New Road, Austin, TX 78701") is Outcome.ALREADY_SHIPPED
        assert change_address(session, BOB, 100235, "99 New Road, Austin, TX 78701") is Outcome.NOT_FOUND
        assert change_address(session, CARLA, 100250, "99 New Road, Austin, TX 78701") is Outcome.ALREADY_CANCELLED
    assert order_row(seeded_url, 100234) == shipped
    assert order_row(seeded_url, 100235) == alices


def test_change_address_of_placed_order(seeded_url: str) -> None:
    with open_session(seeded_url) as session:
        assert change_address(session, ALICE, 100235, "  221  Baker St,\n Boston, MA 02108 ") is Outcome.DONE
    assert order_row(seeded_url, 100235)["shipping_address"] == "221 Baker St, Boston, MA 02108"
    longest = "1" + "x" * (MAX_ADDRESS_LENGTH - 1)
    with open_session(seeded_url) as session:
        assert change_address(session, ALICE, 100235, longest) is Outcome.DONE
    assert order_row(seeded_url, 100235)["shipping_address"] == longest
    # Alice's other order keeps its address.
    assert order_row(seeded_url, 100234)["shipping_address"] == "12 Harbour St, Portland, OR 97201"
