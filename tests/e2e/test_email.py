"""The email gateway over real SMTP on 127.0.0.1.

- With the real assistant (the session's `assistant` fixture, shared with the other end-to-end modules) and the gateway as a
  subprocess (``python -m channels.email_gateway``): a shopper's thread is one verified conversation,
  a gateway declared to authenticate senders signs known customers in, awkward mail reaches Rasa intact.
- With the gateway in-process and a double of Rasa's REST webhook (to make Rasa fail on purpose and
  to see exactly what is posted): temporary failures for Rasa or the outbound server being down,
  refusals that post nothing, the trust flag.
Outbound mail always goes to an aiosmtpd server on loopback that keeps what it receives.
"""

from __future__ import annotations

import json
import os
import queue
import smtplib
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from channels.email_gateway import GatewayConfig, build_controller
from channels.email_text import conversation_id, read_mail
from services.settings import PROJECT_ROOT
from services.store.identity import customer_from_metadata
from services.store.seed.run import seed_database
from tests.conftest import TODAY
from tests.e2e.conftest import SECRETS, Assistant, free_port

SUPPORT = "Harbor & Pine <support@harborandpine.example>"
SUPPORT_ADDRESS = "support@harborandpine.example"
SMTP_TIMEOUT_S = 180  # the gateway answers DATA only after Rasa answered and the reply was sent


# --- doubles -------------------------------------------------------------------------------------

class Mailbox:
    """The outbound SMTP server double: keeps every delivered message; can refuse the first ``refuse`` ones with 451."""

    def __init__(self, refuse: int = 0) -> None:
        self.refuse = refuse
        self.delivered: queue.Queue[tuple[str, list[str], EmailMessage]] = queue.Queue()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 Mailbox double refusing for the test"
        message = message_from_bytes(envelope.original_content or b"", policy=policy.default)
        self.delivered.put((envelope.mail_from or "", list(envelope.rcpt_tos), message))
        return "250 OK"

    def next(self, timeout: float = 10) -> EmailMessage:
        _mail_from, _rcpt_tos, message = self.delivered.get(timeout=timeout)
        return message

    def assert_empty(self) -> None:
        time.sleep(0.2)  # a reply, if any, is sent before the gateway answers DATA; this is only a margin
        assert self.delivered.empty(), f"unexpected reply: {self.delivered.queue[0][2]}"


@contextmanager
def mailbox(refuse: int = 0) -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(refuse), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


class RasaDouble:
    """Rasa's REST webhook on loopback: records every posted body, fails the first ``failures`` calls with 500."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.posts: list[dict] = []
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                double.posts.append({"path": self.path, **body})
                if double.failures:
                    double.failures -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                reply = [{"recipient_id": body["sender"], "text": f"Double got: {body['message']}"},
                         {"recipient_id": body["sender"], "text": "Anything else?", "buttons": [{"title": "Yes", "payload": "/affirm"},
                                                                                                {"title": "No", "payload": "/deny"}]}]
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def gateway_in_process(rasa_url: str, smtp_port: int, **overrides: object) -> Iterator[int]:
    """The gateway's SMTP server (``channels.email_gateway.build_controller``) in this process; yields its port."""
    config = GatewayConfig(**{"listen_port": free_port(), "smtp_host": "127.0.0.1", "smtp_port": smtp_port, "thread_secret": "t-secret",
                              "rasa_url": rasa_url, "sender": SUPPORT, **overrides})  # type: ignore[arg-type]
    controller = build_controller(config)
    controller.start()
    try:
        yield config.listen_port
    finally:
        controller.stop()


# --- composing and sending mail ------------------------------------------------------------------

