"""Reading inbound email (channels/email_text.py) on raw messages as real clients send them."""

from __future__ import annotations

import pytest

from channels.email_text import (
    BadMail,
    conversation_id,
    read_mail,
    reply_message_id,
    reply_references,
    reply_subject,
    strip_quoted_history,
)


def raw(*lines: str | bytes) -> bytes:
    """A raw message from header and body lines (str as UTF-8, bytes verbatim), CRLF line ends."""
    return b"\r\n".join(line if isinstance(line, bytes) else line.encode() for line in lines)


HEADERS = ("From: Alice Chen <Alice.Chen@Example.com>", "To: support@harborandpine.example", "Date: Mon, 16 Nov 2026 10:02:11 +0100")


def plain(body: str | bytes, charset: str = "utf-8", encoding: str = "8bit", message_id: str = "<m-1@mail.example>",
          extra: tuple[str, ...] = ()) -> bytes:
    return raw(*HEADERS, "Subject: Order question", f"Message-ID: {message_id}", *extra, "MIME-Version: 1.0",
               f"Content-Type: text/plain; charset={charset}", f"Content-Transfer-Encoding: {encoding}", "", body)


GMAIL_REPLY = raw(
    *HEADERS,
    "Subject: Re: Your order 100234",
    "Message-ID: <CAF=kq9xR2@mail.gmail.com>",
    "In-Reply-To: <hp-reply-7@harborandpine.example>",
    "References: <root-1@shop.example> <hp-reply-7@harborandpine.example>",
    "MIME-Version: 1.0",
    'Content-Type: multipart/alternative; boundary="000000000000b1f2e605"',
    "",
    "--000000000000b1f2e605",
    'Content-Type: text/plain; charset="UTF-8"',
    "Content-Transfer-Encoding: quoted-printable",
    "",
    "Hi, where is my order 100234? It=E2=80=99s been a week and I haven=E2=80=99t =",
    "heard anything.",
    "",
    "Thanks,",
    "Alice",
    "",
    "--=20",
    "Alice Chen",
    "Product designer, Example Co.",
    "",
    "On Mon, Nov 16, 2026 at 9:12=E2=80=AFAM Harbor & Pine Support <support@harborand=",
    "pine.example> wrote:",
    "",
    "> Thanks for your order 100234!",
    "> It will ship soon.",
    ">",
    "",
    "--000000000000b1f2e605",
    'Content-Type: text/html; charset="UTF-8"',
    "Content-Transfer-Encoding: quoted-printable",
    "",
    '<div dir=3D"ltr">Hi, where is my order 100234? It=E2=80=99s been a week</div><br><div class=3D"gmail_quote">',
    '<blockquote class=3D"gmail_quote">Thanks for your order 100234!</blockquote></div>',
    "",
    "--000000000000b1f2e605--",
    "",
)


def test_gmail_reply_gives_only_the_new_text_from_the_plain_part() -> None:
    mail = read_mail(GMAIL_REPLY)
    assert mail.text == "where is my order 100234? It\u2019s been a week and I haven\u2019t heard anything."
    assert (mail.sender, mail.sender_name) == ("alice.chen@example.com", "Alice Chen")
    assert mail.message_id == "<CAF=kq9xR2@mail.gmail.com>"
    assert mail.subject == "Re: Your order 100234"
    assert not mail.has_attachments and not mail.automatic


def test_html_only_mail_is_read_as_text_without_styles_or_the_quoted_reply() -> None:
    html = ('<html><head><style>p {color: red}</style><title>x</title></head><body>'
            '<p>About my order:</p><p>Can I change the delivery address for order&nbsp;100235?<br>'
            "The new one is 12 Rue de l&#8217;\u00c9glise, Lyon &amp; it's urgent.</p>"
            '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">Il giorno lun 16 nov 2026 alle 09:12 Harbor &amp; Pine ha scritto:<br></div>'
            "<blockquote>Your order 100235 has been placed.</blockquote></div>"
            "<script>alert(1)</script></body></html>")
    message = raw(*HEADERS, "Subject: Address", "Message-ID: <html-1@mail.example>", "MIME-Version: 1.0",
                  "Content-Type: text/html; charset=windows-1252", "Content-Transfer-Encoding: 8bit", "", html.encode("cp1252"))
    mail = read_mail(message)
    assert mail.text == ("About my order:\n\nCan I change the delivery address for order 100235?\n"
                         "The new one is 12 Rue de l\u2019\u00c9glise, Lyon & it's urgent.")


def test_latin1_mail_and_its_raw_8bit_subject_are_decoded() -> None:
    message = raw(*HEADERS, b"Subject: Probl\xe8me de livraison", "Message-ID: <latin-1@mail.example>", "MIME-Version: 1.0",
                  "Content-Type: text/plain; charset=iso-8859-1", "Content-Transfer-Encoding: 8bit", "",
                  b"O\xf9 est ma commande 100240 ?", b"Merci, Zo\xeb")
    mail = read_mail(message)
    assert mail.text == "O\u00f9 est ma commande 100240 ?\nMerci, Zo\u00eb"
    assert mail.subject == "Probl\u00e8me de livraison"


