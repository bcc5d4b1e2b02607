"""action_validate_slot_mappings: identity from metadata, mood over time, escalation."""

from __future__ import annotations

from actions.slot_mappings import ActionValidateSlotMappings
from services.store.identity import sign_customer_id
from tests.actions.conftest import make_tracker, run, slot_events

ANGRY = {"label": "angry", "confidence": 0.95}


def updates(**kwargs) -> dict:
    return slot_events(run(ActionValidateSlotMappings(), make_tracker(**kwargs))[1])


def signed(customer_id: str, secret: str = "s3cret") -> dict:
    return {"customer_id": customer_id, "customer_token": sign_customer_id(secret, customer_id)}


def test_known_customer_from_signed_metadata(store: str, monkeypatch) -> None:
    monkeypatch.setenv("IDENTITY_SECRET", "s3cret")
    assert updates(metadata=signed("C-1001")).items() >= {"customer_id": "C-1001", "identified": True}.items()


def test_unknown_or_malformed_metadata_identifies_nobody(store: str, monkeypatch) -> None:
    monkeypatch.setenv("IDENTITY_SECRET", "s3cret")
    for metadata in (signed("C-999999"), {"customer_id": "1001"}, {"customer_id": ["C-1001"]}, {"customer": "C-1001"}):
        assert "identified" not in updates(metadata=metadata)


def test_unsigned_metadata_identifies_nobody_without_a_secret(store: str, monkeypatch) -> None:
    monkeypatch.delenv("IDENTITY_SECRET", raising=False)
    assert "identified" not in updates(metadata={"customer_id": "C-1001"})
    assert "identified" not in updates(metadata=signed("C-1001", ""))


def test_signed_metadata_is_required_when_a_secret_is_set(store: str, monkeypatch) -> None:
    monkeypatch.setenv("IDENTITY_SECRET", "s3cret")
    assert "identified" not in updates(metadata={"customer_id": "C-1001"})
    assert "identified" not in updates(metadata={"customer_id": "C-1001", "customer_token": sign_customer_id("other", "C-1001")})
    good = {"customer_id": "C-1001", "customer_token": sign_customer_id("s3cret", "C-1001")}
    assert updates(metadata=good)["identified"] is True


def test_mood_state_tracks_the_latest_emotions(store: str) -> None:
    result = updates(emotion={"label": "anxious", "confidence": 0.8}, slots={"emotion_history": [{"label": "neutral", "confidence": 0.9}]})
    assert result["tone"] == "reassuring"
    assert result["emotion_history"] == [{"label": "neutral", "confidence": 0.9},
                                         {"label": "anxious", "confidence": 0.8, "confident": True}]
    assert 0 < result["frustration_score"] < 1


def test_history_is_bounded(store: str) -> None:
    history = [{"label": "neutral", "confidence": 0.9}] * 10
    assert len(updates(emotion=ANGRY, slots={"emotion_history": history})["emotion_history"]) == 10


def test_first_anger_does_not_escalate_the_second_does(store: str) -> None:
    first = updates(text="where is my parcel you idiots", emotion=ANGRY)
    assert "escalate" not in first
    second = updates(text="still nothing!!", emotion=ANGRY, slots={"emotion_history": first["emotion_history"]})
    assert (second["escalate"], second["handoff_reason"]) == (True, "angry_unresolved")


def test_threat_escalates_immediately(store: str) -> None:
    result = updates(text="I'm filing a chargeback today", emotion={"label": "frustrated", "confidence": 0.7})
    assert (result["escalate"], result["handoff_reason"]) == (True, "threat")


def test_repeated_nlu_fallback_escalates_and_success_resets(store: str) -> None:
    once = updates(intent="nlu_fallback", text="blorp")
    assert once["nlu_failures"] == 1.0 and "escalate" not in once
    twice = updates(intent="nlu_fallback", text="blorp", slots={"nlu_failures": 1.0})
    assert twice["handoff_reason"] == "nlu_failures"
    assert updates(intent="greet", slots={"nlu_failures": 1.0})["nlu_failures"] == 0.0


def test_order_intents_remember_the_request(store: str) -> None:
    assert updates(intent="cancel_order")["request"] == "cancel_order"
    assert "request" not in updates(intent="faq")


def test_missing_emotion_is_neutral_not_an_error(store: str) -> None:
    result = updates(text="")
    assert result["tone"] == "efficient" and result["emotion_history"][-1]["label"] == "neutral"


def test_a_complaint_naming_an_order_becomes_a_delivery_problem(store: str) -> None:
    entities = [{"entity": "order_number", "value": "100241", "start": 12, "end": 18}]
    assert updates(intent="complaint", entities=entities)["request"] == "delivery_problem"
    assert "request" not in updates(intent="complaint")


def test_unconfident_negative_reading_gets_the_neutral_tone_and_no_escalation(store: str) -> None:
    unsure = {"label": "angry", "confidence": 0.45, "confident": False}
    first = updates(text="where is my parcel", emotion=unsure)
    assert first["tone"] == "efficient"
    second = updates(text="still nothing", emotion=unsure, slots={"emotion_history": first["emotion_history"]})
    assert "escalate" not in second and second.get("tone", "efficient") == "efficient"
    assert second["frustration_score"] == 0.0


def test_confident_negative_reading_keeps_its_explanation(store: str) -> None:
    angry = {"label": "angry", "confidence": 0.9, "confident": True, "explanation": ["furious"]}
    result = updates(text="I am furious about this", emotion=angry)
    assert result["tone"] == "apologetic"
    assert result["emotion_history"][-1] == {"label": "angry", "confidence": 0.9, "confident": True, "explanation": ["furious"]}


def test_a_second_run_for_the_same_message_changes_nothing(store: str) -> None:
    """Rasa runs the action again when a form activates on the message: it must not count it twice."""
    tracker = make_tracker(text="I am furious, my order never came", intent="delivery_problem", emotion=ANGRY)
    first = run(ActionValidateSlotMappings(), tracker)[1]
    assert "escalate" not in slot_events(first)
    tracker.events.extend({"event": "slot", "name": e["name"], "value": e["value"]} for e in first)
    tracker.slots.update(slot_events(first))
    assert run(ActionValidateSlotMappings(), tracker)[1] == []


def test_the_next_message_is_counted_again(store: str) -> None:
    earlier = [{"event": "user", "text": "where is it"}, {"event": "slot", "name": "emotion_history", "value": [ANGRY]}]
    result = slot_events(run(ActionValidateSlotMappings(), make_tracker(emotion=ANGRY, events=earlier,
                                                                       slots={"emotion_history": [{**ANGRY, "confident": True}]}))[1])
    assert len(result["emotion_history"]) == 2
