"""action_answer_from_knowledge with a real built index: quotes and cites, or says it doesn't know."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.knowledge import ActionAnswerFromKnowledge, quote_for_tone
from services.knowledge import service
from tests.actions.conftest import make_tracker, run, slot_events


def test_a_covered_question_is_quoted_with_its_section(served_index: Path) -> None:
    messages, events = run(ActionAnswerFromKnowledge(),
                           make_tracker("do u do price matching with other shops", intent="nlu_fallback"))
    (message,) = messages
    assert message["response"] == "utter_knowledge_answer"
    assert message["source"] == "Payments, prices and gift cards > Price match"
    assert "within 14 days of your purchase" in message["quote"]
    assert slot_events(events) == {"knowledge_found": True}


def test_an_uncovered_question_says_it_does_not_know(served_index: Path) -> None:
    messages, events = run(ActionAnswerFromKnowledge(), make_tracker("do you offer gift wrapping?", intent="nlu_fallback"))
    assert [m["response"] for m in messages] == ["utter_knowledge_unknown"]
    assert slot_events(events) == {"knowledge_found": False}  # the rule then offers a person


def test_out_of_scope_without_an_answer_says_what_i_can_do(served_index: Path) -> None:
    messages, events = run(ActionAnswerFromKnowledge(), make_tracker("tell me a joke", intent="out_of_scope"))
    assert [m["response"] for m in messages] == ["utter_out_of_scope"]
    assert slot_events(events) == {"knowledge_found": False}


def test_stepwise_shoppers_get_numbered_sentences(served_index: Path) -> None:
    messages, _ = run(ActionAnswerFromKnowledge(), make_tracker("how much is express shipping", intent="nlu_fallback",
                                                                slots={"tone": "stepwise"}))
    assert messages[0]["quote"].startswith("1. Standard shipping is free") and "\n2. Express shipping" in messages[0]["quote"]
    assert quote_for_tone("One. Two.", "warm") == "One. Two."


def test_no_index_means_no_answer_and_says_what_to_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("KNOWLEDGE_INDEX_DIR", str(tmp_path / "nothing"))
    messages, events = run(ActionAnswerFromKnowledge(), make_tracker("how long do I have to return something?",
                                                                     intent="nlu_fallback"))
    assert [m["response"] for m in messages] == ["utter_knowledge_unknown"]
    assert slot_events(events) == {"knowledge_found": False}
    assert "services.knowledge.build_index" in caplog.text


def test_an_index_built_from_other_documents_is_not_used(index_dir: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "returns.md").write_text("# Returns\n## Return window\nYou can return an item within 45 days.\n")
    assert service.loaded_index(index_dir, documents_dir=docs) is None
    assert service.loaded_index(index_dir) is not None
