"""``python -m demo_site.desk.accounts``: the demo agent ``make run`` creates, and agents added by hand."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from demo_site.desk.accounts import DEMO_USERNAME, authenticate
from services.settings import PROJECT_ROOT
from services.store.migrate import upgrade
from tests.conftest import open_session


def run(url: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("DESK_DEMO_PASSWORD", "DESK_NEW_PASSWORD")}
    return subprocess.run([sys.executable, "-m", "demo_site.desk.accounts", "--url", url, *args], cwd=PROJECT_ROOT,
                          env={**clean, "PYTHONPATH": str(PROJECT_ROOT), **env}, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def test_create_demo_prints_a_generated_password_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    first = run(url, "create-demo")
    assert first.returncode == 0, first.stderr
    password = re.search(rf"{DEMO_USERNAME} / (\S+)", first.stdout).group(1)
    again = run(url, "create-demo")
    assert again.returncode == 0 and password not in again.stdout
    with open_session(url) as session:
        assert authenticate(session, DEMO_USERNAME, password).is_senior


def test_create_demo_uses_desk_demo_password_and_agents_can_be_added(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    assert run(url, "create-demo", DESK_DEMO_PASSWORD="demo password from env").returncode == 0
    added = run(url, "create", "dana", "--role", "agent", "--name", "Dana", DESK_NEW_PASSWORD="dana's own password")
    assert added.returncode == 0 and "created agent dana" in added.stdout
    duplicate = run(url, "create", "dana", DESK_NEW_PASSWORD="dana's own password")
    assert duplicate.returncode != 0 and "already exists" in duplicate.stderr
    no_password = run(url, "create", "eve")
    assert no_password.returncode != 0 and "DESK_NEW_PASSWORD" in no_password.stderr
    with open_session(url) as session:
        assert authenticate(session, DEMO_USERNAME, "demo password from env") is not None
        assert authenticate(session, "dana", "dana's own password").role == "agent"


def test_a_database_without_the_desk_tables_gets_an_instruction(tmp_path: Path) -> None:
    result = run(f"sqlite:///{tmp_path / 'empty.db'}", "create-demo")
    assert result.returncode != 0 and "make seed" in result.stderr
