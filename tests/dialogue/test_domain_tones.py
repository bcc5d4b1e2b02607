"""Every shopper-visible response in domain.yml has one variant per tone.

Static responses get their tone from conditional response variations on the ``tone``
slot: one variant for each of the five non-default tones plus one unconditioned default,
which serves the ``efficient`` tone. The ``utter_faq/*`` answers are left out: their
tone is added by ``action_answer_faq``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from actions.dialogue.tone import TONES
from services.settings import PROJECT_ROOT

CONDITIONED_TONES = ("apologetic", "empathetic", "reassuring", "stepwise", "warm")
CALM_TONES = ("apologetic", "empathetic")
# {name} but not the doubled braces of an escaped JSON payload ('/rate{{"rating": "1"}}').
PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})")

DOMAIN: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
RESPONSES: dict[str, list[dict[str, Any]]] = DOMAIN["responses"]
TONED = sorted(name for name in RESPONSES if name.startswith("utter_") and not name.startswith("utter_faq/"))


def tone_of(variant: dict[str, Any]) -> str | None:
    """The tone a variant is conditioned on; None for the unconditioned default."""
    conditions = variant.get("condition")
    if not conditions:
        return None
    assert len(conditions) == 1, f"expected one condition, got {conditions}"
    (condition,) = conditions
    assert condition.get("type") == "slot" and condition.get("name") == "tone", f"condition not on slot tone: {condition}"
    return condition["value"]


def placeholders(variant: dict[str, Any]) -> set[str]:
    return set(PLACEHOLDER.findall(variant.get("text", "")))


def test_the_tones_match_the_tone_slot_and_the_tone_module() -> None:
    assert DOMAIN["slots"]["tone"]["values"] == list(TONES)
    assert set(CONDITIONED_TONES) | {"efficient"} == set(TONES)


def test_there_are_toned_responses_and_faq_answers_are_left_out() -> None:
    assert "utter_greet" in TONED and "utter_handoff" in TONED
    assert not [name for name in TONED if "/" in name]


@pytest.mark.parametrize("name", TONED)
def test_one_variant_per_tone_and_one_default(name: str) -> None:
    tones = [tone_of(v) for v in RESPONSES[name]]
    conditioned = sorted(t for t in tones if t is not None)
    assert conditioned == sorted(CONDITIONED_TONES), f"{name}: tones {conditioned}"
    assert tones.count(None) == 1, f"{name}: {tones.count(None)} unconditioned defaults"
    assert all(v.get("text", "").strip() for v in RESPONSES[name]), f"{name}: a variant has no text"


@pytest.mark.parametrize("name", TONED)
def test_variants_share_placeholders_and_buttons(name: str) -> None:
    variants = RESPONSES[name]
    default = next(v for v in variants if tone_of(v) is None)
    for variant in variants:
        tone = tone_of(variant) or "default"
        assert placeholders(variant) == placeholders(default), f"{name} ({tone}): placeholders differ from the default"
        assert variant.get("buttons") == default.get("buttons"), f"{name} ({tone}): buttons differ from the default"


@pytest.mark.parametrize("name", TONED)
def test_apologetic_and_empathetic_variants_have_no_exclamation_marks(name: str) -> None:
    for variant in RESPONSES[name]:
        if tone_of(variant) in CALM_TONES:
            assert "!" not in variant["text"], f"{name} ({tone_of(variant)}): {variant['text']!r}"


def test_placeholder_pattern_ignores_escaped_json_payloads() -> None:
    assert placeholders({"text": 'ticket #{ticket_id} /rate{{"rating": "1"}}'}) == {"ticket_id"}
