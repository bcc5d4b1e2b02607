"""Reading a Rasa tracker (or a ticket) into the desk's transcript."""

from __future__ import annotations

from demo_site.desk.conversation import MAX_TURN_CHARS, from_ticket, from_tracker, shopper_turn_at, ticket_turn_at
from services.store.models import Ticket
from tests.desk.rasa_double import bot_event, user_event


def tracker(events: list[dict], channel: str = "socketio") -> dict:
    return {"sender_id": "s-1", "latest_input_channel": channel, "events": events, "slots": {"request": "order_status"}}


def sample_events() -> list[dict]:
    return [
        {"event": "action", "name": "action_session_start"},
        user_event("where is my order 100241", "neutral", 0.8),
        {"event": "slot", "name": "request", "value": "order_status"},
        {"event": "action", "name": "verification_form"},
        {"event": "slot", "name": "identified", "value": True},
        {"event": "action", "name": "action_handle_request"},
        bot_event("Your order 100241 is running late."),
        user_event("This is useless, I am furious", "angry", 0.93, ["useless", "furious"]),
        {"event": "action", "name": "action_handoff"},
        bot_event("I've opened ticket #7 for a person on our team."),
        {"event": "pause"},
        user_event("hello?? anyone", "frustrated", 0.55),
        {"event": "bot", "text": "Dana (Harbor & Pine team): I'm on it.", "metadata": {"source": "desk", "agent": "dana"}},
    ]


def test_tracker_turns_carry_emotions_explanations_and_agents() -> None:
    conv = from_tracker(tracker(sample_events()))
    assert conv.source == "tracker" and conv.channel == "socketio" and conv.paused
    roles = [t.role for t in conv.turns]
    assert roles == ["shopper", "bot", "shopper", "bot", "shopper", "agent"]
    angry = conv.turns[2]
    assert (angry.index, angry.emotion, angry.confidence, angry.confident, angry.explanation) == (1, "angry", 0.93, True, ("useless", "furious"))
    assert conv.turns[4].while_paused and not conv.turns[2].while_paused
    assert conv.turns[4].confident is False
    assert conv.turns[5].agent == "dana"
    assert conv.bot_did == ["asked for the order number and the email on the order", "verified the shopper",
                            "answered the order status request", "opened this ticket and paused itself"]
    assert conv.slots["request"] == "order_status" and conv.slots["identified"] is True


def test_resume_unpauses_and_turn_numbers_count_every_shopper_turn() -> None:
    events = sample_events() + [{"event": "resume"}, user_event("thanks", "grateful", 0.9)]
    conv = from_tracker(tracker(events), max_turns=2)
    assert not conv.paused
    assert conv.hidden_turns == 5 and [t.index for t in conv.turns if t.role == "shopper"] == [3]
    turn = shopper_turn_at(tracker(events), 1)
    assert turn is not None and turn.text == "This is useless, I am furious"
    assert shopper_turn_at(tracker(events), 4) is None and shopper_turn_at(tracker(events), -1) is None


def test_long_turns_are_cut_and_malformed_events_ignored() -> None:
    events = [user_event("x" * (MAX_TURN_CHARS + 100), "neutral"), "not an event", {"event": "user", "text": None},
              {"event": "user", "text": "no parse data"}, {"event": "bot"}]
    conv = from_tracker(tracker(events))
    assert [len(t.text) for t in conv.turns] == [MAX_TURN_CHARS, len("no parse data")]
    assert conv.turns[0].truncated and conv.turns[1].emotion is None


def test_slack_reply_target_is_the_latest_message_thread() -> None:
    events = [user_event("hi", metadata={"out_channel": "D0SHOPPER", "thread_id": "171.000"}),
              user_event("still there?", metadata={"out_channel": "D0SHOPPER", "thread_id": "172.000"})]
    assert from_tracker(tracker(events, "slack")).reply_target == {"channel": "D0SHOPPER", "thread_ts": "172.000"}


def test_ticket_fallback_matches_emotions_to_shopper_turns_from_the_end() -> None:
    ticket = Ticket(id=3, sender_id="s-1", reason="angry_unresolved", status="open",
                    transcript=[{"role": "bot", "text": "Hello"}, {"role": "user", "text": "late again"},
                                {"role": "bot", "text": "Sorry"}, {"role": "user", "text": "useless"}],
                    emotion_history=[{"label": "neutral", "confidence": 0.7}, {"label": "frustrated", "confidence": 0.8},
                                     {"label": "angry", "confidence": 0.95, "explanation": ["useless"]}])
    conv = from_ticket(ticket)
    shoppers = [t for t in conv.turns if t.role == "shopper"]
    assert [(t.text, t.emotion, t.index) for t in shoppers] == [("late again", "frustrated", 0), ("useless", "angry", 1)]
    assert shoppers[1].explanation == ("useless",) and conv.source == "ticket" and conv.channel is None
    assert ticket_turn_at(ticket, 1).text == "useless" and ticket_turn_at(ticket, 2) is None
