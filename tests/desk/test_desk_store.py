"""The desk's tables on both backends: migration 0005, accounts, sessions, queues, corrections."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, MetaData, String, delete, inspect, select

from demo_site.desk import models as desk_models
from demo_site.desk.accounts import (
    DEMO_USERNAME,
    LOCK_MINUTES,
    MAX_FAILED_LOGINS,
    authenticate,
    create_agent,
    ensure_demo_agent,
    set_password,
)
from demo_site.desk.conversation import Turn
from demo_site.desk.corrections import corrected_labels, correction_view, latest_corrections, record_correction
from demo_site.desk.queue import can_see, load_queues
from demo_site.desk.sessions import current_session, end_session, start_session, token_hash
from services.store.db import make_engine
from services.store.migrate import downgrade, upgrade
from services.store.models import Ticket
from tests.conftest import open_session

DESK_TABLES = {"agents", "agent_sessions", "emotion_corrections"}
NOW = dt.datetime(2026, 11, 22, 12, 0, 0)
HOUR = dt.timedelta(hours=1)
PASSWORD = "a long enough password"


@pytest.fixture()
def url(db_url: str) -> str:
    upgrade(db_url)
    return db_url


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migration_0005_creates_and_drops_the_desk_tables(db_url: str) -> None:
    upgrade(db_url)
    assert DESK_TABLES <= tables(db_url)
    downgrade(db_url, "0003")
    assert not DESK_TABLES & tables(db_url) and "tickets" in tables(db_url)
    upgrade(db_url)
    assert DESK_TABLES <= tables(db_url)


def desk_differences(url: str, metadata: MetaData) -> list:
    """Alembic's diff between ``metadata`` and the migrated database, restricted to the desk's tables."""

    def ours(obj, name, type_, reflected, compare_to) -> bool:  # noqa: ANN001
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table in DESK_TABLES

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True, "include_object": ours}), metadata)
    finally:
        engine.dispose()


def test_desk_models_match_the_migration(url: str) -> None:
    assert desk_differences(url, desk_models.Base.metadata) == []
    altered = MetaData()
    for table in desk_models.Base.metadata.sorted_tables:
        table.to_metadata(altered)
    altered.tables["agents"].append_column(Column("nickname", String(40), nullable=True))
    assert [d[0] for d in desk_differences(url, altered)] == ["add_column"]  # the comparison does see a change


def test_agents_authenticate_and_lock_after_repeated_failures(url: str) -> None:
    with open_session(url) as s:
        dana = create_agent(s, "dana", PASSWORD, "agent", "Dana")
        with pytest.raises(ValueError, match="already exists"):
            create_agent(s, "dana", PASSWORD)
        with pytest.raises(ValueError, match="username"):
            create_agent(s, "Robert'); DROP TABLE agents;--", PASSWORD)
        with pytest.raises(ValueError, match="role"):
            create_agent(s, "eve", PASSWORD, "admin")
    with open_session(url) as s:
        assert authenticate(s, "dana", PASSWORD, NOW) == dana
        assert authenticate(s, "dana", "wrong password!", NOW) is None
        assert authenticate(s, "nobody", PASSWORD, NOW) is None
        stored = s.execute(select(desk_models.Agent.password_hash).where(desk_models.Agent.username == "dana")).scalar_one()
        assert PASSWORD not in stored and stored.startswith("scrypt$")
    with open_session(url) as s:
        for _ in range(MAX_FAILED_LOGINS):
            assert authenticate(s, "dana", "wrong password!", NOW) is None
    with open_session(url) as s:
        assert authenticate(s, "dana", PASSWORD, NOW) is None  # locked, even with the right password
        assert authenticate(s, "dana", PASSWORD, NOW + dt.timedelta(minutes=LOCK_MINUTES, seconds=1)) == dana
    with open_session(url) as s:
        set_password(s, "dana", "another long password")
        assert authenticate(s, "dana", PASSWORD, NOW + HOUR) is None
        assert authenticate(s, "dana", "another long password", NOW + HOUR) == dana


def test_demo_agent_is_senior_and_keeps_the_configured_password(url: str) -> None:
    with open_session(url) as s:
        agent, generated = ensure_demo_agent(s, None)
        assert agent.username == DEMO_USERNAME and agent.is_senior and generated and len(generated) >= 12
    with open_session(url) as s:
        assert authenticate(s, DEMO_USERNAME, generated, NOW) is not None
        assert ensure_demo_agent(s, None)[1] is None  # an existing agent's password is not printed again
    with open_session(url) as s:
        ensure_demo_agent(s, "from DESK_DEMO_PASSWORD")
    with open_session(url) as s:
        assert authenticate(s, DEMO_USERNAME, "from DESK_DEMO_PASSWORD", NOW) is not None
        assert authenticate(s, DEMO_USERNAME, generated, NOW) is None


def test_sessions_expire_idle_out_and_can_be_revoked(url: str) -> None:
    with open_session(url) as s:
        agent = create_agent(s, "sam", PASSWORD)
        cookie, started = start_session(s, agent, dt.timedelta(hours=8), NOW)
    idle = dt.timedelta(minutes=60)
    with open_session(url) as s:
        assert current_session(s, cookie, idle, NOW + dt.timedelta(minutes=30)) == started
        stored = s.execute(select(desk_models.AgentSession.token_hash)).scalar_one()
        assert stored == token_hash(cookie) and cookie not in stored
        assert current_session(s, stored, idle, NOW) is None  # the database's value is not a cookie
        assert current_session(s, cookie + "x", idle, NOW) is None and current_session(s, "", idle, NOW) is None
        assert current_session(s, "x" * 10_000, idle, NOW) is None
    with open_session(url) as s:
        assert current_session(s, cookie, idle, NOW + dt.timedelta(minutes=85)) is not None  # touched at +30 min
        assert current_session(s, cookie, idle, NOW + dt.timedelta(hours=3)) is None  # idle for more than an hour
        assert current_session(s, cookie, dt.timedelta(days=1), NOW + dt.timedelta(hours=9)) is None  # past its lifetime
    with open_session(url) as s:
        assert end_session(s, cookie, NOW + HOUR) and not end_session(s, cookie, NOW + HOUR)
    with open_session(url) as s:
        assert current_session(s, cookie, idle, NOW + HOUR) is None
        other, _ = start_session(s, agent, dt.timedelta(hours=8), NOW)
        s.execute(select(desk_models.Agent).where(desk_models.Agent.id == agent.id)).scalar_one().active = False
    with open_session(url) as s:
        assert current_session(s, other, idle, NOW) is None  # a deactivated agent's sessions stop working


def add_ticket(s, reason: str, history: list[dict], minutes_ago: float, transcript: list[dict] | None = None, status: str = "open") -> int:
    ticket = Ticket(sender_id=f"s-{uuid.uuid4().hex}", reason=reason, emotion_history=history, status=status,
                    transcript=transcript or [{"role": "user", "text": "help"}], created_at=NOW - dt.timedelta(minutes=minutes_ago))
    s.add(ticket)
    s.flush()
    return ticket.id


def test_queues_order_by_urgency_and_keep_anger_for_seniors(url: str) -> None:
    with open_session(url) as s:
        s.execute(delete(Ticket))
        calm_old = add_ticket(s, "requested", [{"label": "neutral", "confidence": 0.9}], 180)
        frustrated = add_ticket(s, "sustained_frustration", [{"label": "frustrated", "confidence": 0.9}], 5)
        confused = add_ticket(s, "nlu_failures", [{"label": "confused", "confidence": 0.9}], 1)
        angry = add_ticket(s, "angry_unresolved", [{"label": "angry", "confidence": 0.95}], 2)
        threat = add_ticket(s, "requested", [{"label": "neutral", "confidence": 0.9}], 1,
                            [{"role": "user", "text": "I'm calling my lawyer"}])
        add_ticket(s, "requested", [{"label": "angry", "confidence": 0.99}], 500, status="resolved")
        senior = create_agent(s, "senior-sue", PASSWORD, "senior")
        junior = create_agent(s, "junior-jo", PASSWORD, "agent")
    with open_session(url) as s:
        for_senior = load_queues(s, senior, NOW)
        for_junior = load_queues(s, junior, NOW)
        assert [i.ticket_id for i in for_senior.senior] == [angry, threat]
        assert [i.ticket_id for i in for_senior.general] == [frustrated, calm_old, confused]
        assert for_junior.senior == [] and [i.ticket_id for i in for_junior.general] == [frustrated, calm_old, confused]
        assert for_senior.general[1].waited_minutes == 180
        assert not can_see(junior, s.get(Ticket, angry)) and can_see(senior, s.get(Ticket, angry))
        assert can_see(junior, s.get(Ticket, frustrated))


def test_corrections_are_kept_and_the_latest_per_turn_wins(url: str) -> None:
    with open_session(url) as s:
        agent = create_agent(s, "corrector", PASSWORD)
        ticket_id = add_ticket(s, "requested", [], 1)
        turn = Turn("shopper", "well that's just great", 1700000000.25, 2, "satisfied", 0.71)
        first = record_correction(s, agent, "conv-1", turn, "frustrated", ticket_id)
        second = record_correction(s, agent, "conv-1", turn, "angry", ticket_id)
        record_correction(s, agent, "conv-1", Turn("shopper", "ok", None, 0, None, None), "neutral", ticket_id)
        with pytest.raises(ValueError, match="unknown emotion"):
            record_correction(s, agent, "conv-1", turn, "furious")
        with pytest.raises(ValueError, match="shopper"):
            record_correction(s, agent, "conv-1", Turn("bot", "hi"), "neutral")
    with open_session(url) as s:
        latest = latest_corrections(s)
        assert [(c.turn_index, c.corrected_label, c.model_label) for c in latest] == [(2, "angry", "satisfied"), (0, "neutral", "unknown")]
        assert latest[0].id == second > first and latest[0].agent == "corrector" and latest[0].text == "well that's just great"
        assert latest[0].event_timestamp == 1700000000.25 and latest[0].model_confidence == 0.71 and latest[0].ticket_id == ticket_id
        assert corrected_labels(s, "conv-1") == {2: "angry", 0: "neutral"}
        assert correction_view(s, second) == latest[0] and correction_view(s, first).corrected_label == "frustrated"
        with pytest.raises(LookupError, match="no emotion correction"):
            correction_view(s, second + 100)
        s.execute(delete(Ticket).where(Ticket.id == ticket_id))  # `make reseed` drops tickets: corrections stay
    with open_session(url) as s:
        assert {c.ticket_id for c in latest_corrections(s)} == {None}
