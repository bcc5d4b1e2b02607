"""The production topology's options and the configuration files generated from them.

Rasa's own architecture on one machine: nginx in front of N Rasa servers (REST, socket.io, HTTP API)
and, on a loopback-only port, in front of M action servers; a PostgreSQL SQL tracker store, a Redis
lock store and a RabbitMQ (pika) event broker shared by every Rasa server, so any of them can carry
on any conversation. Everything here is text: no process is started (``ops.run_prod`` does that).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from services.settings import PROJECT_ROOT

TRACKER_STORE_CLASS = "services.prod_stores.ResilientSQLTrackerStore"
LOCK_STORE_CLASS = "services.prod_stores.RetryingRedisLockStore"
BROKER_CLASS = "services.prod_broker.ReconnectingPikaEventBroker"


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


@dataclass(frozen=True)
class ProdOptions:
    """Ports, counts and servers of ``make run-prod`` (each can be set from the environment)."""

    runtime_dir: Path = field(default_factory=lambda: Path(_env("PROD_RUNTIME_DIR", str(PROJECT_ROOT / "runtime" / "prod"))),
                              metadata={"help": "where generated configs, logs, pids and the private Redis live"})
    model: Path = field(default_factory=lambda: Path(_env("PROD_MODEL", str(PROJECT_ROOT / "models" / "assistant.tar.gz"))),
                        metadata={"help": "the trained Rasa model every Rasa server loads"})
    public_port: int = field(default_factory=lambda: int(_env("PROD_PORT", "5080")),
                             metadata={"help": "nginx: REST, socket.io and the HTTP API"})
    rasa_instances: int = field(default_factory=lambda: int(_env("PROD_RASA_INSTANCES", "2")), metadata={"help": "Rasa servers"})
    rasa_base_port: int = field(default_factory=lambda: int(_env("PROD_RASA_BASE_PORT", "5081")),
                                metadata={"help": "first Rasa server's port (loopback); the others follow"})
    action_servers: int = field(default_factory=lambda: int(_env("PROD_ACTION_SERVERS", "2")), metadata={"help": "action servers"})
    actions_lb_port: int = field(default_factory=lambda: int(_env("PROD_ACTIONS_LB_PORT", "5090")),
                                 metadata={"help": "nginx's loopback port in front of the action servers (Rasa's action_endpoint)"})
    actions_base_port: int = field(default_factory=lambda: int(_env("PROD_ACTIONS_BASE_PORT", "5091")),
                                   metadata={"help": "first action server's port (loopback); the others follow"})
    redis_port: int = field(default_factory=lambda: int(_env("PROD_REDIS_PORT", "6390")),
                            metadata={"help": "private redis-server started for the lock store (not the machine's 6379)"})
    pg_host: str = field(default_factory=lambda: _env("PROD_PG_HOST", "127.0.0.1"), metadata={"help": "PostgreSQL host"})
    pg_port: int = field(default_factory=lambda: int(_env("PROD_PG_PORT", "5432")), metadata={"help": "PostgreSQL port"})
    pg_user: str = field(default_factory=lambda: _env("PROD_PG_USER", "postgres"), metadata={"help": "PostgreSQL user (trust auth)"})
    tracker_db: str = field(default_factory=lambda: _env("PROD_TRACKER_DB", "assistant_prod"),
                            metadata={"help": "database of the SQL tracker store (created when missing)"})
    store_db: str = field(default_factory=lambda: _env("PROD_STORE_DB", "assistant_prod_store"),
                          metadata={"help": "database of the order store (created, migrated and seeded when missing)"})
    rabbit_host: str = field(default_factory=lambda: _env("PROD_RABBIT_HOST", "127.0.0.1"), metadata={"help": "RabbitMQ host"})
    rabbit_port: int = field(default_factory=lambda: int(_env("PROD_RABBIT_PORT", "5672")), metadata={"help": "RabbitMQ port"})
    rabbit_user: str = field(default_factory=lambda: _env("PROD_RABBIT_USER", "guest"), metadata={"help": "RabbitMQ user"})
    rabbit_password: str = field(default_factory=lambda: _env("PROD_RABBIT_PASSWORD", "guest"), metadata={"help": "RabbitMQ password"})
    event_queue: str = field(default_factory=lambda: _env("PROD_EVENT_QUEUE", "assistant_events"),
                             metadata={"help": "durable queue the pika broker publishes every tracker event to"})
    event_broker_type: str = field(default_factory=lambda: _env("PROD_EVENT_BROKER_TYPE", BROKER_CLASS),
                                   metadata={"help": "event_broker type: a module path to a subclass of Rasa's PikaEventBroker, or pika"})
    event_spool: bool = field(default_factory=lambda: _env("PROD_EVENT_SPOOL", "0") == "1",
                              metadata={"help": "each Rasa server keeps unconfirmed broker events in a SQLite spool (off: in a kill -9 "
                                                "fault run, 4 of 400 messages then hung for 300 s; docs/results.md)"})
    lock_lifetime_s: int = field(default_factory=lambda: int(_env("TICKET_LOCK_LIFETIME", "20")),
                                 metadata={"help": "Rasa's conversation lock lifetime: how long a killed instance's lock can hold a conversation"})
    site_origin: str = field(default_factory=lambda: _env("SITE_ORIGIN", "http://localhost:8080"),
                             metadata={"help": "the only CORS origin of the Rasa servers"})

    @property
    def rasa_ports(self) -> list[int]:
        return [self.rasa_base_port + i for i in range(self.rasa_instances)]

    @property
    def action_ports(self) -> list[int]:
        return [self.actions_base_port + i for i in range(self.action_servers)]

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.public_port}"

    @property
    def store_database_url(self) -> str:
        return f"postgresql+psycopg2://{self.pg_user}@{self.pg_host}:{self.pg_port}/{self.store_db}"

    @property
    def tracker_database_url(self) -> str:
        return f"postgresql+psycopg2://{self.pg_user}@{self.pg_host}:{self.pg_port}/{self.tracker_db}"

    @property
    def endpoints_path(self) -> Path:
        return self.runtime_dir / "endpoints.yml"

    @property
    def nginx_conf_path(self) -> Path:
        return self.runtime_dir / "nginx.conf"

    @property
    def logs_dir(self) -> Path:
        return self.runtime_dir / "logs"


def endpoints_yaml(options: ProdOptions) -> str:
    """endpoints.yml of every Rasa server: actions through nginx, shared tracker store, lock store and broker.

    The action server token stays a ``${ACTION_SERVER_TOKEN}`` reference (Rasa expands it from the
    environment), so no secret is written to disk.
    """
    o = options
    return f"""# Generated by ops/run_prod.py for `make run-prod`; edit ops/topology.py instead.
