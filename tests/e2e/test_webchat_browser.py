"""The web chat in a real browser: Debian's Chromium driven by Playwright, against the running assistant.

Screenshots of every scenario go to ``results/webchat/``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from services.settings import PROJECT_ROOT
from tests.chromium import launched_chromium
from tests.e2e.conftest import Assistant

SHOTS = PROJECT_ROOT / "results" / "webchat"
REPLY_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def browser() -> Iterator:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with launched_chromium() as instance:
        yield instance


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    tab = context.new_page()
    yield tab
    context.close()


def open_chat(page, assistant: Assistant, query: str = "") -> None:
    page.goto(f"{assistant.site_url}/{query}")
    page.wait_for_function("document.getElementById('status').textContent === 'Online'", timeout=30_000)


def say(page, text: str, expect_bot_messages: int | None = None) -> None:
    before = page.locator(".msg.bot").count()
    page.get_by_label("Your message").fill(text)
    page.get_by_role("button", name="Send").click()
    page.wait_for_function(f"document.querySelectorAll('.msg.bot').length > {before}", timeout=REPLY_TIMEOUT_MS)
    page.wait_for_timeout(800)  # the bot may send several messages in a row


def bot_text(page) -> str:
    return "\n".join(page.locator(".msg.bot").all_inner_texts())


def test_signed_in_shopper_sees_the_order_status(page, assistant: Assistant) -> None:
    open_chat(page, assistant, "?customer=C-1001")
    assert page.get_by_text("Signed in as C-1001").is_visible()
    say(page, "where is my order 100234?")
    text = bot_text(page)
    assert "UPS" in text and "1Z4A7F390312448861" in text
    page.screenshot(path=str(SHOTS / "signed_in_order_status.png"), full_page=True)


def test_thanks_brings_product_cards_with_pictures(page, assistant: Assistant) -> None:
    open_chat(page, assistant, "?customer=C-1001")
    say(page, "where is my order 100234?")
    say(page, "Thank you so much, that's wonderful news!")
    assert "picks" in bot_text(page).lower()
    say(page, "yes please")
    page.wait_for_selector(".card", timeout=REPLY_TIMEOUT_MS)
    cards = page.locator(".card")
    assert cards.count() >= 1
    first = cards.first
    assert "$" in first.locator(".price").inner_text() and first.locator("strong").inner_text()
    assert first.locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
    page.screenshot(path=str(SHOTS / "product_cards.png"), full_page=True)


def test_anonymous_shopper_is_asked_to_verify(page, assistant: Assistant) -> None:
    open_chat(page, assistant)
    assert page.get_by_text("Not signed in").is_visible()
    say(page, "where is my order 100234?")
    text = bot_text(page)
    assert "email" in text.lower() and "UPS" not in text and "1Z4A7F" not in text
    page.screenshot(path=str(SHOTS / "anonymous_verify.png"), full_page=True)


def test_reload_keeps_the_conversation(page, assistant: Assistant) -> None:
    open_chat(page, assistant)
    say(page, "where is my order 100234?")
    page.reload()
    page.wait_for_function("document.getElementById('status').textContent === 'Online'", timeout=30_000)
    assert "where is my order 100234?" in "\n".join(page.locator(".msg.user").all_inner_texts())
    say(page, "alice@example.com")  # answers the question asked before the reload: same Rasa session
    assert "1Z4A7F390312448861" in bot_text(page)
    page.screenshot(path=str(SHOTS / "reload_keeps_session.png"), full_page=True)


def test_readable_and_usable_on_a_phone(browser, assistant: Assistant) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True)
    page = context.new_page()
    open_chat(page, assistant, "?customer=C-1002")
    say(page, "hi")
    box = page.get_by_label("Your message").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375 and box["y"] + box["height"] <= 667
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.keyboard.press("Tab")  # keyboard reaches the controls
    page.screenshot(path=str(SHOTS / "phone.png"), full_page=True)
    context.close()


def test_the_page_cannot_choose_an_identity(assistant: Assistant) -> None:
    assert requests.get(f"{assistant.site_url}/?customer=C-999999", timeout=10).status_code == 404
    assert requests.get(f"{assistant.site_url}/?customer=alice", timeout=10).status_code == 400
    html = requests.get(f"{assistant.site_url}/?customer=C-1001", timeout=10).text
    assert "customer_token" in html and "IDENTITY_SECRET" not in html
