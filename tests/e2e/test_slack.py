"""The trained assistant behind the Slack channel: signed Events API requests in, posts to a local
Slack Web API double out (tests/e2e/slack_double.py), one Rasa start for the whole module.

Every test uses its own Slack users and channels. "Nothing was processed" is checked with a
sentinel: the same Slack user then sends a valid message, and Rasa handles one conversation's
messages in the order they were dispatched, so anything wrongly dispatched would have been
answered before the sentinel.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import yaml
from sqlalchemy import select

from channels.slack import MAX_BODY_BYTES, SlackInput
from services.settings import PROJECT_ROOT
from services.store.db import session_scope
from services.store.linked_accounts import link_account
from services.store.models import Order
from tests.e2e.conftest import Assistant, running_assistant
from tests.e2e.slack_double import (
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

TOKEN = "xoxb-test"
SIGNING_SECRET = "e2e-slack-signing-secret"
LINKED_TO_ALICE = ("U0ALICEDM", "U0ALICEBT", "U0ALICEPR")  # Slack accounts of C-1001, one per test
ALICE_TRACKING = "1Z4A7F390312448861"  # order 100234, shipped with UPS (seeded)
RETURNS_ANSWER = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())["responses"]["utter_faq/returns_window"][0]["text"]
ACK_LIMIT_S = 3.0  # Slack retries a request that is not answered within 3 seconds


@dataclass
class SlackRun:
    assistant: Assistant
    api: SlackApiDouble
    slack: SlackEvents
    channel: SlackInput  # built from the same credentials: computes the conversation ids Rasa sees

    def tracker(self, user: str, channel: str, user_messages: int) -> dict:
        """The conversation's tracker once it holds ``user_messages`` user messages (Rasa saves it after posting the replies)."""
        deadline = time.monotonic() + 30
        while True:
            tracker = self.assistant.tracker(self.channel.conversation_id(user, channel))
            if sum(e["event"] == "user" for e in tracker["events"]) >= user_messages or time.monotonic() > deadline:
                return tracker
            time.sleep(0.2)

    def user_texts(self, user: str, channel: str, expected: int) -> list[str]:
        """The texts of the conversation's user messages, once there are ``expected`` of them (or after 30 s)."""
        return [e["text"] for e in self.tracker(user, channel, expected)["events"] if e["event"] == "user"]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackRun]:
    with SlackApiDouble(TOKEN) as api:
        env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": api.url}
        with running_assistant(tmp_path_factory.mktemp("slack"), extra_env=env, with_site=False, workers=1) as assistant:
            with session_scope(assistant.database_url) as session:
                for user in LINKED_TO_ALICE:
                    link_account(session, "slack", user, "C-1001")
            channel = SlackInput.from_credentials({"slack_token": TOKEN, "slack_signing_secret": SIGNING_SECRET})
            slack = SlackEvents(f"{assistant.base_url}/webhooks/slack/webhook", SIGNING_SECRET)
            yield SlackRun(assistant, api, slack, channel)
            assert "Traceback" not in assistant.logs["rasa"].read_text(), "the Rasa server logged a traceback"


def new_id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:9].upper()}"


def acknowledged(run: SlackRun, envelope: dict) -> float:
    """Post ``envelope``; returns when (monotonic) the 2xx acknowledgement came, after checking it came in time."""
    started = time.monotonic()
    answer = run.slack.event(envelope)
    done = time.monotonic()
    assert answer.status_code == 200, (answer.status_code, answer.text)
    assert done - started < ACK_LIMIT_S, f"acknowledged after {done - started:.1f} s"
    return done


def test_url_verification_returns_the_challenge(run: SlackRun) -> None:
    challenge = uuid.uuid4().hex
    answer = run.slack.event({"token": "unused", "challenge": challenge, "type": "url_verification"})
    assert answer.status_code == 200 and answer.json() == {"challenge": challenge}


def test_a_linked_user_sees_their_order_in_a_direct_message(run: SlackRun) -> None:
    user, channel = LINKED_TO_ALICE[0], new_id("D")
    acked_at = acknowledged(run, event_callback(direct_message(user, channel, "where is my order 100234?")))
    posts = run.api.wait_for_text(channel, ALICE_TRACKING)
    assert "UPS" in "\n".join(p.text for p in posts)
    assert all(p.thread_ts is None for p in posts), "a top-level message is answered at top level"
    assert posts[0].received_at > acked_at, "the reply was posted before Slack got its acknowledgement"
    tracker = run.tracker(user, channel, 1)
    assert tracker["slots"]["customer_id"] == "C-1001" and tracker["slots"]["identified"] is True
    metadata = [e for e in tracker["events"] if e["event"] == "user"][-1]["metadata"]
    assert metadata["slack_user"] == user and metadata["customer_id"] == "C-1001"


def test_an_unlinked_user_verifies_with_order_number_and_email(run: SlackRun) -> None:
    user, channel = new_id("U"), new_id("D")
    acknowledged(run, event_callback(direct_message(user, channel, "where is my order 100234?")))
    question = run.api.wait_for_text(channel, "email")
    assert ALICE_TRACKING not in "\n".join(p.text for p in question) and "UPS" not in "\n".join(p.text for p in question)
    # Slack turns a typed address into a mailto link.
    acknowledged(run, event_callback(direct_message(user, channel, "<mailto:alice@example.com|alice@example.com>")))
    run.api.wait_for_text(channel, ALICE_TRACKING)
    assert run.user_texts(user, channel, 2) == ["where is my order 100234?", "alice@example.com"]


