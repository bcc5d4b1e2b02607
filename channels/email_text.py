"""Reading an inbound email: the shopper's new text, who sent it, and which thread it belongs to.

Pure functions over the stdlib ``email`` package (no I/O), used by ``channels.email_gateway``:
- :func:`read_mail` parses raw bytes into an :class:`IncomingMail` or raises :class:`BadMail`;
- the body is the text/plain part (HTML converted when there is none), decoded with a charset
  fallback for undeclared and mis-declared charsets, then stripped of quoted history, signatures
  and the opening/closing formulas ("Hi,", "Thanks,\nAlice") that drown a short request in NLU;
- the thread key comes from the root Message-ID (first of References, else In-Reply-To, else the
  mail's own Message-ID); our replies carry it in their Message-ID so clients that send only
  In-Reply-To stay in the thread.
"""

from __future__ import annotations

import codecs
import hashlib
import hmac
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import getaddresses
from html.parser import HTMLParser

MESSAGE_ID_RE = re.compile(r"<[^<>\s]{1,995}>")
OUR_MESSAGE_ID_RE = re.compile(r"<hp\.([0-9a-f]{32})\.[0-9a-f]+@[^<>\s]+>")  # see reply_message_id
AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}


class BadMail(ValueError):
    """A mail the gateway cannot answer (no Message-ID, no sender address): rejected, not sent to Rasa."""


@dataclass(frozen=True)
class IncomingMail:
    """What the gateway needs from one inbound email."""

    message_id: str
    thread_key: str
    sender: str  # lower-cased address from the From header
    sender_name: str
    subject: str
    references: tuple[str, ...]  # the mail's References (or In-Reply-To), for the reply's References
    text: str  # the new text, quoted history and signature removed; "" when none
    has_attachments: bool
    automatic: bool  # auto-reply, bounce, mailing list: never answered (mail loops)


def read_mail(raw: bytes, envelope_sender: str | None = None) -> IncomingMail:
    """Parse one raw RFC 5322 message; raises BadMail when it has no Message-ID or no single From address."""
    msg = message_from_bytes(raw, policy=policy.default)
    own_ids = message_ids(header_text(msg, "Message-ID"))
    if not own_ids:
        raise BadMail("no Message-ID header")
    sender_name, sender = from_address(msg)
    if not sender:
        raise BadMail("no single sender address in From")
    references = tuple(message_ids(header_text(msg, "References")) or message_ids(header_text(msg, "In-Reply-To")))
    return IncomingMail(
        message_id=own_ids[0],
        thread_key=thread_key(own_ids[0], references),
        sender=sender,
        sender_name=sender_name,
        subject=header_text(msg, "Subject"),
        references=references,
        text=strip_quoted_history(body_text(msg)),
        has_attachments=any(True for _ in msg.iter_attachments()),
        automatic=is_automatic(msg, envelope_sender),
    )


# --- headers -------------------------------------------------------------------------------------

def header_text(msg: EmailMessage, name: str) -> str:
    """A header as clean text: encoded words decoded, raw 8-bit bytes decoded like bodies, one line."""
    raw = next((value for key, value in msg.raw_items() if key.lower() == name.lower()), None)
    if raw is None:
        return ""
    if any("\udc80" <= ch <= "\udcff" for ch in raw):  # undeclared 8-bit bytes, kept as surrogates by the parser
        text = decode_bytes(raw.encode("ascii", "surrogateescape"), None)
    else:
        try:
            text = str(make_header(decode_header(raw)))
        except (LookupError, UnicodeDecodeError, ValueError):  # unknown charset in an encoded word
            text = str(msg.get(name, ""))
    return " ".join(text.split())


def message_ids(value: str) -> list[str]:
    """The ``<id>`` tokens of a Message-ID, In-Reply-To or References header, in order."""
    return MESSAGE_ID_RE.findall(value or "")


def from_address(msg: EmailMessage) -> tuple[str, str]:
    """(display name, lower-cased address) of the single From address, or ("", "") when there is not exactly one."""
    found = [(name, addr) for name, addr in getaddresses([header_text(msg, "From")]) if addr]
    if len(found) != 1:
        return "", ""
    name, addr = found[0]
    local, at, domain = addr.rpartition("@")
    if not at or not local or "." not in domain or any(ch.isspace() for ch in addr):
        return "", ""
    return name, addr.lower()


