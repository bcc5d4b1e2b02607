"""``make run-prod``: Rasa's production architecture on one machine, in the foreground; Ctrl-C stops all of it.

    python -m ops.run_prod            # options: --help, or the PROD_* variables of ops/topology.py

- PostgreSQL (the machine's server): SQL tracker store ``assistant_prod`` and the order store
  ``assistant_prod_store`` (both created when missing; the store is migrated and seeded once);
- Redis lock store: a private ``redis-server`` on 127.0.0.1:6390 (so restarting it touches nothing else);
- RabbitMQ event broker (pika, the machine's server, guest/guest), queue ``assistant_events``;
- 2 Rasa servers and 2 action servers behind nginx (Debian's package, installed when missing, run as
  a foreground child with its config in ``runtime/prod/``): REST, socket.io and the HTTP API on
  http://localhost:5080; the action servers behind a loopback-only nginx port.

Secrets come from the environment or ``runtime/secrets.mk`` (generated when missing), as for ``make run``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gzip
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import redis
import yaml

from channels.enabled import credentials as enabled_credentials
from ops.databases import ensure_database
from ops.supervisor import Supervisor, http_ok
from ops.topology import ProdOptions, endpoints_yaml, nginx_conf
from services.event_spool import SPOOL_PATH_ENV
from services.secrets_file import SECRET_NAMES, ensure_secrets
from services.settings import PROJECT_ROOT
from services.store.seed.run import seed_database

WEB_CHAT = "channels.socketio.WebChatInput"  # its key in credentials.yml

NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")


def find_nginx(install: bool = True) -> str:
    """Path of nginx; installs Debian's package (``apt-get install nginx``) when missing and ``install``."""
    found = shutil.which("nginx") or next((p for p in NGINX_CANDIDATES if Path(p).exists()), None)
    if found:
        return found
    if not install:
        raise RuntimeError("nginx not found: apt-get update && apt-get install -y nginx")
    print("nginx missing: installing Debian's package (apt-get install nginx)", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "nginx"], check=True, env=env, stdout=subprocess.DEVNULL)
    return find_nginx(install=False)


def model_is_complete(path: Path) -> bool:
    """True when the gzip stream of the model reads to its end (a half-copied model fails every Rasa server)."""
    try:
        with gzip.open(path, "rb") as f:
            while f.read(1 << 22):
                pass
        return True
    except (OSError, EOFError):
        return False


def runtime_secrets(env: Mapping[str, str]) -> dict[str, str]:
    """The three secrets: environment first, else ``runtime/secrets.mk`` (generated when missing)."""
    if all(env.get(name) for name in SECRET_NAMES):
        return {name: env[name] for name in SECRET_NAMES}
    stored = ensure_secrets(PROJECT_ROOT / "runtime" / "secrets.mk")
    return {name: env.get(name) or stored[name] for name in SECRET_NAMES}


