"""PostgreSQL housekeeping for the production topology: create, drop, and cut connections (fault tests)."""

from __future__ import annotations

import re

import psycopg2
from psycopg2 import sql

from ops.topology import ProdOptions

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _admin_connection(options: ProdOptions):  # type: ignore[no-untyped-def]
    try:
        conn = psycopg2.connect(host=options.pg_host, port=options.pg_port, user=options.pg_user, dbname="postgres", connect_timeout=5)
    except psycopg2.OperationalError as error:
        raise RuntimeError(
            f"PostgreSQL is not reachable at {options.pg_host}:{options.pg_port} as {options.pg_user} ({error}). "
            "Start it, or set PROD_PG_HOST / PROD_PG_PORT / PROD_PG_USER."
        ) from error
    conn.autocommit = True
    return conn


def _checked(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"database name {name!r}: use lower-case letters, digits and underscores")
    return name


def ensure_database(options: ProdOptions, name: str) -> bool:
    """Create database ``name`` when missing; True when it was created."""
    conn = _admin_connection(options)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (_checked(name),))
            if cur.fetchone():
                return False
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    finally:
        conn.close()


def drop_database(options: ProdOptions, name: str) -> None:
    """Drop database ``name`` (closing its connections first) if it exists."""
    conn = _admin_connection(options)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                        (_checked(name),))
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    finally:
        conn.close()


def terminate_connections(options: ProdOptions, names: list[str]) -> int:
    """``pg_terminate_backend`` every connection to the databases ``names``; the number cut."""
    conn = _admin_connection(options)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = ANY(%s) AND pid <> pg_backend_pid()", ([_checked(n) for n in names],))
            return int(cur.fetchone()[0])
    finally:
        conn.close()