def is_automatic(msg: EmailMessage, envelope_sender: str | None = None) -> bool:
    """True for mail no one typed: auto-replies, bounces, list traffic (RFC 3834); answering them loops."""
    auto_submitted = header_text(msg, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if header_text(msg, "Precedence").lower() in AUTOMATIC_PRECEDENCE:
        return True
    if header_text(msg, "List-Id") or header_text(msg, "X-Autoreply") or header_text(msg, "X-Autorespond"):
        return True
    if msg.get_content_type() == "multipart/report":  # delivery status notifications
        return True
    return envelope_sender is not None and envelope_sender in ("", "<>")


# --- threading -----------------------------------------------------------------------------------

def thread_key(message_id: str, references: tuple[str, ...] | list[str]) -> str:
    """A stable key of the thread: the one our replies carry in their Message-ID, else the hash of its root Message-ID."""
    for ref in references:
        ours = OUR_MESSAGE_ID_RE.fullmatch(ref)
        if ours:  # a client that sends only In-Reply-To (our reply) still lands in the thread
            return ours.group(1)
    root = references[0] if references else message_id
    return hashlib.sha256(root.encode()).hexdigest()[:32]


def conversation_id(key: str, sender: str, secret: str) -> str:
    """The Rasa sender id of this thread with this sender.

    Keyed by the sender as well as the thread, so someone who learns a thread's Message-ID cannot
    join another shopper's (possibly verified) conversation from their own address; an HMAC so
    nobody can compute the id and post to the REST webhook directly.
    """
    digest = hmac.new(secret.encode(), f"email-thread\n{key}\n{sender.lower()}".encode(), hashlib.sha256).hexdigest()
    return f"email-{digest[:32]}"


def reply_message_id(key: str, domain: str, unique: str) -> str:
    """Message-ID of our reply in thread ``key`` (``unique``: random hex)."""
    return f"<hp.{key}.{unique}@{domain}>"


def reply_references(mail: IncomingMail) -> str:
    """References of the reply (RFC 5322 3.6.4): the mail's references, then its Message-ID."""
    ids = [*mail.references, mail.message_id]
    if len(ids) > 20:  # keep the root and the most recent ones; headers have line limits
        ids = ids[:1] + ids[-19:]
    return " ".join(ids)


def reply_subject(subject: str) -> str:
    """``Re: <subject>``, without stacking prefixes."""
    subject = subject.strip() or "Your message"
    return subject if re.match(r"(re|aw|sv|antw)\s*:", subject, re.IGNORECASE) else f"Re: {subject}"


# --- body ----------------------------------------------------------------------------------------

def body_text(msg: EmailMessage) -> str:
    """The message's text: the text/plain body, else its HTML body as text, else ""."""
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    data = part.get_payload(decode=True) or b""
    text = decode_bytes(data, part.get_content_charset())
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_bytes(data: bytes, declared: str | None) -> str:
    """Decode with the declared charset, falling back to UTF-8, Windows-1252 and Latin-1 (which never fails).

    Valid UTF-8 wins over a declared single-byte charset: real Latin-1 text almost never forms
    valid multi-byte UTF-8, while UTF-8 mail labelled iso-8859-1 is common.
    """
    candidates = [c for c in ("utf-8", declared) if c] if _single_byte(declared) else [c for c in (declared, "utf-8") if c]
    for charset in [*candidates, "cp1252"]:
        try:
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


def _single_byte(charset: str | None) -> bool:
    if not charset:
        return True
    try:
        name = codecs.lookup(charset).name
    except LookupError:
        return True
    return name.startswith(("ascii", "iso8859", "latin", "cp125", "windows-125"))


class _HtmlText(HTMLParser):
    """Visible text of an HTML body, without quoted replies (blockquote, Gmail's gmail_quote)."""

    BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "hr", "pre"}
    HIDDEN = {"script", "style", "head", "title", "blockquote"}
    VOID = {"br", "hr", "img", "meta", "link", "input", "col", "area", "base", "wbr", "source"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, hidden)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCK:
            self.chunks.append("\n")
        if tag in self.VOID:
            return
        classes = " ".join(v or "" for k, v in attrs if k == "class")
        hidden = self._hidden() or tag in self.HIDDEN or "gmail_quote" in classes or "moz-cite-prefix" in classes
        self.stack.append((tag, hidden))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCK:
            self.chunks.append("\n")
        for i in range(len(self.stack) - 1, -1, -1):  # close up to the matching tag: mail HTML is often unbalanced
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data: str) -> None:
        if not self._hidden():
            self.chunks.append(data)

    def _hidden(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]