def compose(text: str, subject: str = "Where is my order?", sender: str = "Alice Chen <alice@example.com>",
            reply_to: EmailMessage | None = None) -> EmailMessage:
    """A shopper's mail; as a reply to one of ours when ``reply_to`` is given (threaded as mail clients do)."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = SUPPORT
    mail["Subject"] = subject
    mail["Message-ID"] = make_msgid(domain="mail.example")
    if reply_to is not None:  # headers are folded at 78 characters: a long Message-ID arrives as " <id>"
        mail["In-Reply-To"] = reply_to["Message-ID"].strip()
        mail["References"] = " ".join([*reply_to["References"].split(), reply_to["Message-ID"].strip()])
    mail.set_content(text)
    return mail


def send(port: int, message: EmailMessage | bytes, envelope_from: str = "alice@example.com") -> None:
    """Deliver over SMTP as the shopper's server would; raises smtplib's errors on a 4xx/5xx."""
    data = message if isinstance(message, bytes) else message.as_bytes(policy=policy.SMTP)
    with smtplib.SMTP("127.0.0.1", port, timeout=SMTP_TIMEOUT_S) as smtp:
        smtp.sendmail(envelope_from, [SUPPORT_ADDRESS], data)


def body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, message
    return part.get_content().replace("\r\n", "\n")


# --- the gateway with doubles (no Rasa model needed) ---------------------------------------------

def test_rasa_failure_is_a_temporary_failure_and_the_retried_mail_is_answered() -> None:
    rasa = RasaDouble(failures=1)
    mail = compose("Where is my order 100234?\n\nThanks\n\n-- \nAlice Chen, Example Co.")
    try:
        with mailbox() as (box, smtp_port), gateway_in_process(rasa.url, smtp_port) as port:
            with pytest.raises(smtplib.SMTPDataError) as refused:
                send(port, mail)
            assert refused.value.smtp_code == 451
            box.assert_empty()
            send(port, mail)  # the sender's server retries the same message
            reply = box.next()
    finally:
        rasa.close()
    expected_sender = conversation_id(read_mail(mail.as_bytes()).thread_key, "alice@example.com", "t-secret")
    expected_post = {"path": "/webhooks/rest/webhook", "sender": expected_sender, "message": "Where is my order 100234?",
                     "input_channel": "email"}
    assert rasa.posts == [expected_post, expected_post]  # no metadata: a From address proves nothing
    assert (reply["To"], reply["From"]) == ("Alice Chen <alice@example.com>", SUPPORT)
    assert reply["In-Reply-To"] == reply["References"] == mail["Message-ID"]
    assert reply["Subject"] == "Re: Where is my order?" and reply["Auto-Submitted"] == "auto-replied"
    assert body(reply) == "Double got: Where is my order 100234?\n\nAnything else?\n\nYou can reply with: Yes, No\n"


def test_rasa_down_is_a_temporary_failure() -> None:
    with mailbox() as (box, smtp_port), gateway_in_process(f"http://127.0.0.1:{free_port()}", smtp_port) as port:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            send(port, compose("where is my order 100234?"))
        assert refused.value.smtp_code == 451
        box.assert_empty()


def test_outbound_failure_is_retried_without_a_second_rasa_turn() -> None:
    rasa = RasaDouble()
    mail = compose("cancel order 100235 please")
    try:
        with mailbox(refuse=1) as (box, smtp_port), gateway_in_process(rasa.url, smtp_port) as port:
            with pytest.raises(smtplib.SMTPDataError) as refused:
                send(port, mail)
            assert refused.value.smtp_code == 451
            send(port, mail)
            reply = box.next()
            send(port, mail)  # a duplicate delivery after success: neither a new turn nor a new reply
            box.assert_empty()
    finally:
        rasa.close()
    assert [p["message"] for p in rasa.posts] == ["cancel order 100235 please"]
    assert reply["In-Reply-To"] == mail["Message-ID"] and "Double got: cancel order 100235 please" in body(reply)


def test_mail_that_cannot_be_answered_is_refused_and_nothing_is_posted_or_sent() -> None:
    rasa = RasaDouble()
    no_message_id = compose("where is my order 100234?")
    del no_message_id["Message-ID"]
    two_senders = compose("where is my order 100234?", sender="alice@example.com, bob@example.com")
    auto_reply = compose("I am out of the office until Monday.", subject="Automatic reply: Re: Your order")
    auto_reply["Auto-Submitted"] = "auto-replied"
    oversized = compose("where is my order 100234?\n" + "padding line to make the mail too large\n" * 2000)
    try:
        with mailbox() as (box, smtp_port), gateway_in_process(rasa.url, smtp_port, max_bytes=20_000) as port:
            for bad in (no_message_id, two_senders):
                with pytest.raises(smtplib.SMTPDataError) as refused:
                    send(port, bad)
                assert refused.value.smtp_code == 550
            with pytest.raises(smtplib.SMTPSenderRefused) as too_big:  # smtplib announces SIZE: refused at MAIL FROM
                send(port, oversized)
            assert too_big.value.smtp_code == 552
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:  # a client that does not announce SIZE: refused after DATA
                smtp.ehlo()
                smtp.mail("alice@example.com")
                smtp.rcpt(SUPPORT_ADDRESS)
                assert smtp.data(oversized.as_bytes(policy=policy.SMTP))[0] == 552
            send(port, auto_reply)  # accepted (250) so the sender stops, never answered (mail loops)
            send(port, compose("I am our own reply bouncing back", sender=SUPPORT))
            box.assert_empty()
            assert rasa.posts == []
            send(port, compose("still there? order 100234"))  # the gateway survived all of it
            assert "Double got: still there? order 100234" in body(box.next())
    finally:
        rasa.close()
    assert len(rasa.posts) == 1


def test_empty_and_attachment_only_mail_get_a_clear_reply_without_asking_rasa() -> None:
    rasa = RasaDouble()
    empty = compose("\n\n-- \nAlice Chen\nSent from my iPhone")
    photo = compose("")
    photo.clear_content()
    photo.add_attachment(b"\xff\xd8\xff\xe0 not really a jpeg", maintype="image", subtype="jpeg", filename="damage.jpg")
    html_quote_only = compose("")
    html_quote_only.set_content("<html><body><blockquote>Your order 100234 has shipped.</blockquote></body></html>", subtype="html")
    try:
        with mailbox() as (box, smtp_port), gateway_in_process(rasa.url, smtp_port) as port:
            replies = []
            for mail in (empty, photo, html_quote_only):
                send(port, mail)
                replies.append(box.next())
    finally:
        rasa.close()
    assert rasa.posts == []
    assert "couldn't find any text in your email" in body(replies[0])
    assert "can't open attachments" in body(replies[1]) and "no text" in body(replies[1])
    assert "couldn't find any text in your email" in body(replies[2])
    assert [r["In-Reply-To"] for r in replies] == [m["Message-ID"] for m in (empty, photo, html_quote_only)]


def test_sender_address_is_trusted_only_when_the_deployment_declares_it(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'store.db'}"
    seed_database(database_url, today=TODAY, n_customers=10, progress=False)
    rasa = RasaDouble()
    secret = "identity-secret-for-this-test"
    try:
        with mailbox() as (box, smtp_port):
            with gateway_in_process(rasa.url, smtp_port, database_url=database_url, identity_secret=secret) as port:
                send(port, compose("where is my order 100234?"))
            with gateway_in_process(rasa.url, smtp_port, database_url=database_url, identity_secret=secret, senders_authenticated=True) as port:
                send(port, compose("where is my order 100234?", sender="Alice <ALICE@example.com>"))
                send(port, compose("where is my order 100234?", sender="stranger@example.org"), envelope_from="stranger@example.org")
    finally:
        rasa.close()
    off, known, unknown = rasa.posts
    assert "metadata" not in off and "metadata" not in unknown
    assert customer_from_metadata(known["metadata"], secret) == "C-1001"
    assert customer_from_metadata(known["metadata"], "another-secret") is None


@pytest.mark.parametrize(("env", "message"), [
    ({"EMAIL_SMTP_HOST": "127.0.0.1", "IDENTITY_SECRET": "s"}, "EMAIL_LISTEN_PORT must be a whole number"),
    ({"EMAIL_LISTEN_PORT": "2525", "IDENTITY_SECRET": "s"}, "EMAIL_SMTP_HOST must be set"),
    ({"EMAIL_LISTEN_PORT": "2525", "EMAIL_SMTP_HOST": "127.0.0.1"}, "IDENTITY_SECRET (or EMAIL_THREAD_SECRET) must be set"),
    ({"EMAIL_LISTEN_PORT": "2525", "EMAIL_SMTP_HOST": "127.0.0.1", "EMAIL_THREAD_SECRET": "t", "EMAIL_SENDERS_AUTHENTICATED": "1"},
     "EMAIL_SENDERS_AUTHENTICATED needs IDENTITY_SECRET"),
    ({"EMAIL_LISTEN_PORT": "2525", "EMAIL_SMTP_HOST": "127.0.0.1", "IDENTITY_SECRET": "s", "EMAIL_SENDERS_AUTHENTICATED": "maybe"},
     "EMAIL_SENDERS_AUTHENTICATED must be true or false"),
])
def test_bad_configuration_stops_the_gateway_with_a_clear_message(env: dict[str, str], message: str) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_") and k not in ("IDENTITY_SECRET", "RASA_URL")}
    result = subprocess.run([sys.executable, "-m", "channels.email_gateway"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60,
                            env={**base, "PYTHONPATH": str(PROJECT_ROOT), **env})
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


# --- the gateway process with the real assistant ----------------------------------------------------

@dataclass
class Live:
    assistant: Assistant
    mailbox: Mailbox
    anonymous_port: int
    trusted_port: int


def start_gateway(workdir: Path, name: str, env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    port = free_port()
    log = workdir / f"{name}.log"
    process = subprocess.Popen([sys.executable, "-m", "channels.email_gateway"], cwd=PROJECT_ROOT, stdout=log.open("w"),
                               stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "EMAIL_LISTEN_PORT": str(port), **env})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gateway exited with {process.returncode}:\n{log.read_text()}")
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
                smtp.noop()
            return process, port
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"gateway not listening after 60 s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def live(assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The session's assistant, an outbound mailbox, and two gateway processes: anonymous and sender-trusting."""
    workdir = tmp_path_factory.mktemp("email")
    with mailbox() as (box, smtp_port):
        env = {"EMAIL_SMTP_HOST": "127.0.0.1", "EMAIL_SMTP_PORT": str(smtp_port), "EMAIL_FROM": SUPPORT, "RASA_URL": assistant.base_url,
               "IDENTITY_SECRET": SECRETS["IDENTITY_SECRET"], "STORE_DATABASE_URL": assistant.database_url}
        processes: list[subprocess.Popen] = []
        try:
            anonymous, anonymous_port = start_gateway(workdir, "gateway-anonymous", env)
            processes.append(anonymous)
            trusted, trusted_port = start_gateway(workdir, "gateway-trusted", {**env, "EMAIL_SENDERS_AUTHENTICATED": "true"})
            processes.append(trusted)
            yield Live(assistant, box, anonymous_port, trusted_port)
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)
        assert all(p.returncode == 0 for p in processes), "the gateway did not stop cleanly on SIGTERM"


