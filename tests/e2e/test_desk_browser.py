"""The agent desk with the trained assistant, in Chromium: a shopper escalates in the web chat, an agent
takes the ticket from the queue, replies (the shopper's page shows it live), corrects an emotion and
hands back; the bot answers the shopper's next message.

Needs ``models/assistant.tar.gz`` (``make train``); no new action or domain entry is involved, so any
model trained from this domain works. Screenshots go to ``results/desk/``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from demo_site.desk.accounts import create_agent, find_agent
from demo_site.desk.models import EmotionCorrection
from services.settings import PROJECT_ROOT
from services.store.db import session_scope
from services.store.models import Ticket
from tests.chromium import launched_chromium
from tests.e2e.conftest import Assistant
from tests.e2e.test_webchat_browser import REPLY_TIMEOUT_MS, bot_text, open_chat, say

SHOTS = PROJECT_ROOT / "results" / "desk"
AGENT, PASSWORD = "e2e-senior", "an e2e desk password"
ANGRY_1 = "Where the hell is my order 100241?! This is completely unacceptable, you people are useless!"
ANGRY_2 = "That's NOT good enough. I am furious, this is the worst service I have ever had!!"


@pytest.fixture(scope="module")
def senior_agent(assistant: Assistant) -> str:
    with session_scope(assistant.database_url) as session:
        if find_agent(session, AGENT) is None:
            create_agent(session, AGENT, PASSWORD, "senior", "Dana")
    return AGENT


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with launched_chromium() as instance:
        yield instance


@pytest.fixture()
def two_tabs(browser) -> Iterator[tuple]:
    """The shopper's tab and the agent's tab, in separate browser contexts (separate cookies and storage)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    shopper_context = browser.new_context(viewport={"width": 900, "height": 800})
    agent_context = browser.new_context(viewport={"width": 1280, "height": 1000})
    yield shopper_context.new_page(), agent_context.new_page()
    shopper_context.close()
    agent_context.close()


def wait_for_bot_text(page, needle: str) -> None:
    page.wait_for_function(
        "needle => [...document.querySelectorAll('.msg.bot')].some(m => m.textContent.includes(needle))", arg=needle,
        timeout=REPLY_TIMEOUT_MS)


def test_escalated_web_chat_is_queued_answered_and_handed_back(two_tabs, assistant: Assistant, senior_agent: str) -> None:
    shopper, agent = two_tabs
    open_chat(shopper, assistant, "?customer=C-1002")
    say(shopper, ANGRY_1)
    say(shopper, ANGRY_2)
    assert "ticket #" in bot_text(shopper)
    sender = shopper.evaluate("localStorage.getItem('hp-chat:C-1002')")
    with session_scope(assistant.database_url) as session:
        ticket_id = session.execute(select(Ticket.id).where(Ticket.sender_id == sender)).scalar_one()

    # The queue: anger goes to the senior queue.
    agent.goto(f"{assistant.site_url}/desk/queue")
    agent.get_by_label("Username").fill(senior_agent)
    agent.get_by_label("Password").fill(PASSWORD)
    agent.get_by_role("button", name="Log in").click()
    agent.wait_for_url("**/desk/queue")
    row = agent.locator(f'#senior-queue tr[data-ticket="{ticket_id}"]')
    assert row.is_visible() and "Bob Martin" in row.inner_text() and "angry" in row.inner_text()
    agent.screenshot(path=str(SHOTS / "e2e_queue.png"), full_page=True)

    # The ticket: shopper, order, reason, transcript with emotions and the words behind them, what the bot did.
    row.get_by_role("link").click()
    agent.wait_for_selector("#transcript")
    assert "Bob Martin" in agent.inner_text(".facts") and "#100241" in agent.inner_text(".facts")
    assert agent.inner_text("#channel") == "the web chat"
    assert "opened this ticket and paused itself" in agent.inner_text("#bot-did")
    first = agent.locator("#turn-0")
    assert ANGRY_1 in first.inner_text() and "angry" in first.locator(".reading").inner_text()
    assert agent.locator("#transcript mark").count() >= 1  # explanation words
    agent.screenshot(path=str(SHOTS / "e2e_ticket.png"), full_page=True)

    # The reply reaches the shopper's open page over socket.io.
    agent.get_by_label("Message to the shopper (the web chat)").fill("Hi Bob, I've asked the carrier to prioritise your parcel.")
    agent.get_by_role("button", name="Send").click()
    agent.wait_for_url("**notice=sent")
    wait_for_bot_text(shopper, "Dana (Harbor & Pine team): Hi Bob, I've asked the carrier")
    assert f"{senior_agent} (agent)" in agent.inner_text("#transcript")

    # Correct the emotion of the first turn.
    first = agent.locator("#turn-0")
    first.get_by_label("Correct the emotion").select_option("frustrated")
    first.get_by_role("button", name="Save").click()
    agent.wait_for_url("**notice=corrected**")
    with session_scope(assistant.database_url) as session:
        correction = session.execute(select(EmotionCorrection).where(EmotionCorrection.sender_id == sender)).scalar_one()
        assert (correction.text, correction.model_label, correction.corrected_label) == (ANGRY_1, "angry", "frustrated")

    # Hand back: the bot greets the shopper and answers the next message.
    agent.get_by_label("What was resolved").fill("The carrier will deliver order 100241 tomorrow.")
    agent.get_by_role("button", name="Hand back to the bot").click()
    agent.wait_for_url("**notice=handed_back**")
    wait_for_bot_text(shopper, "The carrier will deliver order 100241 tomorrow.")
    wait_for_bot_text(shopper, "Hi again")
    with session_scope(assistant.database_url) as session:
        assert session.get(Ticket, ticket_id).status == "resolved"
    before = shopper.locator(".msg.bot").count()
    say(shopper, "ok, where is my order 100241 now?")
    answers = shopper.locator(".msg.bot").all_inner_texts()[before:]
    assert answers and not any("ticket #" in a for a in answers), answers
    shopper.screenshot(path=str(SHOTS / "e2e_shopper.png"), full_page=True)
    agent.screenshot(path=str(SHOTS / "e2e_ticket_handed_back.png"), full_page=True)
