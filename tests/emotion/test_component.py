"""EmotionClassifier as Rasa runs it: create, train, persist, load, process; fingerprints."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.emotion_classifier import MODEL_SUBDIR, EmotionClassifier
from tests.emotion.conftest import TINY_TRAINING


def make_config(data_dir: Path, pretrained_dir: Path, **overrides) -> dict:
    return {**EmotionClassifier.get_default_config(), "data_dir": str(data_dir),
            "pretrained_dir": str(pretrained_dir), "training": dict(TINY_TRAINING), **overrides}


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> LocalModelStorage:
    return LocalModelStorage(tmp_path_factory.mktemp("model_storage"))


@pytest.fixture(scope="module")
def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test-model")


@pytest.fixture(scope="module")
def packed(tiny_data_dir: Path, tiny_model_dir: Path, storage: LocalModelStorage, context: ExecutionContext):
    """Train through Rasa with a matching pretrained directory: the model is packed, not retrained."""
    resource = Resource("emotion_packed")
    config = make_config(tiny_data_dir, tiny_model_dir)
    component = EmotionClassifier.create(config, storage, resource, context)
    assert component.train(TrainingData()) == resource
    return config, resource


def test_train_packs_the_matching_model_into_model_storage(packed, storage: LocalModelStorage, tiny_model_dir: Path) -> None:
    _, resource = packed
    with storage.read_from(resource) as directory:
        packed_files = {p.name for p in (Path(directory) / MODEL_SUBDIR).iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "label_map.json"} <= packed_files
    assert (Path(directory) / MODEL_SUBDIR / "model.safetensors").read_bytes() == (tiny_model_dir / "model.safetensors").read_bytes()


def test_load_and_process_a_batch(packed, storage: LocalModelStorage, context: ExecutionContext) -> None:
    config, resource = packed
    component = EmotionClassifier.load(config, storage, resource, context)
    regex_entity = {"entity": "order_number", "value": "100234", "start": 18, "end": 24, "extractor": "RegexEntityExtractor"}
    messages = [
        Message(data={"text": "where is my order 100234", "entities": [regex_entity]}),
        Message(data={"text": "Thank you so much, you're wonderful!"}),
        Message(data={"text": ""}),
        Message(data={}),
        Message(data={"text": "ok " * 5000}),
        Message(data={"text": "Mein Paket ist nicht angekommen 😡"}),
    ]
    out = component.process(messages)
    assert out is messages
    for message in messages:
        emotion = message.get("emotion")
        assert set(emotion) == {"label", "confidence", "scores", "polarity", "confident", "valence", "explanation"}
        assert len(emotion["scores"]) == 7 and 0.0 <= emotion["valence"] <= 1.0
        entities = message.get("entities")
        acted_on = emotion["label"] if emotion["confident"] else "neutral"  # what the dialogue may react to
        assert entities[-1] == {"entity": "emotion", "value": acted_on, "confidence_entity": emotion["confidence"],
                                "extractor": "EmotionClassifier"}
        assert "emotion" in message.as_dict(only_output_properties=True)
    assert messages[0].get("entities")[0] == regex_entity  # other extractors' entities are kept, in order
    for empty in messages[2:4]:
        assert empty.get("emotion")["label"] == "neutral" and empty.get("emotion")["confident"] is False


def test_train_fine_tunes_when_no_matching_model_exists(tiny_data_dir: Path, tmp_path: Path, context: ExecutionContext) -> None:
    (tmp_path / "storage").mkdir()
    storage = LocalModelStorage(tmp_path / "storage")
    resource = Resource("emotion_trained")
    config = make_config(tiny_data_dir, tmp_path / "missing", training={**TINY_TRAINING, "epochs": 1})
    EmotionClassifier.create(config, storage, resource, context).train(TrainingData())
    loaded = EmotionClassifier.load(config, storage, resource, context)
    (message,) = loaded.process([Message(data={"text": "thanks!"})])
    assert message.get("emotion")["label"] in {"angry", "frustrated", "anxious", "confused", "neutral", "satisfied", "grateful"}


def test_fingerprint_changes_with_data_and_options_only(tiny_data_dir: Path, tmp_path: Path) -> None:
    config = make_config(tiny_data_dir, tmp_path)
    base = EmotionClassifier.fingerprint_addon(config)
    assert EmotionClassifier.fingerprint_addon(dict(config)) == base
    assert EmotionClassifier.fingerprint_addon({**config, "quantize": not config["quantize"]}) == base  # load-time option
    assert EmotionClassifier.fingerprint_addon({**config, "training": {**TINY_TRAINING, "epochs": 9}}) != base
    copy = tmp_path / "data"
    copy.mkdir()
    for name in ("train.csv", "dev.csv", "test.csv"):
        (copy / name).write_bytes((tiny_data_dir / name).read_bytes())
    assert EmotionClassifier.fingerprint_addon({**config, "data_dir": str(copy)}) == base
    with (copy / "train.csv").open("a", encoding="utf-8") as f:
        f.write("one more message,neutral\n")
    assert EmotionClassifier.fingerprint_addon({**config, "data_dir": str(copy)}) != base


def test_unknown_training_option_is_rejected(tiny_data_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown EmotionClassifier training options"):
        EmotionClassifier.fingerprint_addon(make_config(tiny_data_dir, tmp_path, training={"epoch": 3}))


def test_fingerprint_works_with_the_partial_config_rasa_passes() -> None:
    defaults = EmotionClassifier.get_default_config()
    assert EmotionClassifier.fingerprint_addon({}) == EmotionClassifier.fingerprint_addon(defaults)


def test_unsure_readings_reach_the_dialogue_as_neutral(packed, storage: LocalModelStorage, context: ExecutionContext) -> None:
    """With a threshold no reading reaches, every entity (what fills the `emotion` slot) is neutral."""
    config, resource = packed
    strict = EmotionClassifier.load({**config, "confidence_threshold": 1.01}, storage, resource, context)
    texts = ["I am furious, you people are useless", "I'm so worried it won't come", "thank you so much!"]
    for message in strict.process([Message(data={"text": t}) for t in texts]):
        emotion = message.get("emotion")
        assert emotion["confident"] is False and emotion["explanation"] == []
        assert message.get("entities")[-1]["value"] == "neutral"
