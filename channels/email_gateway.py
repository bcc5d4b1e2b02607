"""Email gateway: shoppers' mail in over SMTP, one Rasa REST conversation per thread, replies out over SMTP.

    EMAIL_LISTEN_PORT=2525 EMAIL_SMTP_HOST=127.0.0.1 python -m channels.email_gateway

Listens on 127.0.0.1 (aiosmtpd; the deployment's MTA forwards the support address here). Each mail
becomes one ``POST {RASA_URL}/webhooks/rest/webhook``; the bot's messages go back as one reply
threaded with In-Reply-To/References. A failed Rasa call or a failed reply answers the SMTP DATA
with 451, so the sending server retries and nothing is lost. See docs/email.md.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import smtplib
import sys
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from typing import Any

import aiohttp
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select

from channels.email_text import BadMail, IncomingMail, conversation_id, read_mail, reply_message_id, reply_references, reply_subject
from services.settings import get_settings
from services.store.db import session_scope
from services.store.identity import normalise_email, sign_customer_id
from services.store.models import Customer

log = logging.getLogger("channels.email_gateway")

LISTEN_HOST = "127.0.0.1"
MAX_TEXT_CHARS = 5000  # as the web chat: a pasted novel costs the classifier and DIET
RASA_TIMEOUT_S = 120.0  # below aiosmtpd's 300 s idle timeout and the sender's 10 min DATA timeout
REMEMBERED_REPLIES = 10_000

TEMPORARY_FAILURE = "451 4.3.0 Temporary failure, please try again later"
EMPTY_MAIL_REPLY = ("I couldn't find any text in your email. Please write your question in the body of the email "
                    "(for an order, include its 6-digit order number).")
ATTACHMENTS_ONLY_REPLY = ("I can't open attachments, and your email had no text. Please write your question in the body "
                          "of the email (for an order, include its 6-digit order number).")
ATTACHMENT_NOTE = "(I can't open attachments: if they matter, please describe them in the text of your email.)"


class ConfigError(ValueError):
    """A missing or invalid environment variable."""


class RasaUnavailable(RuntimeError):
    """The Rasa server did not answer the webhook call with a list of messages."""


@dataclass(frozen=True)
class GatewayConfig:
    """Settings of one gateway process (see :meth:`from_env` for the variables)."""

    listen_port: int
    smtp_host: str
    thread_secret: str
    smtp_port: int = 25
    rasa_url: str = "http://127.0.0.1:5005"
    sender: str = "Harbor & Pine <assistant@localhost>"
    senders_authenticated: bool = False
    identity_secret: str = ""
    database_url: str = ""
    max_bytes: int = 1_000_000

    @property
    def sender_address(self) -> str:
        return parseaddr(self.sender)[1].lower()

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GatewayConfig:
        """Read EMAIL_LISTEN_PORT, EMAIL_SMTP_HOST, EMAIL_SMTP_PORT, EMAIL_FROM, RASA_URL, EMAIL_MAX_BYTES,
        EMAIL_SENDERS_AUTHENTICATED, IDENTITY_SECRET, EMAIL_THREAD_SECRET and STORE_DATABASE_URL; raises ConfigError."""
        identity_secret = env.get("IDENTITY_SECRET", "")
        thread_secret = env.get("EMAIL_THREAD_SECRET") or identity_secret
        if not thread_secret:
            raise ConfigError("IDENTITY_SECRET (or EMAIL_THREAD_SECRET) must be set: it keys the conversation ids of email threads")
        smtp_host = env.get("EMAIL_SMTP_HOST", "").strip()
        if not smtp_host:
            raise ConfigError("EMAIL_SMTP_HOST must be set: the SMTP server the replies are sent through")
        sender = env.get("EMAIL_FROM") or cls.sender
        if "@" not in parseaddr(sender)[1]:
            raise ConfigError(f"EMAIL_FROM must be an email address, got {sender!r}")
        rasa_url = (env.get("RASA_URL") or cls.rasa_url).rstrip("/")
        if not rasa_url.startswith(("http://", "https://")):
            raise ConfigError(f"RASA_URL must start with http:// or https://, got {rasa_url!r}")
        authenticated = _flag(env, "EMAIL_SENDERS_AUTHENTICATED")
        if authenticated and not identity_secret:
            raise ConfigError("EMAIL_SENDERS_AUTHENTICATED needs IDENTITY_SECRET to sign the senders' customer ids")
        return cls(
            listen_port=_int(env, "EMAIL_LISTEN_PORT", None, 1, 65535),
            smtp_host=smtp_host,
            smtp_port=_int(env, "EMAIL_SMTP_PORT", 25, 1, 65535),
            thread_secret=thread_secret,
            rasa_url=rasa_url,
            sender=sender,
            senders_authenticated=authenticated,
            identity_secret=identity_secret,
            database_url=env.get("STORE_DATABASE_URL") or get_settings().database_url,
            max_bytes=_int(env, "EMAIL_MAX_BYTES", 1_000_000, 10_000, 100_000_000),
        )


def _int(env: Mapping[str, str], name: str, default: int | None, low: int, high: int) -> int:
    value = env.get(name, "").strip()
    if not value and default is not None:
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    return int(value)


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name, "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name} must be true or false, got {value!r}")


# --- talking to Rasa -----------------------------------------------------------------------------

async def ask_rasa(rasa_url: str, sender_id: str, text: str, metadata: dict[str, str] | None,
                   timeout_s: float = RASA_TIMEOUT_S) -> list[dict[str, Any]]:
    """The bot's messages for one user message, through Rasa's REST channel; raises RasaUnavailable."""
    body: dict[str, Any] = {"sender": sender_id, "message": text, "input_channel": "email"}
    if metadata:
        body["metadata"] = metadata
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as http:
            async with http.post(f"{rasa_url}/webhooks/rest/webhook", json=body) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"HTTP {response.status}")
                messages = await response.json(content_type=None)
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
        raise RasaUnavailable(f"{type(exc).__name__}: {exc}") from exc
    if not isinstance(messages, list):
        raise RasaUnavailable("the webhook did not return a list of messages")
    return [m for m in messages if isinstance(m, dict)]


def render_bot_messages(messages: list[dict[str, Any]]) -> str:
    """The bot's messages as the plain-text body of one email (buttons become the words to reply with)."""
    parts: list[str] = []
    for message in messages:
        text = message.get("text")
        if isinstance(text, str) and text.strip():
            parts.append(text.strip())
        buttons = message.get("buttons")
        titles = [b["title"] for b in buttons if isinstance(b, dict) and isinstance(b.get("title"), str)] if isinstance(buttons, list) else []
        if titles:
            parts.append("You can reply with: " + ", ".join(titles))
        if isinstance(message.get("image"), str):
            parts.append(message["image"])
    return "\n\n".join(parts)