def test_a_mention_in_a_channel_thread_is_answered_in_that_thread(run: SlackRun) -> None:
    user, channel, thread = new_id("U"), new_id("C"), message_ts()
    acknowledged(run, event_callback(app_mention(user, channel, "what's your return policy?", thread_ts=thread)))
    posts = run.api.wait_for_text(channel, RETURNS_ANSWER)
    assert {p.thread_ts for p in posts} == {thread}
    assert run.user_texts(user, channel, 1) == ["what's your return policy?"]


def test_a_button_click_confirms_a_cancellation(run: SlackRun) -> None:
    user, channel = LINKED_TO_ALICE[1], new_id("D")
    acknowledged(run, event_callback(direct_message(user, channel, "please cancel order 100235")))
    [question] = [p for p in run.api.wait_for_text(channel, "Shall I cancel order 100235") if p.buttons]
    [yes] = [b for b in question.buttons if b["text"]["text"] == "Yes"]
    with session_scope(run.assistant.database_url) as session:
        assert session.get(Order, 100235).status == "placed"
    clicked_at = time.monotonic()
    click = run.slack.interaction(block_actions(user, channel, yes, question.as_message()))
    assert click.status_code == 200 and time.monotonic() - clicked_at < ACK_LIMIT_S, click.text
    run.api.wait_for_text(channel, "cancelled", after=clicked_at)
    with session_scope(run.assistant.database_url) as session:
        order = session.execute(select(Order).where(Order.id == 100235)).scalar_one()
        assert (order.status, order.payment_status) == ("cancelled", "refunded")
    assert run.user_texts(user, channel, 2)[-1] == yes["value"]


def test_a_retry_is_never_answered_twice(run: SlackRun) -> None:
    user, channel, first_thread, sentinel_thread = new_id("U"), new_id("D"), message_ts(), message_ts()
    envelope = event_callback(direct_message(user, channel, "what's your return policy?", thread_ts=first_thread))
    acknowledged(run, envelope)
    # While Rasa is still answering: Slack's retry, and a redelivery without the retry header.
    retry = run.slack.event(envelope, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert retry.status_code == 200 and retry.headers.get("X-Slack-No-Retry") == "1"
    acknowledged(run, envelope)
    run.api.wait_for_text(channel, RETURNS_ANSWER, thread_ts=first_thread)

    acknowledged(run, event_callback(direct_message(user, channel, "what's your return policy?", thread_ts=sentinel_thread)))
    run.api.wait_for_text(channel, RETURNS_ANSWER, thread_ts=sentinel_thread)
    answered = "\n".join(p.text for p in run.api.posts(channel) if p.thread_ts == first_thread)
    assert answered.count(RETURNS_ANSWER) == 1, answered
    assert run.user_texts(user, channel, 2) == ["what's your return policy?"] * 2


def test_unsigned_forged_stale_and_malformed_requests_reach_nothing(run: SlackRun) -> None:
    user, channel, sentinel_thread = LINKED_TO_ALICE[2], new_id("D"), message_ts()
    body = json.dumps(event_callback(direct_message(user, channel, "cancel order 100235"))).encode()
    stale = str(int(time.time()) - 6 * 60)
    now = str(int(time.time()))
    for headers in ({}, {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": "v0=" + "0" * 64},
                    {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": slack_signature("guessed", now, body)},
                    {"X-Slack-Request-Timestamp": stale, "X-Slack-Signature": slack_signature(SIGNING_SECRET, stale, body)}):
        answer = run.slack.post(body, "application/json", signed=False, headers=headers)
        assert answer.status_code == 401, (headers, answer.status_code)

    def event(**changes: object) -> bytes:
        return json.dumps(event_callback({**direct_message(user, channel, "cancel order 100235"), **changes})).encode()

    malformed = {
        "oversized": (event(text="x" * MAX_BODY_BYTES), "application/json", 413),
        "wrong content type": (event(), "text/plain", 415),
        "not JSON": (b"{nope", "application/json", 400),
        "user missing": (event(user=None), "application/json", 400),
        "unknown event type": (event(type="reaction_added"), "application/json", 200),
        "the bot's own message": (json.dumps(event_callback(bot_message(channel, "Shall I cancel order 100235?"))).encode(),
                                  "application/json", 200),
        "an edit": (event(subtype="message_changed"), "application/json", 200),
        "form without payload": (b"payload=%7Bnope", "application/x-www-form-urlencoded", 400),
    }
    statuses = {name: run.slack.post(body, content_type).status_code for name, (body, content_type, _) in malformed.items()}
    assert statuses == {name: expected for name, (_, _, expected) in malformed.items()}

    acknowledged(run, event_callback(direct_message(user, channel, "what's your return policy?", thread_ts=sentinel_thread)))
    run.api.wait_for_text(channel, RETURNS_ANSWER, thread_ts=sentinel_thread)
    assert {p.thread_ts for p in run.api.posts(channel)} == {sentinel_thread}
    assert run.user_texts(user, channel, 1) == ["what's your return policy?"]
    assert run.api.rejected() == [], "the bot made Web API calls Slack would refuse"
