"""The review queue on both backends: unsure readings, agents' corrections, masking, no duplicates."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from demo_site.desk.accounts import create_agent
from demo_site.desk.conversation import Turn
from demo_site.desk.corrections import latest_corrections, record_correction
from services.learning.models import EmotionReviewItem
from services.learning.queue import (
    confidence_threshold,
    enqueue_correction,
    enqueue_if_uncertain,
    pending_items,
    queue_counts,
    sync_corrections,
)
from tests.conftest import open_session

PASSWORD = "a long enough password"


def rows(url: str) -> list[EmotionReviewItem]:
    with open_session(url) as s:
        return list(s.execute(select(EmotionReviewItem).order_by(EmotionReviewItem.id)).scalars())


def test_threshold_is_the_classifiers() -> None:
    from components.emotion_classifier import EmotionClassifier

    assert confidence_threshold() == EmotionClassifier.get_default_config()["confidence_threshold"]


def test_threshold_from_config_file(tmp_path) -> None:
    config = tmp_path / "config.yml"
    config.write_text("pipeline:\n  - name: WhitespaceTokenizer\n"
                      "  - name: components.emotion_classifier.EmotionClassifier\n    confidence_threshold: 0.45\n")
    assert confidence_threshold(config) == 0.45


def test_the_readings_own_verdict_decides_over_the_threshold(store_url: str) -> None:
    with open_session(store_url) as s:
        assert not enqueue_if_uncertain(s, sender_id="v1", text="fine", label="neutral", confidence=0.2, confident=True)
        assert enqueue_if_uncertain(s, sender_id="v1", text="hmm ok", label="neutral", confidence=0.95, confident=False)
    assert [r.text_masked for r in rows(store_url)] == ["hmm ok"]


def test_unsure_readings_are_queued_masked_and_once(store_url: str) -> None:
    text = "where is it?? mail me at ann.lee@example.com or call (503) 555-0123"
    with open_session(store_url) as s:
        assert enqueue_if_uncertain(s, sender_id="c1", text=text, label="confused", confidence=0.41)
        assert not enqueue_if_uncertain(s, sender_id="c1", text=text, label="confused", confidence=0.41)  # replayed event
        assert enqueue_if_uncertain(s, sender_id="c2", text=text, label="confused", confidence=0.41)  # another conversation
        assert not enqueue_if_uncertain(s, sender_id="c1", text="thanks so much", label="grateful", confidence=0.93)
        assert not enqueue_if_uncertain(s, sender_id="c1", text="hm", label="neutral", confidence=0.7, threshold=0.6)
        assert enqueue_if_uncertain(s, sender_id="c1", text="hm", label="neutral", confidence=0.7, threshold=0.8)
        assert not enqueue_if_uncertain(s, sender_id="c1", text="   ", label="neutral", confidence=0.1)
        assert not enqueue_if_uncertain(s, sender_id="c1", text="ok", label=None, confidence=None)
        with pytest.raises(ValueError, match="unknown emotion label"):
            enqueue_if_uncertain(s, sender_id="c1", text="ok", label="furious", confidence=0.2)
    queued = rows(store_url)
    assert [(r.sender_id, r.source, r.status) for r in queued] == [("c1", "uncertain", "pending"), ("c2", "uncertain", "pending"),
                                                                   ("c1", "uncertain", "pending")]
    assert queued[0].text_masked == "where is it?? mail me at [EMAIL] or call [PHONE]"
    assert "ann.lee" not in queued[0].text_hash and len(queued[0].text_hash) == 64
    assert (queued[0].model_label, queued[0].model_confidence) == ("confused", 0.41)


def test_corrections_that_disagree_are_queued(store_url: str) -> None:
    with open_session(store_url) as s:
        agent = create_agent(s, "ann", PASSWORD)
        angry = Turn("shopper", "I want my money back, card 4111 1111 1111 1111", 1.0, 0, "frustrated", 0.55)
        record_correction(s, agent, "conv-1", angry, "angry")
        record_correction(s, agent, "conv-1", Turn("shopper", "cool", 2.0, 1, "satisfied", 0.9), "satisfied")  # agrees
        record_correction(s, agent, "conv-1", Turn("shopper", "???", 3.0, 2, None, None), "confused")  # no reading
        assert sync_corrections(s) == 2
        assert sync_corrections(s) == 0  # idempotent
    queued = rows(store_url)
    assert [(r.text_masked, r.model_label, r.suggested_label, r.suggested_by, r.source) for r in queued] == [
        ("I want my money back, card [CARD]", "frustrated", "angry", "ann", "correction"),
        ("???", None, "confused", "ann", "correction"),
    ]
    assert all(r.correction_id is not None for r in queued)


def test_a_correction_of_a_queued_message_becomes_its_suggestion(store_url: str) -> None:
    text = "is this going to arrive before friday"
    with open_session(store_url) as s:
        agent = create_agent(s, "bo", PASSWORD)
        assert enqueue_if_uncertain(s, sender_id="conv-2", text=text, label="neutral", confidence=0.5)
        record_correction(s, agent, "conv-2", Turn("shopper", text, 1.0, 0, "neutral", 0.5), "anxious")
        [view] = latest_corrections(s)
        assert enqueue_correction(s, view)
        assert not enqueue_correction(s, view)
    [item] = rows(store_url)
    assert (item.source, item.suggested_label, item.proposed_label, item.status) == ("correction", "anxious", "anxious", "pending")


def test_a_labelled_message_reopens_only_for_a_newer_disagreeing_correction(store_url: str) -> None:
    text = "fine, whatever"
    with open_session(store_url) as s:
        agent = create_agent(s, "cy", PASSWORD)
        enqueue_if_uncertain(s, sender_id="conv-3", text=text, label="neutral", confidence=0.4)
        [item] = pending_items(s)
        item.status, item.final_label, item.labelled_at = "relabelled", "frustrated", dt.datetime.utcnow() - dt.timedelta(hours=1)
        s.flush()
        record_correction(s, agent, "conv-3", Turn("shopper", text, 1.0, 0, "neutral", 0.4), "frustrated")
        assert sync_corrections(s) == 0  # the agent agrees with the label given
        record_correction(s, agent, "conv-3", Turn("shopper", text, 1.0, 0, "neutral", 0.4), "angry")
        assert sync_corrections(s) == 1  # newer and disagrees: back to pending
        assert queue_counts(s)["pending"] == 1 and pending_items(s)[0].suggested_label == "angry"
        assert pending_items(s)[0].final_label is None


def test_pending_order_corrections_first_then_least_confident(store_url: str) -> None:
    with open_session(store_url) as s:
        agent = create_agent(s, "di", PASSWORD)
        enqueue_if_uncertain(s, sender_id="a", text="maybe", label="neutral", confidence=0.55)
        enqueue_if_uncertain(s, sender_id="a", text="hmm ok", label="confused", confidence=0.31)
        record_correction(s, agent, "b", Turn("shopper", "this is a joke", 1.0, 0, "satisfied", 0.7), "frustrated")
        sync_corrections(s)
        assert [i.text_masked for i in pending_items(s)] == ["this is a joke", "hmm ok", "maybe"]
        assert [i.text_masked for i in pending_items(s, limit=1)] == ["this is a joke"]
