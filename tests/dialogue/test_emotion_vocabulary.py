"""One emotion vocabulary: every list of emotions in the dialogue is tied to components/emotion/labels.py."""

from __future__ import annotations

from pathlib import Path

import yaml

from actions.dialogue.config import dialogue_config
from actions.dialogue.escalation import HOSTILE_AFTER_ANGER, SEVERITY
from actions.dialogue.tone import TONE_OF_EMOTION
from components.emotion.labels import LABELS, NEGATIVE, POSITIVE
from services.settings import PROJECT_ROOT

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())


def training_and_test_dialogue_files() -> list[Path]:
    files = [p for p in (PROJECT_ROOT / "data").rglob("*.yml") if "emotion" not in p.parts]
    return files + list((PROJECT_ROOT / "tests" / "stories").glob("*.yml"))


def emotions_in(files: list[Path]) -> dict[str, set[str]]:
    """Every `emotion` slot value and entity written in the rules and stories of ``files``, per file."""
    found: dict[str, set[str]] = {}
    for path in files:
        doc = yaml.safe_load(path.read_text()) or {}
        for item in doc.get("rules", []) + doc.get("stories", []):
            for step in item.get("steps", []) + item.get("condition", []):
                for entity in step.get("entities", []) if isinstance(step.get("entities"), list) else []:
                    if isinstance(entity, dict) and "emotion" in entity:
                        found.setdefault(path.name, set()).add(entity["emotion"])
                for slot in step.get("slot_was_set", []) if isinstance(step, dict) else []:
                    if isinstance(slot, dict) and slot.get("emotion") is not None:
                        found.setdefault(path.name, set()).add(slot["emotion"])
    return found


def test_domain_emotion_slot_values_are_the_labels() -> None:
    assert DOMAIN["slots"]["emotion"]["values"] == list(LABELS)


def test_severity_has_one_weight_per_label_ordered_by_polarity() -> None:
    assert list(SEVERITY) == list(LABELS)
    assert all(0.0 <= w <= 1.0 for w in SEVERITY.values())
    assert all(SEVERITY[label] == 0.0 for label in POSITIVE | {"neutral"})
    assert min(SEVERITY[label] for label in NEGATIVE) > max(SEVERITY[label] for label in set(LABELS) - NEGATIVE)


def test_hostile_after_anger_is_negative_and_starts_with_anger() -> None:
    assert "angry" in HOSTILE_AFTER_ANGER and HOSTILE_AFTER_ANGER <= NEGATIVE


def test_tone_mapping_covers_exactly_the_labels() -> None:
    assert set(TONE_OF_EMOTION) == set(LABELS)


def test_configured_recommendation_emotions_are_labels() -> None:
    config = dialogue_config()
    assert config.offer_recommendations_when <= set(LABELS) >= config.hold_back_recommendations_when


def test_rules_and_stories_only_use_known_emotions() -> None:
    found = emotions_in(training_and_test_dialogue_files())
    assert found, "no emotion slot values found in data/ or tests/stories/"
    unknown = {path: values - set(LABELS) for path, values in found.items() if values - set(LABELS)}
    assert not unknown


def test_vocabulary_check_sees_a_typo(tmp_path: Path) -> None:
    """Guard for the test above: a misspelt emotion in a rule is found."""
    rules = tmp_path / "rules.yml"
    rules.write_text("rules:\n- rule: r\n  steps:\n  - intent: thank\n    entities:\n    - emotion: grateful\n"
                     "  - slot_was_set:\n    - emotion: angery\n  - action: utter_you_are_welcome\n")
    assert emotions_in([rules]) == {"rules.yml": {"grateful", "angery"}}