@pytest.mark.parametrize(("charset", "body"), [
    ("utf-8", b"caf\xe9 order 100234"),              # Latin-1 bytes declared UTF-8
    ("iso-8859-1", b"caf\xc3\xa9 order 100234"),     # UTF-8 bytes declared Latin-1
    ("x-made-up-charset", b"caf\xc3\xa9 order 100234"),
    ("us-ascii", b"caf\xc3\xa9 order 100234"),
])
def test_misdeclared_and_unknown_charsets_are_recovered(charset: str, body: bytes) -> None:
    assert read_mail(plain(body, charset=charset)).text == "caf\u00e9 order 100234"


def test_quoted_printable_latin1_body() -> None:
    assert read_mail(plain("Gr=FC=DFe, Bestellung 100234 bitte stornieren.", charset="iso-8859-1", encoding="quoted-printable")).text \
        == "Gr\u00fc\u00dfe, Bestellung 100234 bitte stornieren."


@pytest.mark.parametrize("history", [
    "-----Original Message-----\nFrom: Harbor & Pine <support@harborandpine.example>\nSent: Monday, November 16, 2026 9:12 AM\n"
    "To: Bob Martin\nSubject: Shall I cancel order 100235?\n\nShall I cancel order 100235?",
    "________________________________\nFrom: Harbor & Pine <support@harborandpine.example>\nSent: Monday, November 16, 2026 9:12\n"
    "Subject: Your order\n\nShall I cancel order 100235?",
    "From: Harbor & Pine <support@harborandpine.example>\nDate: Monday, 16 November 2026 at 09:12\nTo: Bob Martin\n\n"
    "Shall I cancel order 100235?",
])
def test_outlook_history_below_the_reply_is_dropped(history: str) -> None:
    assert strip_quoted_history(f"Yes please cancel it.\n\nBob\n\n{history}\n") == "Yes please cancel it.\n\nBob"


def test_bottom_posted_answer_below_the_quote_is_kept_and_mobile_signature_dropped() -> None:
    text = ("On 16 Nov 2026, at 09:12, Harbor & Pine <support@harborandpine.example> wrote:\n\n"
            "> Shall I cancel order 100235?\n>\n\nYes, cancel it\n\nSent from my iPhone\n")
    assert strip_quoted_history(text) == "Yes, cancel it"


def test_wrapped_attribution_and_inline_quotes() -> None:
    text = ("> What is the order number?\n100234\n> And the email on the order?\nalice@example.com\n\n"
            "On Mon, 16 Nov 2026 at 09:12, Harbor & Pine Customer Support Team <\nsupport@harborandpine.example> wrote:\n"
            "> Hello\n")
    assert strip_quoted_history(text) == "100234\nalice@example.com"


def test_signature_variants_are_dropped() -> None:
    for signature in ("-- \nBob Martin\n+1 555 0100", "--\nBob", "Get Outlook for iOS", "Sent from my Galaxy", "Sent from Mail for Windows"):
        assert strip_quoted_history(f"Where is order 100241?\n\n{signature}") == "Where is order 100241?"


@pytest.mark.parametrize(("text", "request_only"), [
    ("Hi,\n\nwhere is my order 100234?\n\nThanks\nAlice", "where is my order 100234?"),
    ("Hi, where is my order 100234? Thanks Alice", "where is my order 100234?"),
    ("Hello Harbor & Pine team,\n\nWhen will order 100240 arrive?\n\nKind regards,\nBob Martin", "When will order 100240 arrive?"),
    ("Dear Sir or Madam:\nplease cancel order 100235.\nBest,\nAlice", "please cancel order 100235."),
    ("It came fast.\n\nThanks,\nAlice", "It came fast."),
])
def test_greetings_and_sign_offs_are_dropped(text: str, request_only: str) -> None:
    assert strip_quoted_history(text) == request_only


@pytest.mark.parametrize("text", ["Thanks!", "Hi", "Best", "It came fast. Thank you so much!", "My order arrived. Thanks, it is perfect!",
                                  "It came so fast.\n\nThank you so much!"])
def test_thanks_that_mean_something_and_one_word_mails_are_kept(text: str) -> None:
    assert strip_quoted_history(text) == text


def test_text_that_only_mentions_quotes_is_kept() -> None:
    text = "On Monday I ordered a lamp (order 100250).\nMy friend said -- it would come by Friday. Where is it?"
    assert strip_quoted_history(text) == text


