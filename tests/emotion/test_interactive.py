"""`rasa interactive` must not break on the span-less emotion entity, nor write it into NLU data."""

from __future__ import annotations

from rasa.core.training import interactive
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
from rasa.shared.nlu.training_data.training_data import TrainingData

EMOTION = {"entity": "emotion", "value": "angry", "confidence_entity": 0.93, "extractor": "EmotionClassifier"}
ORDER = {"entity": "order_number", "value": "100234", "start": 18, "end": 24, "extractor": "RegexEntityExtractor"}


def parse_data() -> dict:
    return {
        "text": "where is my order 100234",
        "intent": {"name": "order_status", "confidence": 0.97},
        "entities": [ORDER, dict(EMOTION)],
        "emotion": {"label": "angry", "confidence": 0.93},
    }


def test_message_shown_for_correction_annotates_only_span_entities() -> None:
    assert interactive._as_md_message(parse_data()) == "where is my order [100234](order_number)"


def test_corrected_entities_drop_nothing_but_what_the_user_removed() -> None:
    original = parse_data()
    annotated = {"text": original["text"], "entities": [{"entity": "order_number", "value": "100234", "start": 18, "end": 24}]}
    merged = interactive._merge_annotated_and_original_entities(annotated, original)
    assert merged == [ORDER]


def test_exported_nlu_data_has_no_emotion_annotation() -> None:
    events = [{"event": "user", "text": "where is my order 100234", "parse_data": parse_data()}]
    messages = interactive._collect_messages(events)
    yaml_text = RasaYAMLWriter().dumps(TrainingData(training_examples=messages))
    assert "[100234](order_number)" in yaml_text
    assert "emotion" not in yaml_text
