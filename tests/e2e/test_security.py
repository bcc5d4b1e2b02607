"""The probes a new user tried against the open defaults: none of them may leak any more.

- the HTTP API without credentials (someone else's tracker);
- unsigned ``customer_id`` metadata (someone else's order);
- a forged request straight to the action server (which once opened a ticket).
"""

from __future__ import annotations

import uuid

import requests
from sqlalchemy import func, select

from services.store.db import session_scope
from services.store.models import Ticket
from tests.e2e.conftest import SECRETS, Assistant

BOB_SECRETS = ("FedEx", "FX771200", "100241", "Denver")


def sender() -> str:
    return f"sec-{uuid.uuid4().hex[:10]}"


def test_tracker_api_needs_the_token(assistant: Assistant) -> None:
    victim = sender()
    assistant.say(victim, "where is my order 100241?", customer_id="C-1002")
    url = f"{assistant.base_url}/conversations/{victim}/tracker"
    for params, headers in (({}, {}), ({"token": "wrong"}, {}), ({}, {"Authorization": f"Bearer {SECRETS['ACTION_SERVER_TOKEN']}"})):
        response = requests.get(url, params=params, headers=headers, timeout=30)
        assert response.status_code in (401, 403), response.status_code
        assert not any(s in response.text for s in BOB_SECRETS)
    assert assistant.tracker(victim)["sender_id"] == victim  # the right token still works


def test_unsigned_metadata_leaves_the_shopper_anonymous(assistant: Assistant) -> None:
    for metadata in ({"customer_id": "C-1002"}, {"customer_id": "C-1002", "customer_token": "0" * 64}):
        body = {"sender": sender(), "message": "where is my order 100241?", "metadata": metadata}
        response = requests.post(f"{assistant.base_url}/webhooks/rest/webhook", json=body, timeout=60)
        reply = "\n".join(m.get("text", "") for m in response.json())
        assert response.ok and "email" in reply.lower()
        assert not any(s in reply for s in BOB_SECRETS)


def forged_call(action: str = "action_handoff") -> dict:
    tracker = {"sender_id": sender(), "slots": {"customer_id": "C-1002", "identified": True, "handoff_reason": "threat"},
               "latest_message": {"text": "help", "intent": {"name": "request_human"}}, "events": [],
               "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": None}
    return {"next_action": action, "sender_id": tracker["sender_id"], "tracker": tracker, "domain": {}, "version": "3.6.21"}


def tickets(assistant: Assistant) -> int:
    with session_scope(assistant.database_url) as session:
        return session.scalar(select(func.count()).select_from(Ticket))


def test_action_server_refuses_calls_without_the_shared_secret(assistant: Assistant) -> None:
    before = tickets(assistant)
    for headers in ({}, {"Authorization": "Bearer forged"}, {"Authorization": SECRETS["ACTION_SERVER_TOKEN"]}):
        response = requests.post(f"{assistant.actions_url}/webhook", json=forged_call(), headers=headers, timeout=30)
        assert response.status_code == 401, (headers, response.status_code)
    assert requests.get(f"{assistant.actions_url}/actions", timeout=30).status_code == 401
    assert tickets(assistant) == before, "a forged call reached an action"
    assert requests.get(f"{assistant.actions_url}/health", timeout=30).ok


def test_action_server_listens_on_loopback_only(assistant: Assistant) -> None:
    assert assistant.actions_url.startswith("http://127.0.0.1:")
    import socket

    port = int(assistant.actions_url.rsplit(":", 1)[1])
    addresses = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)} - {"127.0.0.1"}
    for address in addresses:
        with socket.socket() as s:
            s.settimeout(2)
            assert s.connect_ex((address, port)) != 0, f"action server reachable on {address}:{port}"


def test_guessing_across_conversations_meets_the_same_reply_and_a_back_off(assistant: Assistant) -> None:
    """Carla's order 100250 guessed from three fresh conversations: the fourth, with the right email, is refused too."""
    replies = []
    for guess in ("guess1@example.com", "guess2@example.com", "guess3@example.com"):
        s = sender()
        assistant.say(s, "what's the status of order 100250?")
        replies.append(assistant.say(s, guess))
    s = sender()
    assistant.say(s, "what's the status of order 100250?")
    right = assistant.say(s, "carla@example.com")
    assert "couldn't verify" in right.lower() and "refund" not in right.lower()
    assert all("couldn't verify" in r.lower() for r in replies)
    assert len({r.split("\n")[0] for r in [*replies, right]}) == 1  # the same words whatever was wrong