def test_a_thread_keeps_one_key_whether_clients_send_references_or_only_in_reply_to() -> None:
    root = read_mail(plain("where is my order 100234?", message_id="<root-1@shop.example>"))
    our_reply_id = reply_message_id(root.thread_key, "harborandpine.example", "ab12")
    with_references = read_mail(plain("alice@example.com", message_id="<r-2@mail.example>",
                                      extra=(f"In-Reply-To: {our_reply_id}", f"References: <root-1@shop.example> {our_reply_id}")))
    in_reply_to_only = read_mail(plain("alice@example.com", message_id="<r-3@mail.example>", extra=(f"In-Reply-To: {our_reply_id}",)))
    gmail = read_mail(GMAIL_REPLY)  # References starts with the same root
    other = read_mail(plain("where is my order 100235?", message_id="<root-2@shop.example>"))
    assert with_references.thread_key == in_reply_to_only.thread_key == gmail.thread_key == root.thread_key
    assert other.thread_key != root.thread_key
    assert reply_references(with_references) == f"<root-1@shop.example> {our_reply_id} <r-2@mail.example>"
    assert reply_references(root) == "<root-1@shop.example>"


def test_conversation_ids_are_per_thread_and_sender_and_need_the_secret() -> None:
    key = read_mail(GMAIL_REPLY).thread_key
    alice = conversation_id(key, "alice.chen@example.com", "s3cret")
    assert alice == conversation_id(key, "Alice.Chen@Example.com", "s3cret")
    assert alice.startswith("email-") and len(alice) < 64
    assert len({alice, conversation_id(key, "mallory@example.com", "s3cret"), conversation_id(key, "alice.chen@example.com", "other"),
                conversation_id("0" * 32, "alice.chen@example.com", "s3cret")}) == 4


def test_reply_subject() -> None:
    assert reply_subject("Order question") == "Re: Order question"
    assert reply_subject("RE: Order question") == "RE: Order question"
    assert reply_subject("  ") == "Re: Your message"


def test_headers_cannot_smuggle_line_breaks() -> None:
    mail = read_mail(raw(*HEADERS, "Subject: =?utf-8?q?Hi=0D=0ABcc:_evil@example.com?=", "Message-ID: <h-1@mail.example>", "", "hello"))
    assert mail.subject == "Hi Bcc: evil@example.com"


ATTACHMENT = ("--b1", "Content-Type: image/jpeg", 'Content-Disposition: attachment; filename="damage.jpg"',
              "Content-Transfer-Encoding: base64", "", "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//", "")


def test_attachments_only_empty_and_text_with_attachment() -> None:
    only = read_mail(raw(*HEADERS, "Subject: photo", "Message-ID: <a-1@mail.example>", "MIME-Version: 1.0",
                         'Content-Type: multipart/mixed; boundary="b1"', "", *ATTACHMENT, "--b1--", ""))
    assert (only.text, only.has_attachments) == ("", True)
    with_text = read_mail(raw(*HEADERS, "Subject: photo", "Message-ID: <a-2@mail.example>", "MIME-Version: 1.0",
                              'Content-Type: multipart/mixed; boundary="b1"', "", "--b1", "Content-Type: text/plain; charset=utf-8", "",
                              "My order 100240 arrived broken, photo attached.", "", *ATTACHMENT, "--b1--", ""))
    assert (with_text.text, with_text.has_attachments) == ("My order 100240 arrived broken, photo attached.", True)
    empty = read_mail(plain("  \r\n\r\n-- \r\nAlice"))
    assert (empty.text, empty.has_attachments) == ("", False)


def test_mail_without_message_id_or_a_single_sender_is_bad() -> None:
    with pytest.raises(BadMail, match="Message-ID"):
        read_mail(raw(*HEADERS, "Subject: hi", "", "where is my order 100234?"))
    for sender in ("From: undisclosed-recipients:;", "From: Alice <alice@example.com>, Bob <bob@example.com>", "From: not an address"):
        with pytest.raises(BadMail, match="sender"):
            read_mail(raw(sender, "Subject: hi", "Message-ID: <b-1@mail.example>", "", "where is my order 100234?"))


@pytest.mark.parametrize(("header", "automatic"), [
    ("Auto-Submitted: auto-replied", True),
    ("Precedence: bulk", True),
    ("List-Id: <shoppers.lists.example>", True),
    ("X-Autoreply: yes", True),
    ("Auto-Submitted: no", False),
    ("X-Mailer: Thunderbird", False),
])
def test_automatic_mail_is_recognised(header: str, automatic: bool) -> None:
    assert read_mail(plain("I am out of the office until Monday.", extra=(header,))).automatic is automatic


def test_delivery_reports_are_automatic() -> None:
    report = raw("From: Mail Delivery System <MAILER-DAEMON@mx.example>", "Subject: Undelivered Mail", "Message-ID: <dsn-1@mx.example>",
                 "MIME-Version: 1.0", 'Content-Type: multipart/report; report-type=delivery-status; boundary="r"', "",
                 "--r", "Content-Type: text/plain", "", "Delivery failed.", "--r--", "")
    assert read_mail(report).automatic