def user_turns(live: Live, mail: EmailMessage | bytes, address: str) -> list[dict]:
    """The user events of the Rasa conversation the gateway keeps for ``mail``'s thread with ``address``."""
    raw = mail if isinstance(mail, bytes) else mail.as_bytes()
    sender_id = conversation_id(read_mail(raw).thread_key, address, SECRETS["IDENTITY_SECRET"])
    return [e for e in live.assistant.tracker(sender_id)["events"] if e["event"] == "user"]


def test_email_thread_is_one_conversation_verified_by_order_and_email(live: Live) -> None:
    first = compose("Hi,\n\nwhere is my order 100234?\n\nThanks\nAlice\n\n-- \nAlice Chen\nExample Co.")
    send(live.anonymous_port, first)
    ask = live.mailbox.next()
    assert ask["In-Reply-To"] == ask["References"] == first["Message-ID"]
    assert (ask["Subject"], ask["To"], ask["From"]) == ("Re: Where is my order?", "Alice Chen <alice@example.com>", SUPPORT)
    assert "email" in body(ask).lower()
    assert "UPS" not in body(ask) and "1Z4A7F" not in body(ask)  # sent from alice@example.com, still anonymous

    quoted = "\n".join(f"> {line}" for line in body(ask).splitlines())
    second = compose(f"alice@example.com\n\nOn Mon, 23 Nov 2026 at 10:02, Harbor & Pine <{SUPPORT_ADDRESS}> wrote:\n\n{quoted}\n",
                     subject="Re: Where is my order?", reply_to=ask)
    send(live.anonymous_port, second)
    status = live.mailbox.next()
    assert status["In-Reply-To"] == second["Message-ID"]
    assert status["References"].split() == [first["Message-ID"], ask["Message-ID"].strip(), second["Message-ID"]]
    assert status["Subject"] == "Re: Where is my order?"
    assert "1Z4A7F390312448861" in body(status)

    turns = user_turns(live, first, "alice@example.com")
    assert [t["text"] for t in turns] == ["where is my order 100234?", "alice@example.com"]  # no greeting, sign-off, signature, quote
    assert {t["input_channel"] for t in turns} == {"email"}
    assert user_turns(live, second, "alice@example.com") == turns  # the reply's thread is the same conversation