action_endpoint:
  url: "http://127.0.0.1:{o.actions_lb_port}/webhook"
  headers:
    Authorization: Bearer ${{ACTION_SERVER_TOKEN}}
tracker_store:
  type: {TRACKER_STORE_CLASS}
  dialect: postgresql
  url: {o.pg_host}
  port: {o.pg_port}
  db: {o.tracker_db}
  username: {o.pg_user}
lock_store:
  type: {LOCK_STORE_CLASS}
  url: 127.0.0.1
  port: {o.redis_port}
  db: 1
  key_prefix: assistant
event_broker:
  type: {o.event_broker_type}
  url: {o.rabbit_host}
  port: {o.rabbit_port}
  username: {o.rabbit_user}
  password: {o.rabbit_password}
  queues:
    - {o.event_queue}
"""


def nginx_conf(options: ProdOptions) -> str:
    """nginx.conf for ``nginx -p <runtime_dir> -c nginx.conf`` in the foreground.

    - ``/socket.io/`` is sticky (``ip_hash``: engine.io's polling requests must reach the server that
      holds the session) and upgrades to WebSocket;
    - everything else (REST, HTTP API) goes to the least busy Rasa server: state lives in the shared
      stores, so no stickiness is needed; a request whose server dies before answering is passed to
      the next one (``non_idempotent``: the dead server had not saved the tracker yet);
    - a *slow* answer is waited for, never retried elsewhere and never counted against the server:
      under overload a retry doubles the work and a server marked down sends every request to
      "no live upstreams" (the 502s of the first 1,000-conversation run, docs/results.md);
    - the action servers sit behind a loopback-only port; a refused connection moves on to the next
      server, but an action that was sent is never run twice.
    """
    o = options
    rasa = "\n".join(f"    server 127.0.0.1:{p} max_fails=3 fail_timeout=5s;" for p in o.rasa_ports)
    actions = "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;" for p in o.action_ports)
    tmp = o.runtime_dir / "nginx_tmp"
    return f"""# Generated by ops/run_prod.py for `make run-prod`; edit ops/topology.py instead.
daemon off;
worker_processes 1;
pid {o.runtime_dir / "nginx.pid"};
error_log {o.logs_dir / "nginx_error.log"} warn;
events {{ worker_connections 8192; }}
http {{
  access_log {o.logs_dir / "nginx_access.log"} combined buffer=64k flush=2s;
  client_body_temp_path {tmp / "body"};
  proxy_temp_path {tmp / "proxy"};
  fastcgi_temp_path {tmp / "fastcgi"};
  uwsgi_temp_path {tmp / "uwsgi"};
  scgi_temp_path {tmp / "scgi"};
  # Workers run unprivileged and may not reach the runtime directory: keep bodies and responses in
  # memory (Rasa posts the whole tracker to the action server, often more than nginx's 16k default).
  client_max_body_size 1m;
  client_body_buffer_size 1m;
  proxy_max_temp_file_size 0;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}

  upstream rasa {{
    least_conn;
{rasa}
    keepalive 64;
  }}
  upstream rasa_sticky {{
    ip_hash;
{rasa}
  }}
  upstream actions {{
{actions}
    keepalive 32;
  }}

  server {{
    listen 127.0.0.1:{o.public_port};
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    # A dead server refuses at once; a busy one accepts late (its backlog is SANIC_BACKLOG).
    proxy_connect_timeout 30s;
    proxy_send_timeout 600s;
    proxy_read_timeout 600s;
    proxy_next_upstream error non_idempotent;
    proxy_next_upstream_tries 2;

    location /socket.io/ {{
      proxy_pass http://rasa_sticky;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_buffering off;
      proxy_read_timeout 3600s;
    }}
    location / {{
      proxy_pass http://rasa;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}

  server {{
    listen 127.0.0.1:{o.actions_lb_port};
    client_max_body_size 32m;  # the tracker of a long conversation
    client_body_buffer_size 32m;
    location / {{
      proxy_pass http://actions;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_connect_timeout 2s;
      proxy_read_timeout 60s;
      proxy_next_upstream error timeout;
      proxy_next_upstream_tries {max(1, o.action_servers)};
    }}
  }}
}}
"""
