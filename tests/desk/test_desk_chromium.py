"""The desk in Debian's Chromium (Playwright) against the Rasa double: script in shopper text never runs,
the session cookie is out of JavaScript's reach, and forms posted from other sites change nothing.

Screenshots go to ``results/desk/``. The full flow with the trained assistant is tests/e2e/test_desk_browser.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from demo_site.desk.accounts import create_agent
from services.settings import PROJECT_ROOT
from services.store.db import session_scope
from services.store.seed.run import seed_database
from tests.chromium import launched_chromium
from tests.conftest import TODAY
from tests.desk.desk_client import open_ticket, running_site
from tests.desk.rasa_double import RasaDouble, bot_event, user_event

SHOTS = PROJECT_ROOT / "results" / "desk"
TOKEN = "chromium-desk-token"
PASSWORD = "a long enough password"
XSS = '<img src=x onerror="window.__pwned=1;alert(1)"><script>window.__pwned=2;alert(2)</script>'


class Desk:
    def __init__(self, site: str, database_url: str, rasa: RasaDouble) -> None:
        self.site, self.database_url, self.rasa = site, database_url, rasa


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    workdir: Path = tmp_path_factory.mktemp("desk-chromium")
    database_url = f"sqlite:///{workdir / 'store.db'}"
    seed_database(database_url, today=TODAY, n_customers=20, progress=False)
    with session_scope(database_url) as session:
        create_agent(session, "sue", PASSWORD, "senior", "Sue")
    rasa = RasaDouble(TOKEN)
    try:
        with running_site(workdir, database_url, rasa.url, {"RASA_AUTH_TOKEN": TOKEN, "IDENTITY_SECRET": "x"}) as site:
            yield Desk(site, database_url, rasa)
    finally:
        rasa.close()


@pytest.fixture(scope="module")
def browser() -> Iterator:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with launched_chromium() as instance:
        yield instance


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    tab = context.new_page()
    yield tab
    context.close()


def log_in(page, desk: Desk) -> None:
    page.goto(f"{desk.site}/desk/queue")
    assert page.url.endswith("/desk/login")
    page.get_by_label("Username").fill("sue")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/desk/queue")


def test_script_in_a_shopper_message_is_shown_as_text_and_never_runs(page, desk: Desk) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    events = [user_event(XSS, "angry", 0.91, ['onerror="window.__pwned=1;alert(1)"']), bot_event("I'm sorry <b>to hear</b> that.")]
    ticket_id, _ = open_ticket(desk.database_url, desk.rasa, "socketio", events, reason="angry_unresolved")
    log_in(page, desk)
    assert page.locator(f'tr[data-ticket="{ticket_id}"] .preview').inner_text() == XSS
    page.screenshot(path=str(SHOTS / "queue.png"), full_page=True)
    page.click(f'a[href="/desk/tickets/{ticket_id}"]')
    page.wait_for_selector("#transcript")
    page.wait_for_timeout(500)
    assert page.locator("#turn-0 .text").inner_text() == XSS
    assert page.locator("#transcript img").count() == 0 and page.locator("#transcript script").count() == 0
    assert page.evaluate("window.__pwned === undefined") and dialogs == []
    assert "hp_desk" not in page.evaluate("document.cookie")  # HttpOnly: page script cannot read the session
    page.screenshot(path=str(SHOTS / "ticket_escaped.png"), full_page=True)


class AttackerSite:
    """A page on another origin that posts a reply form to the desk as soon as it loads."""

    def __init__(self, host: str, target: str) -> None:
        html = (f'<form id="f" method="post" action="{target}"><input name="text" value="forged by another site">'
                '<input name="csrf_token" value="guess"></form><script>document.getElementById("f").submit()</script>').encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(html)))
                self.end_headers()
                self.wfile.write(html)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://{host}:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("attacker_host", ["localhost", "127.0.0.1"])  # another site; the same site on another port
def test_a_form_posted_from_another_origin_is_refused(page, desk: Desk, attacker_host: str) -> None:
    ticket_id, sender = open_ticket(desk.database_url, desk.rasa, "socketio", [user_event("help please", "anxious", 0.8)])
    log_in(page, desk)
    attacker = AttackerSite(attacker_host, f"{desk.site}/desk/tickets/{ticket_id}/reply")
    try:
        with page.expect_response(lambda r: r.url.endswith(f"/desk/tickets/{ticket_id}/reply")) as answer:
            page.goto(attacker.url)
        # localhost -> 127.0.0.1 is cross-site: SameSite=Strict keeps the cookie home (401).
        # 127.0.0.1 on another port is the same site: the cookie goes, the Origin check and the token refuse it (403).
        assert answer.value.status == (401 if attacker_host == "localhost" else 403)
    finally:
        attacker.close()
    assert desk.rasa.calls_for(sender, "tracker/events") == []