def prepare(options: ProdOptions, env: Mapping[str, str], seed_today: str | None = None) -> None:
    """Databases, seed data (dated ``seed_today``, default today) and generated config files.

    Raises with what to do when something is missing.
    """
    if not options.model.exists():
        raise RuntimeError(f"{options.model} is missing: run `make train` first")
    if not model_is_complete(options.model):
        raise RuntimeError(f"{options.model} is truncated or not a gzip file: run `make train` again")
    for name in (options.tracker_db, options.store_db):
        ensure_database(options, name)
    seed_database(options.store_database_url, today=dt.date.fromisoformat(seed_today) if seed_today else None, progress=False)
    for sub in ("logs", "redis", "nginx_tmp"):
        (options.runtime_dir / sub).mkdir(parents=True, exist_ok=True)
    options.endpoints_path.write_text(endpoints_yaml(options))
    options.nginx_conf_path.write_text(nginx_conf(options))
    creds = options.runtime_dir / "credentials.yml"
    fd = os.open(creds, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # may hold channel tokens
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump(credentials_of(options, env), f, sort_keys=False)


def credentials_of(options: ProdOptions, env: Mapping[str, str]) -> dict:
    """The enabled channels; the web chat's emits relayed between the Rasa servers through the private Redis."""
    credentials = enabled_credentials(env)
    credentials[WEB_CHAT]["client_manager_url"] = f"redis://127.0.0.1:{options.redis_port}/2"
    return credentials


def redis_ok(port: int):  # type: ignore[no-untyped-def]
    def check() -> bool:
        try:
            return bool(redis.Redis(host="127.0.0.1", port=port, socket_timeout=1).ping())
        except redis.RedisError:
            return False
    return check


class Topology:
    """A running production topology: its options, secrets and supervised processes."""

    def __init__(self, options: ProdOptions, secrets: dict[str, str], supervisor: Supervisor) -> None:
        self.options = options
        self.secrets = secrets
        self.supervisor = supervisor

    @property
    def url(self) -> str:
        return self.options.public_url

    def rasa_names(self) -> list[str]:
        return [f"rasa-{i + 1}" for i in range(self.options.rasa_instances)]

    def action_names(self) -> list[str]:
        return [f"actions-{i + 1}" for i in range(self.options.action_servers)]

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        self.supervisor.signal(name, sig)

    def restart(self, name: str, timeout_s: float = 600) -> None:
        self.supervisor.restart(name, timeout_s)


def child_env(options: ProdOptions, secrets: dict[str, str], base: Mapping[str, str]) -> dict[str, str]:
    return {
        **base, **secrets,
        "PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "STORE_DATABASE_URL": options.store_database_url,
        "TICKET_LOCK_LIFETIME": str(options.lock_lifetime_s),
        # Rasa's SQL tracker store runs its queries on the event loop, one at a time: a small pool is enough
        # and keeps 2 instances well under PostgreSQL's default 100 connections.
        "SQL_POOL_SIZE": base.get("SQL_POOL_SIZE", "5"), "SQL_MAX_OVERFLOW": base.get("SQL_MAX_OVERFLOW", "10"),
        # Rasa's listen backlog (Sanic's default 100): connections wait in the kernel while the event
        # loop runs a model, instead of timing out at nginx.
        "SANIC_BACKLOG": base.get("SANIC_BACKLOG", "2048"),
    }


def spool_env(options: ProdOptions, instance: int) -> dict[str, str]:
    """Where Rasa server ``instance`` keeps its unconfirmed broker events, when ``options.event_spool`` is on."""
    return {SPOOL_PATH_ENV: str(options.runtime_dir / f"event-spool-rasa-{instance}.db")} if options.event_spool else {}


@contextmanager
def running_topology(options: ProdOptions | None = None, extra_env: Mapping[str, str] | None = None,
                     seed_today: str | None = None, start_timeout_s: float = 900) -> Iterator[Topology]:
    """Prepare and start everything, yield it healthy, stop all of it on exit (also on errors)."""
    options = options or ProdOptions()
    base = {**os.environ, **(extra_env or {})}
    secrets = runtime_secrets(base)
    nginx = find_nginx()
    prepare(options, base, seed_today)
    env = child_env(options, secrets, base)
    logs = options.logs_dir
    sup = Supervisor(PROJECT_ROOT, options.runtime_dir / "pids.json")
    try:
        sup.start("redis", ["redis-server", "--port", str(options.redis_port), "--bind", "127.0.0.1", "--save", "",
                            "--appendonly", "no", "--dir", str(options.runtime_dir / "redis"), "--daemonize", "no"],
                  env, logs / "redis.log", redis_ok(options.redis_port))
        for i, port in enumerate(options.action_ports, 1):
            sup.start(f"actions-{i}", [sys.executable, "-m", "services.action_server", "--port", str(port)],
                      env, logs / f"actions-{i}.log", http_ok(f"http://127.0.0.1:{port}/health"))
        sup.wait_healthy(["redis"], 60)
        for i, port in enumerate(options.rasa_ports, 1):
            sup.start(f"rasa-{i}", [sys.executable, "-m", "services.rasa_launcher", "run", "--model", str(options.model),
                                    "--enable-api", "--auth-token", secrets["RASA_AUTH_TOKEN"], "--cors", options.site_origin,
                                    "--interface", "127.0.0.1", "--port", str(port),
                                    "--endpoints", str(options.endpoints_path),
                                    "--credentials", str(options.runtime_dir / "credentials.yml")],
                      # One Sanic worker per instance: instances are the unit of scale here, and a kill -9 takes one down whole.
                      {**env, **spool_env(options, i), "SANIC_WORKERS": "1"}, logs / f"rasa-{i}.log", http_ok(f"http://127.0.0.1:{port}/status?token={secrets['RASA_AUTH_TOKEN']}"))
        subprocess.run([nginx, "-t", "-q", "-p", str(options.runtime_dir), "-c", str(options.nginx_conf_path),
                        "-e", str(logs / "nginx_error.log")], check=True)
        sup.start("nginx", [nginx, "-p", str(options.runtime_dir), "-c", str(options.nginx_conf_path),
                            "-e", str(logs / "nginx_error.log")], env, logs / "nginx.log", http_ok(f"{options.public_url}/"))
        sup.wait_healthy(list(sup.children), start_timeout_s)
        yield Topology(options, secrets, sup)
    finally:
        sup.stop_all()


def parse_options(argv: list[str] | None = None) -> ProdOptions:
    """ProdOptions from the command line (defaults from the environment)."""
    defaults = ProdOptions()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for f in dataclasses.fields(ProdOptions):
        default, flag = getattr(defaults, f.name), f"--{f.name.replace('_', '-')}"
        if isinstance(default, bool):  # a switch: --event-spool / --no-event-spool
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default, help=f.metadata.get("help", ""))
        else:
            parser.add_argument(flag, type=type(default), default=default, help=f.metadata.get("help", ""))
    return ProdOptions(**vars(parser.parse_args(argv)))


def main() -> None:
    options = parse_options()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # same clean stop as Ctrl-C
    try:
        with running_topology(options, seed_today=os.environ.get("ASSISTANT_TODAY")) as topology:
            o = options
            print(f"Production topology up: http://localhost:{o.public_port} (REST: /webhooks/rest/webhook, socket.io, "
                  f"HTTP API with the token)\n  {o.rasa_instances} Rasa servers on {o.rasa_ports}, {o.action_servers} action "
                  f"servers on {o.action_ports} behind 127.0.0.1:{o.actions_lb_port}\n  tracker store postgresql "
                  f"{o.pg_host}:{o.pg_port}/{o.tracker_db}, order store {o.store_db}, lock store redis 127.0.0.1:{o.redis_port}, "
                  f"event broker {o.event_broker_type} {o.rabbit_host}:{o.rabbit_port} queue {o.event_queue}\n"
                  f"  HTTP API token: {topology.secrets['RASA_AUTH_TOKEN']}\n  logs: {o.logs_dir}/  (Ctrl-C stops all of it)",
                  flush=True)
            while True:  # like an orchestrator: a process that dies is started again
                time.sleep(1)
                if (dead := topology.supervisor.first_dead()) is not None:
                    print(f"{dead.name} exited with {dead.process.returncode if dead.process else '?'} (see {dead.log}); "
                          "starting it again", file=sys.stderr, flush=True)
                    topology.restart(dead.name)
                    print(f"{dead.name} is back", flush=True)
    except KeyboardInterrupt:
        print("stopping", flush=True)
    except RuntimeError as error:
        sys.exit(f"run-prod: {error}")


if __name__ == "__main__":
    main()