def customer_for_address(database_url: str, address: str) -> str | None:
    """The id of the customer whose account email is ``address``, or None."""
    email = normalise_email(address)
    if email is None:
        return None
    with session_scope(database_url) as session:
        return session.execute(select(Customer.id).where(Customer.email == email)).scalar_one_or_none()


# --- composing and sending replies ---------------------------------------------------------------

def compose_reply(mail: IncomingMail, body: str, sender: str) -> EmailMessage:
    """The reply to ``mail``: same thread (In-Reply-To, References, Re: subject), marked as automatic (RFC 3834)."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = formataddr((mail.sender_name, mail.sender))
    reply["Subject"] = reply_subject(mail.subject)
    reply["Date"] = formatdate(usegmt=True)
    reply["Message-ID"] = reply_message_id(mail.thread_key, domain, secrets.token_hex(8))
    reply["In-Reply-To"] = mail.message_id
    reply["References"] = reply_references(mail)
    reply["Auto-Submitted"] = "auto-replied"
    reply.set_content(body)
    return reply


def send_reply(host: str, port: int, reply: EmailMessage) -> None:
    """Hand ``reply`` to the outbound SMTP server (blocking; raises OSError or SMTPException)."""
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        smtp.send_message(reply)


@dataclass
class _Answer:
    reply: EmailMessage
    sent: bool = False


class EmailGateway:
    """aiosmtpd handler: one inbound mail -> one Rasa turn -> one threaded reply."""

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        # Replies by sender and inbound Message-ID: a retried or duplicated delivery is not a second Rasa turn.
        self._answers: OrderedDict[str, _Answer] = OrderedDict()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        try:
            return await self._handle(envelope)
        except Exception:  # never let one mail take the gateway down; the sender retries
            log.exception("unexpected error while handling a mail")
            return TEMPORARY_FAILURE

    async def _handle(self, envelope: Envelope) -> str:
        try:
            mail = read_mail(envelope.original_content or b"", envelope.mail_from)
        except BadMail as exc:
            log.warning("rejected a mail: %s", exc)
            return f"550 5.6.0 Rejected: {exc}"
        if mail.automatic or mail.sender == self.config.sender_address:
            log.info("ignored automatic mail %s (no reply, to avoid mail loops)", mail.message_id)
            return "250 2.0.0 Automatic mail accepted, not answered"
        answer = self._answers.get(f"{mail.sender} {mail.message_id}")
        if answer is not None and answer.sent:
            log.info("duplicate delivery of %s: already answered", mail.message_id)
            return "250 2.0.0 Already answered"
        if answer is None:
            try:
                body = await self._reply_body(mail)
            except RasaUnavailable as exc:
                log.warning("Rasa call for %s failed (%s): asking the sender to retry", mail.message_id, exc)
                return "451 4.3.0 The assistant is unavailable, please try again later"
            if not body:
                log.info("no bot reply to %s (conversation paused or nothing to say)", mail.message_id)
                return "250 2.0.0 Accepted"
            answer = self._remember(f"{mail.sender} {mail.message_id}", compose_reply(mail, body, self.config.sender))
        try:
            await asyncio.get_running_loop().run_in_executor(None, send_reply, self.config.smtp_host, self.config.smtp_port, answer.reply)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("sending the reply to %s failed (%s): asking the sender to retry", mail.message_id, exc)
            return "451 4.4.1 Could not send the reply, please try again later"
        answer.sent = True
        log.info("answered %s", mail.message_id)
        return "250 2.0.0 Answered"

    async def _reply_body(self, mail: IncomingMail) -> str:
        """The reply's text; only mail with text reaches Rasa."""
        if not mail.text:
            return ATTACHMENTS_ONLY_REPLY if mail.has_attachments else EMPTY_MAIL_REPLY
        sender_id = conversation_id(mail.thread_key, mail.sender, self.config.thread_secret)
        metadata = await self._identity(mail)
        messages = await ask_rasa(self.config.rasa_url, sender_id, mail.text[:MAX_TEXT_CHARS], metadata)
        body = render_bot_messages(messages)
        log.info("%s -> conversation %s (%s), %d bot messages", mail.message_id, sender_id,
                 "known customer" if metadata else "anonymous", len(messages))
        return f"{body}\n\n{ATTACHMENT_NOTE}" if body and mail.has_attachments else body

    async def _identity(self, mail: IncomingMail) -> dict[str, str] | None:
        """Signed customer metadata, only when the deployment declares its MTA authenticates From addresses."""
        if not self.config.senders_authenticated:
            return None
        loop = asyncio.get_running_loop()
        customer_id = await loop.run_in_executor(None, customer_for_address, self.config.database_url, mail.sender)
        if customer_id is None:
            return None
        return {"customer_id": customer_id, "customer_token": sign_customer_id(self.config.identity_secret, customer_id)}

    def _remember(self, key: str, reply: EmailMessage) -> _Answer:
        answer = self._answers[key] = _Answer(reply)
        while len(self._answers) > REMEMBERED_REPLIES:
            self._answers.popitem(last=False)
        return answer


