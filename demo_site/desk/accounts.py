"""Agent accounts: create, authenticate (with a lock-out), and the demo agent ``make run`` creates.

    python -m demo_site.desk.accounts create-demo            # demo-agent (senior); DESK_DEMO_PASSWORD or a generated one
    python -m demo_site.desk.accounts create dana --role agent   # asks for the password (or DESK_NEW_PASSWORD)
    python -m demo_site.desk.accounts set-password dana
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import re
import secrets
import sys
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from demo_site.desk.models import AGENT_ROLES, Agent
from demo_site.desk.passwords import dummy_hash, hash_password, verify_password
from services.store.db import session_scope
from services.store.models import utcnow

DEMO_USERNAME = "demo-agent"
USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 5


@dataclass(frozen=True)
class AgentView:
    """What the desk knows of a logged-in agent (never the password hash)."""

    id: int
    username: str
    display_name: str
    role: str

    @property
    def is_senior(self) -> bool:
        return self.role == "senior"


def _view(agent: Agent) -> AgentView:
    return AgentView(agent.id, agent.username, agent.display_name, agent.role)


def find_agent(session: Session, username: str) -> Agent | None:
    return session.execute(select(Agent).where(Agent.username == username)).scalar_one_or_none()


def create_agent(session: Session, username: str, password: str, role: str = "agent", display_name: str | None = None) -> AgentView:
    """Add an agent; raises ValueError (saying what to change) for a bad username, role or password."""
    if not USERNAME_RE.fullmatch(username):
        raise ValueError("username: 2-64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit")
    if role not in AGENT_ROLES:
        raise ValueError(f"role must be one of {', '.join(AGENT_ROLES)}, not {role!r}")
    if find_agent(session, username) is not None:
        raise ValueError(f"agent {username!r} already exists (use set-password to change the password)")
    agent = Agent(username=username, display_name=(display_name or username)[:120], role=role,
                  password_hash=hash_password(password), active=True, failed_logins=0)
    session.add(agent)
    session.flush()
    return _view(agent)


def set_password(session: Session, username: str, password: str) -> None:
    """Replace an agent's password and lift a lock-out; raises LookupError for an unknown agent."""
    agent = find_agent(session, username)
    if agent is None:
        raise LookupError(f"no agent {username!r}")
    agent.password_hash = hash_password(password)
    agent.failed_logins, agent.locked_until = 0, None


def authenticate(session: Session, username: str, password: str, now: dt.datetime | None = None) -> AgentView | None:
    """The agent when ``password`` is right and the account is active and not locked, else None.

    After ``MAX_FAILED_LOGINS`` wrong passwords in a row the account is locked for ``LOCK_MINUTES``.
    Unknown usernames cost the same scrypt work, so timing does not tell which usernames exist.
    """
    now = now or utcnow()
    agent = find_agent(session, username) if USERNAME_RE.fullmatch(username or "") else None
    if agent is None or not agent.active:
        verify_password(password, dummy_hash())
        return None
    if agent.locked_until is not None and agent.locked_until > now:
        verify_password(password, dummy_hash())
        return None
    if not verify_password(password, agent.password_hash):
        agent.failed_logins += 1
        if agent.failed_logins >= MAX_FAILED_LOGINS:
            agent.failed_logins, agent.locked_until = 0, now + dt.timedelta(minutes=LOCK_MINUTES)
        return None
    agent.failed_logins, agent.locked_until = 0, None
    return _view(agent)


def ensure_demo_agent(session: Session, password: str | None) -> tuple[AgentView, str | None]:
    """Create ``demo-agent`` (senior) if missing; returns it and the generated password, if one was made.

    With ``password`` (DESK_DEMO_PASSWORD) an existing demo agent gets that password, so the
    variable stays the truth; without it an existing agent keeps the password it has.
    """
    existing = find_agent(session, DEMO_USERNAME)
    if existing is not None:
        if password:
            set_password(session, DEMO_USERNAME, password)
        return _view(existing), None
    generated = None if password else secrets.token_urlsafe(12)
    agent = create_agent(session, DEMO_USERNAME, password or generated, role="senior", display_name="Demo Agent")
    return agent, generated


def agent_count(session: Session) -> int:
    return session.execute(select(func.count(Agent.id))).scalar_one()


def _password_from(env_name: str, prompt: str) -> str:
    value = os.environ.get(env_name)
    if value:
        return value
    if not sys.stdin.isatty():
        sys.exit(f"set {env_name} or run this in a terminal to type the password")
    first, second = getpass.getpass(prompt), getpass.getpass("again: ")
    if first != second:
        sys.exit("the two passwords differ")
    return first


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=None, help="store database URL (default: STORE_DATABASE_URL or runtime/store.db)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("create-demo", help=f"create {DEMO_USERNAME} (senior) with DESK_DEMO_PASSWORD, or print a generated password once")
    create = commands.add_parser("create", help="create an agent (password from DESK_NEW_PASSWORD or typed)")
    create.add_argument("username")
    create.add_argument("--role", choices=AGENT_ROLES, default="agent")
    create.add_argument("--name", default=None, help="display name shoppers see next to replies")
    reset = commands.add_parser("set-password", help="change an agent's password (DESK_NEW_PASSWORD or typed)")
    reset.add_argument("username")
    args = parser.parse_args(argv)
    try:
        with session_scope(args.url) as session:
            if args.command == "create-demo":
                agent, generated = ensure_demo_agent(session, os.environ.get("DESK_DEMO_PASSWORD") or None)
                if generated:
                    print(f"Agent desk: {agent.username} / {generated}  (shown once; set DESK_DEMO_PASSWORD to choose it)")
                else:
                    print(f"Agent desk: {agent.username} (password: DESK_DEMO_PASSWORD, or the one printed when it was created)")
            elif args.command == "create":
                agent = create_agent(session, args.username, _password_from("DESK_NEW_PASSWORD", "password: "), args.role, args.name)
                print(f"created {agent.role} {agent.username}")
            else:
                set_password(session, args.username, _password_from("DESK_NEW_PASSWORD", "new password: "))
                print(f"password of {args.username} changed")
    except (ValueError, LookupError) as error:
        sys.exit(str(error))
    except (OperationalError, ProgrammingError) as error:
        sys.exit(f"the agents table is missing or unreachable ({error.orig}); run `make seed` (it applies the migrations)")


if __name__ == "__main__":
    main()
