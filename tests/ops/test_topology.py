"""The generated production configs: Rasa builds our stores and broker from endpoints.yml; nginx accepts its config."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from pathlib import Path

import pika
import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.core.brokers.pika import PikaEventBroker
from rasa.core.lock_store import LockStore
from rasa.core.tracker_store import TrackerStore
from rasa.core.utils import AvailableEndpoints
from rasa.shared.core.domain import Domain

from ops.databases import drop_database, ensure_database
from ops.run_prod import find_nginx
from ops.topology import ProdOptions, endpoints_yaml, nginx_conf
from services.prod_broker import ReconnectingPikaEventBroker
from services.prod_stores import ResilientSQLTrackerStore, RetryingRedisLockStore


def options(tmp_path: Path, **overrides: object) -> ProdOptions:
    return ProdOptions(runtime_dir=tmp_path, redis_port=6379, tracker_db=f"assistant_test_{uuid.uuid4().hex[:8]}",
                       event_queue=f"assistant_test_{uuid.uuid4().hex[:8]}", **overrides)  # type: ignore[arg-type]


def test_rasa_builds_the_shared_stores_and_broker_from_the_endpoints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    o = options(tmp_path)
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "secret-token")
    o.endpoints_path.write_text(endpoints_yaml(o))
    endpoints = AvailableEndpoints.read_endpoints(str(o.endpoints_path))
    assert endpoints.action.url == f"http://127.0.0.1:{o.actions_lb_port}/webhook"
    assert endpoints.action.headers == {"Authorization": "Bearer secret-token"}  # from the environment, not the file
    assert "secret-token" not in o.endpoints_path.read_text()

    lock_store = LockStore.create(endpoints.lock_store)
    assert isinstance(lock_store, RetryingRedisLockStore)
    assert lock_store.red.connection_pool.connection_kwargs["port"] == o.redis_port and lock_store.key_prefix == "assistant:lock:"

    ensure_database(o, o.tracker_db)
    try:
        tracker_store = TrackerStore.create(endpoints.tracker_store, Domain.empty())
        inner = getattr(tracker_store, "_tracker_store", tracker_store)
        assert isinstance(inner, ResilientSQLTrackerStore)
        assert inner.engine.url.database == o.tracker_db and inner.engine.pool._pre_ping
    finally:
        drop_database(o, o.tracker_db)

    async def broker() -> EventBroker | None:
        made = await EventBroker.create(endpoints.event_broker)
        if made is not None:
            await made.close()
        return made

    try:
        made = asyncio.run(broker())
        assert isinstance(made, ReconnectingPikaEventBroker) and isinstance(made, PikaEventBroker) and made.queues == [o.event_queue]
    finally:
        connection = pika.BlockingConnection(pika.ConnectionParameters(o.rabbit_host, o.rabbit_port,
                                                                       credentials=pika.PlainCredentials("guest", "guest")))
        connection.channel().queue_delete(o.event_queue)
        connection.close()


def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    o = options(tmp_path, rasa_instances=3, action_servers=2)
    for sub in ("logs", "nginx_tmp"):
        (tmp_path / sub).mkdir()
    o.nginx_conf_path.write_text(nginx_conf(o))
    text = o.nginx_conf_path.read_text()
    assert text.count(f"server 127.0.0.1:{o.rasa_base_port + 2} ") == 2  # least_conn and sticky upstreams
    assert "ip_hash;" in text and "proxy_set_header Upgrade $http_upgrade;" in text
    nginx = find_nginx()
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(o.nginx_conf_path), "-e", str(tmp_path / "logs" / "e.log")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_switches_parse_as_switches() -> None:
    from ops.run_prod import parse_options

    assert parse_options([]).event_spool is False
    assert parse_options(["--event-spool"]).event_spool is True
    assert parse_options(["--no-event-spool", "--rasa-instances", "3"]).rasa_instances == 3