# --- the SMTP server -----------------------------------------------------------------------------

class LoggedSMTP(SMTP):
    """aiosmtpd's SMTP session that logs every refusal it sends (oversized mail, bad commands, our 4xx/5xx)."""

    async def push(self, status: Any) -> None:
        text = status.decode(errors="replace") if isinstance(status, bytes) else str(status)
        if text[:1] in ("4", "5"):
            log.warning("refused %s: %s", self.session.peer if self.session else "?", text)
        await super().push(status)


class GatewayController(Controller):
    """aiosmtpd's threaded controller serving :class:`LoggedSMTP` sessions."""

    def factory(self) -> SMTP:
        return LoggedSMTP(self.handler, **self.SMTP_kwargs)


def build_controller(config: GatewayConfig) -> GatewayController:
    """The gateway's SMTP server on 127.0.0.1:``listen_port`` (not started)."""
    return GatewayController(EmailGateway(config), hostname=LISTEN_HOST, port=config.listen_port,
                             data_size_limit=config.max_bytes, decode_data=False, enable_SMTPUTF8=True,
                             ident="Harbor & Pine email gateway")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every sender address at INFO
    try:
        config = GatewayConfig.from_env(os.environ)
    except ConfigError as exc:
        print(f"email gateway: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    controller = build_controller(config)
    try:
        controller.start()
    except OSError as exc:
        print(f"email gateway: cannot listen on {LISTEN_HOST}:{config.listen_port}: {exc}", file=sys.stderr)
        return 1
    log.info("listening on %s:%d; Rasa at %s; replies via %s:%d from %s; senders %s", LISTEN_HOST, config.listen_port,
             config.rasa_url, config.smtp_host, config.smtp_port, config.sender,
             "authenticated by the MTA (known customers signed in)" if config.senders_authenticated else "anonymous")
    while not stop.wait(1.0):
        pass
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
