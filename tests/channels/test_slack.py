"""channels.slack without a Rasa model: the real blueprint in a Sanic server on 127.0.0.1, real signed
requests, the local Slack Web API double and a real SQLite store for linked accounts.

Rasa's message handler is replaced by a recorder that answers "echo: <text>" through the output channel
the channel created, so each test sees both what reached Rasa and what was posted back to Slack.
A rejected request must reach nothing: every such test ends with a valid "sentinel" message from the
same user and checks that only the sentinel arrived (tasks run in the order they were created).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from rasa.core.channels.channel import UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Sanic

from channels.slack import MAX_BODY_BYTES, RecentKeys, SlackInput, SlackOutput, plain_text
from services.store.db import session_scope
from services.store.identity import customer_from_metadata
from services.store.linked_accounts import link_account
from services.store.seed.run import seed_database
from tests.conftest import TODAY
from tests.e2e.slack_double import (
    BOT_USER,
    SlackApiDouble,
    SlackEvents,
    app_mention,
    block_actions,
    bot_message,
    direct_message,
    event_callback,
    message_ts,
    slack_signature,
)

SIGNING_SECRET = "unit-signing-secret"
IDENTITY_SECRET = "unit-identity-secret"
TOKEN = "xoxb-test"
ALICE = "U0ALICE01"  # linked to C-1001
STRANGER = "U0STRANGE"  # not linked


class ChannelServer:
    """The channel's blueprint in a Sanic app on a free loopback port; messages go to a recorder."""

    def __init__(self, channel: SlackInput) -> None:
        self.channel = channel
        self.messages: list[UserMessage] = []
        self.hold = threading.Event()  # cleared: the recorder waits before recording (a slow Rasa)
        self.hold.set()
        self._recorded = threading.Condition()
        self.app = Sanic(f"slack-unit-{uuid.uuid4().hex[:8]}")
        self.app.blueprint(channel.blueprint(self.on_new_message), url_prefix="/webhooks/slack")
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.url = ""

    async def on_new_message(self, message: UserMessage) -> None:
        if not self.hold.is_set():  # no await otherwise: messages are recorded in the order they were dispatched
            await asyncio.to_thread(self.hold.wait, 30)
        with self._recorded:
            self.messages.append(message)
            self._recorded.notify_all()
        await message.output_channel.send_text_message(message.sender_id, f"echo: {message.text}")

    def wait_for_messages(self, count: int, timeout: float = 15) -> list[UserMessage]:
        deadline = time.monotonic() + timeout
        with self._recorded:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{len(self.messages)} of {count} messages reached the handler"
                self._recorded.wait(left)
            return list(self.messages)

    def __enter__(self) -> ChannelServer:
        self._thread.start()

        async def start() -> int:
            server = await self.app.create_server(host="127.0.0.1", port=0, return_asyncio_server=True, access_log=False)
            await server.startup()
            self._server = server
            return server.server.sockets[0].getsockname()[1]

        port = asyncio.run_coroutine_threadsafe(start(), self.loop).result(30)
        self.url = f"http://127.0.0.1:{port}/webhooks/slack/webhook"
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            self._server.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A seeded SQLite store where ALICE is linked to C-1001; the channel reads it from the environment."""
    url = f"sqlite:///{tmp_path_factory.mktemp('slack') / 'store.db'}"
    seed_database(url, today=TODAY, n_customers=5, progress=False)
    with session_scope(url) as session:
        link_account(session, "slack", ALICE, "C-1001")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("STORE_DATABASE_URL", url)
        env.setenv("IDENTITY_SECRET", IDENTITY_SECRET)
        yield url


@pytest.fixture(scope="module")
def slack_api() -> Iterator[SlackApiDouble]:
    with SlackApiDouble(TOKEN) as api:
        yield api


@pytest.fixture(scope="module")
def server(store: str, slack_api: SlackApiDouble) -> Iterator[ChannelServer]:
    channel = SlackInput.from_credentials({"slack_token": TOKEN, "slack_signing_secret": SIGNING_SECRET, "api_url": slack_api.url})
    with ChannelServer(channel) as running:
        yield running


@pytest.fixture
def slack(server: ChannelServer) -> SlackEvents:
    return SlackEvents(server.url, SIGNING_SECRET)


def dm_channel() -> str:
    return f"D{uuid.uuid4().hex[:9].upper()}"


def only_the_sentinel_arrives(server: ChannelServer, slack: SlackEvents, user: str, before: int) -> None:
    """Send a valid message from ``user`` and check it is the only one handled since ``before`` messages."""
    channel = dm_channel()
    assert slack.event(event_callback(direct_message(user, channel, "sentinel"))).status_code == 200
    arrived = server.wait_for_messages(before + 1)[before:]
    time.sleep(0.2)  # a wrongly dispatched request would have been recorded before the sentinel anyway
    assert [m.text for m in server.messages[before:]] == ["sentinel"], [m.text for m in arrived]


def test_from_credentials_reads_the_api_url_and_requires_the_secrets(slack_api: SlackApiDouble) -> None:
    channel = SlackInput.from_credentials({"slack_token": TOKEN, "slack_signing_secret": "s", "api_url": slack_api.url})
    assert channel.api_url == slack_api.url and channel.use_threads is True
    output = channel.get_output_channel("D1", "1.2")
    assert isinstance(output, SlackOutput) and output.client.base_url == slack_api.url and output.thread_id == "1.2"
    assert SlackInput.from_credentials({"slack_token": TOKEN, "slack_signing_secret": "s"}).get_output_channel().client.base_url == (
        "https://slack.com/api/")
    with pytest.raises(RasaException, match="signing secret"):
        SlackInput.from_credentials({"slack_token": TOKEN})
    with pytest.raises(RasaException):
        SlackInput.from_credentials(None)


def test_url_verification_returns_the_challenge_only_when_signed(slack: SlackEvents) -> None:
    challenge = uuid.uuid4().hex
    body = {"token": "unused", "challenge": challenge, "type": "url_verification"}
    answer = slack.event(body)
    assert answer.status_code == 200 and answer.json() == {"challenge": challenge}
    assert slack.event(body, signed=False).status_code == 401


def test_a_direct_message_is_acknowledged_before_it_is_handled(server: ChannelServer, slack: SlackEvents, slack_api: SlackApiDouble) -> None:
    channel, before = dm_channel(), len(server.messages)
    server.hold.clear()  # Rasa is slow
    try:
        started = time.monotonic()
        answer = slack.event(event_callback(direct_message(STRANGER, channel, "where is my order 100234?")))
        elapsed = time.monotonic() - started
        assert answer.status_code == 200 and elapsed < 1.0, (answer.status_code, elapsed)
        time.sleep(0.3)
        assert len(server.messages) == before, "handled before the acknowledgement"
    finally:
        server.hold.set()
    message = server.wait_for_messages(before + 1)[before]
    assert message.text == "where is my order 100234?" and message.input_channel == "slack"
    assert message.sender_id == server.channel.conversation_id(STRANGER, channel)
    assert message.metadata["out_channel"] == channel and message.metadata["thread_id"] is None
    assert message.metadata["slack_user"] == STRANGER
    [post] = slack_api.wait_for_posts(channel)
    assert post.text == "echo: where is my order 100234?" and post.thread_ts is None and post.token == TOKEN
    assert "as_user" not in post.args


def test_a_mention_in_a_thread_is_answered_in_that_thread_without_the_mention(
        server: ChannelServer, slack: SlackEvents, slack_api: SlackApiDouble) -> None:
    channel, thread, before = f"C{uuid.uuid4().hex[:9].upper()}", message_ts(), len(server.messages)
    assert slack.event(event_callback(app_mention(STRANGER, channel, "what is your return policy?", thread_ts=thread))).status_code == 200
    message = server.wait_for_messages(before + 1)[before]
    assert message.text == "what is your return policy?" and BOT_USER not in message.text
    [post] = slack_api.wait_for_posts(channel)
    assert (post.thread_ts, post.text) == (thread, "echo: what is your return policy?")


def test_channel_messages_without_a_mention_are_not_answered(server: ChannelServer, slack: SlackEvents) -> None:
    before = len(server.messages)
    event = {**direct_message(STRANGER, f"C{uuid.uuid4().hex[:9].upper()}", "lunch anyone?"), "channel_type": "channel"}
    answer = slack.event(event_callback(event))
    assert (answer.status_code, answer.text) == (200, "ignored")
    only_the_sentinel_arrives(server, slack, STRANGER, before)


def test_a_button_click_sends_the_button_value_in_the_buttons_thread(
        server: ChannelServer, slack: SlackEvents, slack_api: SlackApiDouble) -> None:
    channel, thread, before = dm_channel(), message_ts(), len(server.messages)
    shown = {"type": "message", "user": BOT_USER, "ts": message_ts(), "thread_ts": thread, "text": "Shall I cancel order 100235?"}
    button = {"type": "button", "text": {"type": "plain_text", "text": "Yes"}, "value": "/affirm"}
    assert slack.interaction(block_actions(ALICE, channel, button, shown)).status_code == 200
    message = server.wait_for_messages(before + 1)[before]
    assert message.text == "/affirm" and message.sender_id == server.channel.conversation_id(ALICE, channel)
    [post] = slack_api.wait_for_posts(channel)
    assert (post.thread_ts, post.text) == (thread, "echo: /affirm")


def test_redeliveries_are_answered_once(server: ChannelServer, slack: SlackEvents, slack_api: SlackApiDouble) -> None:
    channel, before = dm_channel(), len(server.messages)
    first = event_callback(direct_message(STRANGER, channel, "hello there"))
    assert slack.event(first).status_code == 200
    retries = [
        slack.event(first, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}),
        slack.event(first, headers={"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_error"}),
        slack.event(first),  # redelivered without the header
        slack.event({**first, "event_id": "EvOTHER0001"}),  # the same message under another event id
    ]
    assert all(r.status_code == 200 for r in retries), [r.status_code for r in retries]
    assert retries[0].headers.get("X-Slack-No-Retry") == "1"
    only_the_sentinel_arrives(server, slack, STRANGER, before + 1)
    assert [m.text for m in server.messages[before:before + 1]] == ["hello there"]
    assert len(slack_api.wait_for_posts(channel)) == 1


def test_a_retry_of_a_delivery_that_never_arrived_is_answered_once(server: ChannelServer, slack: SlackEvents) -> None:
    before = len(server.messages)
    lost = event_callback(direct_message(STRANGER, dm_channel(), "first attempt failed to connect"))
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "connection_failed"}
    assert slack.event(lost, headers=retry).status_code == 200
    assert slack.event(lost, headers={**retry, "X-Slack-Retry-Num": "2"}).status_code == 200
    assert server.wait_for_messages(before + 1)[before].text == "first attempt failed to connect"
    only_the_sentinel_arrives(server, slack, STRANGER, before + 1)


@pytest.mark.parametrize("tamper", ["unsigned", "forged", "other secret", "stale", "future", "bad timestamp", "body changed"])
def test_unsigned_forged_and_stale_requests_get_401_and_reach_nothing(server: ChannelServer, slack: SlackEvents, tamper: str) -> None:
    before = len(server.messages)
    body = json.dumps(event_callback(direct_message(STRANGER, dm_channel(), "cancel order 100235"))).encode()
    now = str(int(time.time()))
    headers = {
        "unsigned": {},
        "forged": {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": "v0=" + "0" * 64},
        "other secret": {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": slack_signature("guess", now, body)},
        "stale": {"X-Slack-Request-Timestamp": str(int(now) - 301),
                  "X-Slack-Signature": slack_signature(SIGNING_SECRET, str(int(now) - 301), body)},
        "future": {"X-Slack-Request-Timestamp": str(int(now) + 301),
                   "X-Slack-Signature": slack_signature(SIGNING_SECRET, str(int(now) + 301), body)},
        "bad timestamp": {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": slack_signature(SIGNING_SECRET, "soon", body)},
        "body changed": {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": slack_signature(SIGNING_SECRET, now, body + b" ")},
    }[tamper]
    answer = requests.post(server.url, data=body, headers={"Content-Type": "application/json", **headers}, timeout=30)
    assert answer.status_code == 401, answer.status_code
    only_the_sentinel_arrives(server, slack, STRANGER, before)


def _event(**changes: object) -> bytes:
    return json.dumps(event_callback({**direct_message(STRANGER, "D0BADINPUT", "hi"), **changes})).encode()


def _form(payload: object) -> bytes:
    from urllib.parse import urlencode

    return urlencode({"payload": payload if isinstance(payload, str) else json.dumps(payload)}).encode()


BUTTON = {"type": "button", "text": {"type": "plain_text", "text": "Yes"}, "value": "/affirm"}
CLICK = block_actions(STRANGER, "D0BADINPUT", BUTTON)
JSON, FORM = "application/json", "application/x-www-form-urlencoded"
BAD_INPUT = {
    "oversized": (json.dumps(event_callback(direct_message(STRANGER, "D0BADINPUT", "x" * MAX_BODY_BYTES))).encode(), JSON, 413),
    "text/plain": (_event(), "text/plain", 415),
    "no content type": (_event(), "", 415),
    "not JSON": (b"{event: ", JSON, 400),
    "not UTF-8": (b'{"type": "\xff\xfe"}', JSON, 400),
    "a JSON list": (b"[]", JSON, 400),
    "no type": (json.dumps({"event": {}}).encode(), JSON, 400),
    "challenge missing": (json.dumps({"type": "url_verification"}).encode(), JSON, 400),
    "event missing": (json.dumps({"type": "event_callback", "event_id": "Ev1"}).encode(), JSON, 400),
    "event not an object": (json.dumps({"type": "event_callback", "event": "message"}).encode(), JSON, 400),
    "user missing": (_event(user=None), JSON, 400),
    "channel missing": (_event(channel=None), JSON, 400),
    "text not a string": (_event(text=["hi"]), JSON, 400),
    "unknown event type": (_event(type="reaction_added"), JSON, 200),
    "unknown envelope type": (json.dumps({"type": "app_rate_limited", "minute_rate_limited": 1}).encode(), JSON, 200),
    "bot's own message": (json.dumps(event_callback(bot_message("D0BADINPUT", "echo: hi"))).encode(), JSON, 200),
    "bot_id without subtype": (_event(bot_id="B0OTHER"), JSON, 200),
    "edited message": (_event(subtype="message_changed"), JSON, 200),
    "empty text": (_event(text="   "), JSON, 200),
    "only the bot's mention": (json.dumps(event_callback(app_mention(STRANGER, "C0BADINPUT", ""))).encode(), JSON, 200),
    "form without payload": (b"other=1", FORM, 400),
    "payload not JSON": (_form("{nope"), FORM, 400),
    "payload a list": (_form([1, 2]), FORM, 400),
    "modal submission": (_form({"type": "view_submission", "user": {"id": STRANGER}, "view": {}}), FORM, 200),
    "no actions": (_form({**CLICK, "actions": []}), FORM, 400),
    "link button": (_form({**CLICK, "actions": [{**CLICK["actions"][0], "value": None, "url": "https://example.com"}]}), FORM, 200),
    "unsupported element": (_form({**CLICK, "actions": [{**CLICK["actions"][0], "type": "rich_text_input"}]}), FORM, 200),
    "click without user": (_form({k: v for k, v in CLICK.items() if k != "user"}), FORM, 400),
    "click in the app home": (_form({k: v for k, v in CLICK.items() if k != "channel"}), FORM, 200),
}


def test_bad_input_gets_a_4xx_or_an_ignoring_2xx_and_reaches_nothing(server: ChannelServer, slack: SlackEvents,
                                                                       slack_api: SlackApiDouble) -> None:
    before = len(server.messages)
    statuses = {name: slack.post(body, content_type).status_code for name, (body, content_type, _) in BAD_INPUT.items()}
    assert statuses == {name: expected for name, (_, _, expected) in BAD_INPUT.items()}
    assert requests.get(server.url, timeout=30).status_code == 405
    only_the_sentinel_arrives(server, slack, STRANGER, before)
    assert slack_api.posts("D0BADINPUT") == [] and slack_api.posts("C0BADINPUT") == []


def _paths(value: object, prefix: tuple = ()) -> Iterator[tuple]:
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield (*prefix, key)
        yield from _paths(child, (*prefix, key))


def _replaced(value: object, path: tuple, new: object) -> object:
    copy = json.loads(json.dumps(value))
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = new
    return copy


def test_no_field_of_a_valid_payload_can_cause_a_500(server: ChannelServer, slack: SlackEvents) -> None:
    envelope = event_callback(direct_message(STRANGER, "D0FUZZ", "hi", thread_ts=message_ts()))
    click = block_actions(STRANGER, "D0FUZZ", BUTTON, {"type": "message", "ts": message_ts(), "thread_ts": message_ts(), "text": "?"})
    statuses: dict[int, list[str]] = {}
    for payload, send in ((envelope, slack.event), (click, slack.interaction)):
        for path in _paths(payload):
            for new in (None, 0, "", "x", [], {}, [{}], True):
                status = send(_replaced(payload, path, new)).status_code
                statuses.setdefault(status, []).append(f"{'.'.join(map(str, path))}={new!r}")
    assert set(statuses) <= {200, 400}, {s: paths[:5] for s, paths in statuses.items() if s not in (200, 400)}
    assert len(statuses[400]) > 50 and len(statuses[200]) > 50  # both rejections and accepted or ignored payloads were exercised


def test_a_linked_user_is_sent_with_signed_identity_and_others_are_anonymous(server: ChannelServer, slack: SlackEvents) -> None:
    before = len(server.messages)
    assert slack.event(event_callback(direct_message(ALICE, dm_channel(), "where is my order 100234?"))).status_code == 200
    spoof = {**direct_message(STRANGER, dm_channel(), "where is my order 100234?"), "customer_id": "C-1001", "metadata": {"customer_id": "C-1001"}}
    assert slack.event({**event_callback(spoof), "customer_id": "C-1001"}).status_code == 200
    alice, stranger = server.wait_for_messages(before + 2)[before:]
    assert customer_from_metadata(alice.metadata, IDENTITY_SECRET) == "C-1001"
    assert customer_from_metadata(stranger.metadata, IDENTITY_SECRET) is None and "customer_id" not in stranger.metadata


def test_a_failing_store_leaves_the_shopper_anonymous(server: ChannelServer, slack: SlackEvents, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("STORE_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")  # no tables
    before = len(server.messages)
    with caplog.at_level(logging.ERROR, logger="channels.slack"):
        assert slack.event(event_callback(direct_message(ALICE, dm_channel(), "hi"))).status_code == 200
        message = server.wait_for_messages(before + 1)[before]
    assert "customer_id" not in message.metadata
    assert any("treating them as anonymous" in r.getMessage() for r in caplog.records)


def test_conversation_ids_are_keyed_with_the_signing_secret() -> None:
    channel = SlackInput("xoxb-x", slack_signing_secret="one")
    same = channel.conversation_id(ALICE, "D1")
    assert same == channel.conversation_id(ALICE, "D2") and same.startswith("slack-") and ALICE not in same
    assert same != channel.conversation_id(STRANGER, "D1")
    assert same != SlackInput("xoxb-x", slack_signing_secret="two").conversation_id(ALICE, "D1")
    per_channel = SlackInput("xoxb-x", slack_signing_secret="one", conversation_granularity="channel")
    assert per_channel.conversation_id(ALICE, "D1") != per_channel.conversation_id(ALICE, "D2")


def test_the_output_posts_text_buttons_and_slack_custom_payloads(slack_api: SlackApiDouble, caplog: pytest.LogCaptureFixture) -> None:
    channel = dm_channel()
    output = SlackOutput(TOKEN, channel, "171.000001", api_url=slack_api.url)
    buttons = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]

    async def reply() -> None:
        await output.send_text_message("ignored", "First part.\n\nSecond part.")
        await output.send_text_with_buttons("ignored", "Shall I cancel order 100235?", buttons)
        await output.send_custom_json("ignored", {"type": "product_cards", "products": [{"name": "Mug"}]})
        await output.send_custom_json("ignored", {"blocks": [{"type": "divider"}], "text": "cards", "channel": "C0ELSEWHERE"})
        with caplog.at_level(logging.ERROR, logger="channels.slack"):
            await SlackOutput("xoxb-wrong", channel, api_url=slack_api.url).send_text_message("ignored", "never shown")

    asyncio.run(reply())
    posts = slack_api.posts(channel)
    assert [p.text for p in posts] == ["First part.", "Second part.", "Shall I cancel order 100235?", "cards"]
    assert {p.thread_ts for p in posts} == {"171.000001"}
    assert [(b["text"]["text"], b["value"]) for b in posts[2].buttons] == [("Yes", "/affirm"), ("No", "/deny")]
    assert slack_api.posts("C0ELSEWHERE") == []
    assert [c.error for c in slack_api.rejected()] == ["invalid_auth"]
    assert any("invalid_auth" in r.getMessage() for r in caplog.records)


def test_plain_text_undoes_slack_markup() -> None:
    assert plain_text("it's <mailto:alice@example.com|alice@example.com>") == "it's alice@example.com"
    assert plain_text("<mailto:bob@example.com>") == "bob@example.com"
    assert plain_text("see <https://shop.example/o?a=1&amp;b=2|shop.example/o> or <http://x.io>") == "see shop.example/o or http://x.io"
    assert plain_text("ask <@U0OTHER> in <#C0GEN|general>: 2 &lt; 3 &amp;&amp; 4 &gt; 1") == "ask <@U0OTHER> in <#C0GEN|general>: 2 < 3 && 4 > 1"


def test_recent_keys_forget_after_their_ttl_and_beyond_their_size() -> None:
    keys = RecentKeys(ttl_s=0.2, max_keys=2)
    assert keys.first_time(("a", "b")) and not keys.first_time(("b",)) and not keys.first_time(("x", "a"))
    time.sleep(0.3)
    assert keys.first_time(("a",))
    for key in "cde":
        keys.first_time((key,))
    assert keys.first_time(("a",)), "the oldest key beyond max_keys is forgotten"
