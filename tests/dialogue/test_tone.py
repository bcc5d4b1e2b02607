"""Tone of composed replies."""

from __future__ import annotations

import pytest

from actions.dialogue.tone import TONE_OF_EMOTION, TONES, compose, tone_for
from components.emotion.labels import LABELS


def test_every_emotion_has_a_tone_and_unknown_is_efficient() -> None:
    assert set(TONE_OF_EMOTION) == set(LABELS)
    assert set(TONE_OF_EMOTION.values()) == set(TONES)
    assert tone_for(None) == "efficient" and tone_for("bored") == "efficient"


def test_stepwise_numbers_facts_and_steps() -> None:
    text = compose("stepwise", "Here's where it is:", ["It shipped.", "It's with UPS."], ["Track it online."])
    assert "1. It shipped.\n2. It's with UPS.\n3. Track it online." in text


def test_reassuring_lists_facts_then_what_happens_next() -> None:
    text = compose("reassuring", "It's on its way.", ["Due Friday."], ["You'll get an email."])
    assert text.index("- Due Friday.") < text.index("What happens next: You'll get an email.")


@pytest.mark.parametrize("tone", ["apologetic", "empathetic"])
def test_apologies_are_calm(tone: str) -> None:
    assert "!" not in compose(tone, "Done!", ["Refund sent!"])


def test_unknown_tone_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown tone"):
        compose("cheerful", "hi")