def html_to_text(html: str) -> str:
    """Plain text of an HTML mail body (stdlib html.parser; quoted replies dropped)."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.chunks).replace("\xa0", " ").split("\n")]
    return "\n".join(lines)


# --- quoted history and signatures ---------------------------------------------------------------

ATTRIBUTION_RE = re.compile(
    r"^\s*(On\b.{0,300}\bwrote|Am\b.{0,300}\bschrieb|Le\b.{0,300}\ba écrit|El\b.{0,300}\bescribió|Op\b.{0,300}\bschreef)\s*:\s*$",
    re.IGNORECASE,
)
HISTORY_START_RE = re.compile(
    r"^\s*(-{2,}\s*(Original Message|Urspr.ngliche Nachricht|Message d'origine|Mensaje original)\s*-{2,}|_{10,})\s*$",
    re.IGNORECASE,
)
OUTLOOK_HEADER_RE = re.compile(r"^\s*\*?(From|Von|De)\s*:\*?\s+\S", re.IGNORECASE)
OUTLOOK_NEXT_RE = re.compile(r"^\s*\*?(Sent|Date|Gesendet|Envoyé|Enviado|To|An|À|Para)\s*:", re.IGNORECASE)
SIGNATURE_RE = re.compile(
    r"^(--\s*|\s*Sent from my \w[\w ]{0,40}|\s*Sent from (Mail|Outlook|Yahoo Mail) for .{1,40}|\s*Get Outlook for \w+\s*|\s*Sent from Outlook)$",
    re.IGNORECASE,
)


def strip_quoted_history(text: str) -> str:
    """The shopper's new words: quoted lines, reply attributions, forwarded history and signatures removed."""
    lines = text.split("\n")
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith(">"):
            i += 1
            continue
        span = _attribution_span(lines, i)
        if span:
            if not _next_text_is_quoted(lines, i + span):
                break  # top-posting over unquoted history
            i += span  # bottom-posting: the shopper may write below the quote
            continue
        if HISTORY_START_RE.match(line) or SIGNATURE_RE.match(line):
            break
        if OUTLOOK_HEADER_RE.match(line) and any(OUTLOOK_NEXT_RE.match(n) for n in lines[i + 1 : i + 4]):
            break
        kept.append(line.rstrip())
        i += 1
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(kept).strip())
    return strip_salutations(text)


GREETING_RE = re.compile(r"^(hi|hello|hey|dear|good (morning|afternoon|evening)|hallo|bonjour|hola)\b[^,!.?\n]{0,40}[,!:]\s*", re.IGNORECASE)
REGARDS_RE = re.compile(
    r"^((best|kind|warm|many)? ?regards|best|best wishes|cheers|sincerely|yours( sincerely| truly)?|all the best|cordialement|"
    r"(viele )?gr(ü|ue)(ß|ss)e|mit freundlichen gr(ü|ue)(ß|ss)en|saludos)\s*[,.!]*$",
    re.IGNORECASE,
)
THANKS = r"(thanks|thank you|many thanks|merci)( (a lot|so much|in advance|again|beaucoup))?"
THANKS_LINE_RE = re.compile(rf"^{THANKS}\s*[,.!]*$", re.IGNORECASE)
THANKS_AFTER_QUESTION_RE = re.compile(rf"(?<=\?)[ \t]+{THANKS}(,? [A-Z][\w.-]*)?\s*[.!]*\s*$", re.IGNORECASE)


def strip_salutations(text: str) -> str:
    """Without an opening "Hi," and a closing "Thanks,\nAlice": formulas that outweigh a short request in NLU.

    Thanks count as a formula only as a sign-off ("Thanks," or after a question); "It came fast.
    Thank you so much!" keeps its thanks for the emotion classifier. Never strips a mail down to
    nothing: a reply that is only "Thanks!" still says thanks.
    """
    text = GREETING_RE.sub("", text, count=1).lstrip() or text
    text = THANKS_AFTER_QUESTION_RE.sub("", text) or text  # "where is my order 100234? Thanks Alice"
    lines = text.split("\n")
    for i in range(len(lines) - 1, max(-1, len(lines) - 5), -1):
        line, before = lines[i].strip(), "\n".join(lines[:i]).strip()
        if REGARDS_RE.match(line) or (THANKS_LINE_RE.match(line) and (line.endswith(",") or before.endswith("?"))):
            signature = [rest for rest in lines[i + 1 :] if rest.strip()]
            if before and len(signature) <= 3 and all(len(rest.split()) <= 6 and "?" not in rest for rest in signature):
                return before
            break
    return text


def _attribution_span(lines: list[str], i: int) -> int:
    """How many lines an "On ... wrote:" attribution starting at line ``i`` takes (clients wrap it): 0, 1 or 2."""
    if ATTRIBUTION_RE.match(lines[i]):
        return 1
    if i + 1 < len(lines) and lines[i].strip() and ATTRIBUTION_RE.match(f"{lines[i]} {lines[i + 1]}"):
        return 2
    return 0


def _next_text_is_quoted(lines: list[str], start: int) -> bool:
    following = next((line for line in lines[start:] if line.strip()), "")
    return following.lstrip().startswith(">")