def test_gateway_declared_to_authenticate_senders_answers_a_known_customer_directly(live: Live) -> None:
    mail = compose("Where is my order 100241?", subject="Order 100241", sender="Bob Martin <bob@example.com>")
    send(live.trusted_port, mail, envelope_from="bob@example.com")
    reply = live.mailbox.next()
    assert reply["In-Reply-To"] == mail["Message-ID"] and reply["To"] == "Bob Martin <bob@example.com>"
    assert "FX771200902247" in body(reply)
    assert "email address" not in body(reply).lower()


def test_html_only_and_misdeclared_charset_mail_reach_the_assistant_intact(live: Live) -> None:
    html = compose("")
    html.set_content('<div dir="ltr">Where is my order&nbsp;100235?</div><div class="gmail_quote"><blockquote>old</blockquote></div>',
                     subtype="html")
    send(live.anonymous_port, html)
    asked = live.mailbox.next()
    assert asked["In-Reply-To"] == html["Message-ID"] and "email" in body(asked).lower()
    assert [t["text"] for t in user_turns(live, html, "alice@example.com")] == ["Where is my order 100235?"]

    message_id = make_msgid(domain="mail.example")
    latin1_as_utf8 = b"\r\n".join([
        b"From: Zo\xeb <alice@example.com>", b"To: " + SUPPORT_ADDRESS.encode(), b"Subject: Commande 100240 \xe0 livrer",
        b"Message-ID: " + message_id.encode(), b"MIME-Version: 1.0", b"Content-Type: text/plain; charset=utf-8",
        b"Content-Transfer-Encoding: 8bit", b"", b"O\xf9 est ma commande 100240 ? \xc7a presse.", b""])
    send(live.anonymous_port, latin1_as_utf8)
    reply = live.mailbox.next()
    assert reply["In-Reply-To"] == message_id and reply["Subject"] == "Re: Commande 100240 \u00e0 livrer"
    assert body(reply).strip()
    turns = user_turns(live, latin1_as_utf8, "alice@example.com")
    assert [t["text"] for t in turns] == ["O\u00f9 est ma commande 100240 ? \u00c7a presse."]
