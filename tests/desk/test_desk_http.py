"""The agent desk over real HTTP: the site as a subprocess, Rasa's API and Slack's Web API as local doubles.

Covers the desk's bad input: no session, forged or stolen cookies, CSRF, HTML and script in what
shoppers wrote, huge transcripts, a Rasa server that fails; and the desk's work: the queue, the
ticket page, replies on each channel, hand-back and emotion corrections.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from demo_site.desk.accounts import create_agent
from demo_site.desk.models import AgentSession, EmotionCorrection
from services.handback import LISTEN_EVENT
from services.store.db import session_scope
from services.store.models import Ticket
from services.store.seed.run import seed_database
from tests.conftest import TODAY
from tests.desk.desk_client import Agent, logged_in, open_ticket, running_site
from tests.desk.rasa_double import HANDBACK_TEXT, RasaDouble, bot_event, user_event
from tests.e2e.slack_double import SlackApiDouble

RASA_TOKEN = "desk-test-rasa-token-0123456789"
SLACK_TOKEN = "xoxb-desk-test"
PASSWORD = "a long enough password"
XSS = '<script>alert("pwned")</script><img src=x onerror="alert(1)">'


class Desk:
    def __init__(self, site: str, database_url: str, rasa: RasaDouble, slack: SlackApiDouble) -> None:
        self.site, self.database_url, self.rasa, self.slack = site, database_url, rasa, slack

    def ticket(self, channel: str = "socketio", events: list[dict] | None = None, **kwargs) -> tuple[int, str]:
        events = events if events is not None else [user_event("where is my order?", "neutral", 0.8), bot_event("Let me check."),
                                                    user_event("this is taking forever", "frustrated", 0.85, ["forever"])]
        return open_ticket(self.database_url, self.rasa, channel, events, **kwargs)


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    workdir: Path = tmp_path_factory.mktemp("desk")
    database_url = f"sqlite:///{workdir / 'store.db'}"
    seed_database(database_url, today=TODAY, n_customers=20, progress=False)
    with session_scope(database_url) as session:
        create_agent(session, "sue", PASSWORD, "senior", "Sue")
        create_agent(session, "jo", PASSWORD, "agent", "Jo")
    rasa = RasaDouble(RASA_TOKEN)
    with SlackApiDouble(SLACK_TOKEN) as slack:
        env = {"RASA_AUTH_TOKEN": RASA_TOKEN, "IDENTITY_SECRET": "desk-identity", "SLACK_BOT_TOKEN": SLACK_TOKEN, "SLACK_API_URL": slack.url}
        try:
            with running_site(workdir, database_url, rasa.url, env) as site:
                yield Desk(site, database_url, rasa, slack)
        finally:
            rasa.close()


@pytest.fixture(scope="module")
def sue(desk: Desk) -> Agent:
    return logged_in(desk.site, "sue", PASSWORD)


@pytest.fixture(scope="module")
def jo(desk: Desk) -> Agent:
    return logged_in(desk.site, "jo", PASSWORD)


# --- no session, forged and stolen cookies ---------------------------------------------------------------------------

def test_every_desk_page_and_api_call_needs_a_logged_in_agent(desk: Desk) -> None:
    ticket_id, sender = desk.ticket()
    anonymous = Agent(desk.site)
    for path in ("/desk", "/desk/", "/desk/queue", f"/desk/tickets/{ticket_id}"):
        response = anonymous.get_page(path)
        assert response.status_code == 303, path
        assert response.headers["Location"] in ("/desk/login", "/desk/queue"), path
    assert anonymous.get_page("/desk/queue").headers["Location"] == "/desk/login"
    for path in ("/desk/api/queue", f"/desk/api/tickets/{ticket_id}"):
        response = anonymous.get_page(path)
        assert response.status_code == 401 and response.json() == {"error": "Log in to the agent desk first."}
    for action in ("reply", "handback", "correct"):
        response = anonymous.post_form(f"/desk/tickets/{ticket_id}/{action}", {"text": "hi", "turn": "0", "label": "angry"})
        assert response.status_code == 401
    assert anonymous.post_form("/desk/logout", {}).status_code == 401
    assert desk.rasa.calls_for(sender) == []  # nothing reached Rasa


def test_forged_stolen_and_revoked_cookies_are_refused(desk: Desk, jo: Agent) -> None:
    ticket_id, _ = desk.ticket()
    with session_scope(desk.database_url) as session:
        stored_hash = session.execute(select(AgentSession.token_hash)).scalars().first()
    real = jo.cookies.get("hp_desk")
    forged = ["sue", "1", "admin", base64.b64encode(json.dumps({"agent": "sue", "role": "senior"}).encode()).decode(),
              stored_hash, real[:-1] + ("A" if real[-1] != "A" else "B"), real + "x", "x" * 5000]
    for value in forged:
        attacker = Agent(desk.site)
        attacker.cookies.set("hp_desk", value, path="/desk")
        assert attacker.get_page("/desk/queue").status_code == 303, value[:40]
        assert attacker.get_page(f"/desk/api/tickets/{ticket_id}").status_code == 401, value[:40]

    leaving = logged_in(desk.site, "jo", PASSWORD)
    cookie = leaving.cookies.get("hp_desk")
    assert cookie != real  # every login gets a fresh random id
    assert leaving.post_form("/desk/logout", {"csrf_token": leaving.csrf()}).status_code == 303
    replay = Agent(desk.site)
    replay.cookies.set("hp_desk", cookie, path="/desk")
    assert replay.get_page("/desk/queue").status_code == 303  # a logged-out session is dead
    assert jo.get_page("/desk/queue").status_code == 200  # the other session of the same agent still works


def test_login_cookie_is_httponly_samesite_strict_and_failures_say_nothing_more(desk: Desk) -> None:
    agent = Agent(desk.site)
    response = agent.login("sue", PASSWORD)
    session_cookie = next(c for c in response.raw.headers.getlist("Set-Cookie") if c.startswith("hp_desk="))
    assert {"HttpOnly", "SameSite=Strict", "Path=/desk"} <= set(session_cookie.split("; ")), session_cookie
    assert Agent(desk.site).login("sue", "wrong password!").status_code == 401
    unknown = Agent(desk.site).login("nobody-here", PASSWORD)
    assert unknown.status_code == 401 and "Wrong username or password" in unknown.text
    no_token = Agent(desk.site).post_form("/desk/login", {"username": "sue", "password": PASSWORD})
    assert no_token.status_code == 403 and not any(c.startswith("hp_desk=") for c in no_token.raw.headers.getlist("Set-Cookie"))
    cross_site = Agent(desk.site)
    token = cross_site.get_page("/desk/login").text.split('name="login_token" value="')[1].split('"')[0]
    refused = cross_site.post_form("/desk/login", {"login_token": token, "username": "sue", "password": PASSWORD},
                                   headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403


def test_an_agent_who_is_not_senior_never_sees_the_senior_queue(desk: Desk, jo: Agent, sue: Agent) -> None:
    angry_id, angry_sender = desk.ticket(events=[user_event("I am FURIOUS, you useless lot", "angry", 0.97, ["FURIOUS", "useless"])],
                                         reason="angry_unresolved")
    calm_id, _ = desk.ticket(events=[user_event("can a person look at my order please", "neutral", 0.9)])
    junior_queue = jo.get_page("/desk/api/queue").json()
    assert junior_queue["senior"] == [] and calm_id in [i["ticket_id"] for i in junior_queue["general"]]
    assert angry_id not in [i["ticket_id"] for i in junior_queue["general"]]
    assert "Senior queue" not in jo.get_page("/desk/queue").text
    assert jo.get_page(f"/desk/tickets/{angry_id}").status_code == 403
    assert jo.get_page(f"/desk/api/tickets/{angry_id}").status_code == 403
    assert jo.post_form(f"/desk/tickets/{angry_id}/reply", {"csrf_token": jo.csrf(), "text": "hi"}).status_code == 403
    senior_queue = sue.get_page("/desk/api/queue").json()
    assert angry_id in [i["ticket_id"] for i in senior_queue["senior"]]
    assert 'id="senior-queue"' in sue.get_page("/desk/queue").text
    assert sue.get_page(f"/desk/tickets/{angry_id}").status_code == 200
    assert desk.rasa.calls_for(angry_sender, "tracker/events") == []


# --- CSRF ----------------------------------------------------------------------------------------------------------

def test_posts_without_the_sessions_csrf_token_or_from_another_site_are_refused(desk: Desk, sue: Agent, jo: Agent) -> None:
    ticket_id, sender = desk.ticket()
    path = f"/desk/tickets/{ticket_id}/reply"
    token = sue.csrf(f"/desk/tickets/{ticket_id}")
    assert sue.post_form(path, {"text": "no token"}).status_code == 403
    assert sue.post_form(path, {"text": "empty token", "csrf_token": ""}).status_code == 403
    assert sue.post_form(path, {"text": "jo's token", "csrf_token": jo.csrf()}).status_code == 403
    assert sue.post_form(path, {"text": "other site", "csrf_token": token}, headers={"Origin": "https://evil.example"}).status_code == 403
    assert sue.post_form(path, {"text": "null origin", "csrf_token": token}, headers={"Origin": "null"}).status_code == 403
    assert sue.post_form(path, {"text": "evil referer", "csrf_token": token},
                         headers={"Referer": "https://evil.example/desk/"}).status_code == 403
    assert sue.post_form(path, {"text": "x" * 100_000, "csrf_token": token}).status_code == 413
    assert sue.post_form(f"/desk/tickets/{ticket_id}/handback", {}).status_code == 403
    assert sue.post_form(f"/desk/tickets/{ticket_id}/correct", {"turn": "0", "label": "angry"}).status_code == 403
    assert desk.rasa.calls_for(sender, "tracker/events") == [] and desk.rasa.calls_for(sender, "execute") == []
    with session_scope(desk.database_url) as session:
        assert session.get(Ticket, ticket_id).status == "open"
    ok = sue.post_form(path, {"text": "same site, right token", "csrf_token": token}, headers={"Origin": desk.site})
    assert ok.status_code == 303


# --- what shoppers wrote is shown, never run ---------------------------------------------------------------------

def test_html_and_script_in_shopper_messages_are_escaped(desk: Desk, sue: Agent) -> None:
    events = [user_event(XSS, "angry", 0.9, ["<b>useless</b>", 'onerror="alert(2)"']), bot_event("Sorry <i>about</i> that")]
    ticket_id, _ = desk.ticket(events=events, reason="angry_unresolved")
    page = sue.get_page(f"/desk/tickets/{ticket_id}")
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "<img src=x" not in page.text and "<b>useless" not in page.text
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in page.text and "&lt;b&gt;useless&lt;/b&gt;" in page.text
    assert "Sorry &lt;i&gt;about&lt;/i&gt; that" in page.text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"] and page.headers["X-Frame-Options"] == "DENY"
    queue = sue.get_page("/desk/queue").text
    assert "<script>alert" not in queue and "&lt;script&gt;" in queue
    assert sue.get_page(f"/desk/api/tickets/{ticket_id}").json()["turns"][0]["text"] == XSS  # JSON carries the text as data


# --- huge transcripts --------------------------------------------------------------------------------------------

def test_a_huge_transcript_is_shown_cut_and_fast(desk: Desk, sue: Agent) -> None:
    events = []
    for i in range(3000):
        events += [user_event(f"message {i} " + "words " * 30, "frustrated", 0.7), bot_event(f"answer {i}")]
    events.append(user_event("z" * 300_000, "angry", 0.9))
    ticket_id, _ = desk.ticket(events=events)
    started = time.monotonic()
    page = sue.get_page(f"/desk/tickets/{ticket_id}")
    elapsed = time.monotonic() - started
    assert page.status_code == 200 and elapsed < 10, elapsed
    assert "5801 earlier turns are not shown" in page.text
    assert page.text.count('class="turn ') == 200 and len(page.content) < 3_000_000
    assert "z" * 5000 in page.text and "z" * 5001 not in page.text and "[cut]" in page.text
    assert 'id="turn-3000"' in page.text  # turn numbers count from the conversation's start


# --- replies on each channel -------------------------------------------------------------------------------------

def test_a_web_chat_reply_goes_through_rasa_to_the_shoppers_socket(desk: Desk, sue: Agent) -> None:
    ticket_id, sender = desk.ticket("socketio")
    token = sue.csrf(f"/desk/tickets/{ticket_id}")
    response = sue.post_form(f"/desk/tickets/{ticket_id}/reply", {"text": "  I've found your parcel <b>now</b>.  ", "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == f"/desk/tickets/{ticket_id}?notice=sent"
    [call] = desk.rasa.calls_for(sender, "tracker/events")
    assert call.params["output_channel"] == "latest" and call.params["execute_side_effects"] == "true"
    assert call.params["token"] == RASA_TOKEN
    assert call.body == [{"event": "bot", "text": "Sue (Harbor & Pine team): I've found your parcel <b>now</b>.",
                          "metadata": {"source": "desk", "agent": "sue"}}]
    with session_scope(desk.database_url) as session:
        assert session.get(Ticket, ticket_id).status == "in_progress"
    page = sue.get_page(f"/desk/tickets/{ticket_id}?notice=sent").text
    assert "Reply sent to the shopper." in page and "sue (agent)" in page and "parcel &lt;b&gt;now&lt;/b&gt;" in page
    for bad, status in (("", 400), ("   ", 400), ("x" * 4001, 400)):
        assert sue.post_form(f"/desk/tickets/{ticket_id}/reply", {"text": bad, "csrf_token": token}).status_code == status
    assert len(desk.rasa.calls_for(sender, "tracker/events")) == 1


def test_a_slack_reply_is_posted_to_the_shoppers_thread(desk: Desk, sue: Agent) -> None:
    events = [user_event("my order never came", "frustrated", 0.8, metadata={"out_channel": "D0SHOPPER", "thread_id": "1700000000.000100"})]
    ticket_id, sender = desk.ticket("slack", events)
    token = sue.csrf(f"/desk/tickets/{ticket_id}")
    assert sue.post_form(f"/desk/tickets/{ticket_id}/reply", {"text": "Checking with the carrier.", "csrf_token": token}).status_code == 303
    post = desk.slack.wait_for_posts("D0SHOPPER", 1, timeout=10)[-1]
    assert post.text == "Sue (Harbor & Pine team): Checking with the carrier." and post.thread_ts == "1700000000.000100"
    [call] = desk.rasa.calls_for(sender, "tracker/events")
    assert "execute_side_effects" not in call.params and call.body[0]["metadata"] == {"source": "desk", "agent": "sue"}

    assert sue.post_form(f"/desk/tickets/{ticket_id}/handback", {"csrf_token": token}).status_code == 303
    execute = desk.rasa.calls_for(sender, "execute")[-1]
    assert execute.body == {"name": "action_handback"} and "output_channel" not in execute.params
    assert desk.slack.wait_for_text("D0SHOPPER", "Hi again", timeout=10)


def test_a_rest_conversation_cannot_be_pushed_to_and_the_desk_says_so(desk: Desk, sue: Agent) -> None:
    ticket_id, sender = desk.ticket("rest")
    page = sue.get_page(f"/desk/tickets/{ticket_id}").text
    assert "REST, which cannot push" in page and 'id="reply-text"' not in page
    response = sue.post_form(f"/desk/tickets/{ticket_id}/reply", {"text": "hello?", "csrf_token": sue.csrf()})
    assert response.status_code == 409 and "cannot push" in response.text
    assert desk.rasa.calls_for(sender, "tracker/events") == []


# --- hand back ---------------------------------------------------------------------------------------------------

def test_hand_back_tells_the_shopper_what_was_resolved_and_resumes_the_bot_on_their_channel(desk: Desk, sue: Agent) -> None:
    ticket_id, sender = desk.ticket("socketio")
    token = sue.csrf(f"/desk/tickets/{ticket_id}")
    too_long = sue.post_form(f"/desk/tickets/{ticket_id}/handback", {"csrf_token": token, "resolution": "x" * 4001})
    assert too_long.status_code == 400 and desk.rasa.calls_for(sender, "execute") == []
    response = sue.post_form(f"/desk/tickets/{ticket_id}/handback", {"csrf_token": token, "resolution": "Refund of order 100241 issued."})
    assert response.status_code == 303 and "notice=handed_back" in response.headers["Location"]
    events, execute = desk.rasa.calls_for(sender, "tracker/events"), desk.rasa.calls_for(sender, "execute")
    assert [c.body for c in events] == [
        [{"event": "bot", "text": "Sue (Harbor & Pine team): Refund of order 100241 issued.",
          "metadata": {"source": "desk", "agent": "sue", "resolution": True}}],
        [{"event": "resume"}],
        [LISTEN_EVENT]]  # the bot listens again after action_handback
    assert events[0].params["output_channel"] == "latest" and events[0].params["execute_side_effects"] == "true"
    assert [(c.body, c.params.get("output_channel")) for c in execute] == [({"name": "action_handback"}, "latest")]
    page = sue.get_page(f"/desk/tickets/{ticket_id}").text
    assert HANDBACK_TEXT in page and "Refund of order 100241 issued." in page


def test_hand_back_of_a_rest_conversation_resumes_the_bot_silently(desk: Desk, sue: Agent) -> None:
    ticket_id, sender = desk.ticket("rest")
    response = sue.post_form(f"/desk/tickets/{ticket_id}/handback", {"csrf_token": sue.csrf(), "resolution": "ignored: REST cannot push"})
    assert response.status_code == 303 and "notice=handed_back_silent" in response.headers["Location"]
    assert [c.body for c in desk.rasa.calls_for(sender, "tracker/events")] == [[{"event": "resume"}], [LISTEN_EVENT]]
    assert [c.params.get("output_channel") for c in desk.rasa.calls_for(sender, "execute")] == [None]


# --- emotion corrections -----------------------------------------------------------------------------------------

def test_an_agent_corrects_the_emotion_of_a_turn_and_the_row_comes_from_the_tracker(desk: Desk, sue: Agent) -> None:
    events = [user_event("oh great, another delay", "satisfied", 0.66, timestamp=1700000001.5), bot_event("Glad to help!"),
              user_event("that was sarcasm", "neutral", 0.5, timestamp=1700000009.25)]
    ticket_id, sender = desk.ticket(events=events)
    token = sue.csrf(f"/desk/tickets/{ticket_id}")
    path = f"/desk/tickets/{ticket_id}/correct"
    forged_text = {"turn": "0", "ts": "1700000001.5", "label": "frustrated", "csrf_token": token, "text": "I love you", "model_label": "angry"}
    response = sue.post_form(path, forged_text)
    assert response.status_code == 303 and response.headers["Location"].endswith("notice=corrected#turn-0")
    with session_scope(desk.database_url) as session:
        row = session.execute(select(EmotionCorrection).where(EmotionCorrection.sender_id == sender)).scalar_one()
        assert (row.text, row.model_label, row.model_confidence, row.corrected_label) == ("oh great, another delay", "satisfied", 0.66, "frustrated")
        assert (row.turn_index, row.event_timestamp, row.ticket_id) == (0, 1700000001.5, ticket_id)
    assert "corrected: frustrated" in sue.get_page(f"/desk/tickets/{ticket_id}").text
    assert sue.post_form(path, {**forged_text, "ts": "1700000009.25"}).status_code == 409  # the page was stale
    assert sue.post_form(path, {**forged_text, "label": "<script>"}).status_code == 400
    assert sue.post_form(path, {**forged_text, "turn": "7"}).status_code == 404
    assert sue.post_form(path, {**forged_text, "turn": "zero"}).status_code == 400
    with session_scope(desk.database_url) as session:
        assert len(session.execute(select(EmotionCorrection.id).where(EmotionCorrection.sender_id == sender)).all()) == 1


# --- Rasa down; the token never leaves the server ----------------------------------------------------------------

def test_when_rasa_fails_the_ticket_copy_is_shown_and_nothing_leaks(desk: Desk, sue: Agent) -> None:
    ticket_id, _ = desk.ticket(customer_id="C-1002", order_id=100241,
                               events=[user_event("where is 100241, this is a joke", "angry", 0.92, ["joke"]), bot_event("Sorry!")],
                               reason="angry_unresolved")
    pages = [sue.get_page(f"/desk/tickets/{ticket_id}"), sue.get_page("/desk/queue"), sue.get_page(f"/desk/api/tickets/{ticket_id}")]
    assert "Bob Martin" in pages[0].text and "#100241" in pages[0].text and "stayed angry" in pages[0].text
    desk.rasa.fail_with = 500
    try:
        down = sue.get_page(f"/desk/tickets/{ticket_id}")
        assert down.status_code == 200 and "answered HTTP 500" in down.text and "from the ticket" in down.text.lower()
        assert "where is 100241, this is a joke" in down.text and "joke</mark>" in down.text
        failed = sue.post_form(f"/desk/tickets/{ticket_id}/reply", {"text": "hello", "csrf_token": sue.csrf()})
        assert failed.status_code == 502
        pages += [down, failed]
    finally:
        desk.rasa.fail_with = None
    for response in pages:
        assert RASA_TOKEN not in response.text and SLACK_TOKEN not in response.text
