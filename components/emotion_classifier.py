"""Rasa NLU component: the shopper's emotion for every message.

Adds ``emotion = {"label", "confidence", "scores", "polarity", "confident", "valence",
"explanation"}`` to each message (in ``/model/parse`` and ``tracker.latest_message``) and
appends an ``emotion`` entity so a slot can be filled from it. The entity's value is the reading
the dialogue acts on: the label when ``confident``, ``neutral`` otherwise (an unsure reading
gets the neutral, efficient tone and never drives an apology or an escalation). The entity has no ``start``/``end`` on purpose:
it describes the whole message, and Rasa's training-data writers (``rasa interactive``)
skip span-less entities instead of annotating the text with them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.emotion.data import data_fingerprint
from components.emotion.inference import EmotionPredictor
from components.emotion.labels import dialogue_label

if TYPE_CHECKING:  # training code (torch training loop, matplotlib reports) is imported only when training
    from components.emotion.train import TrainingOptions

logger = logging.getLogger(__name__)

EMOTION = "emotion"
MODEL_SUBDIR = "emotion_model"
THREADS_ENV = "EMOTION_NUM_THREADS"  # overrides the `num_threads` config key at load


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class EmotionClassifier(GraphComponent):
    """Fine-tuned MiniLM emotion classifier, packed into the Rasa model."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The component's default config (see parent class for full docstring)."""
        return {
            # A fine-tuned directory (`make emotion-train`). It is packed as is when its
            # training fingerprint matches the current data and options; otherwise the
            # component fine-tunes during `rasa train` (about 10 minutes on 2 cores).
            "pretrained_dir": "models/emotion",
            # Directory with train.csv / dev.csv / test.csv (and the optional ambiguous.csv).
            "data_dir": "data/emotion",
            # Overrides of components.emotion.train.TrainingOptions (e.g. {"epochs": 2}).
            "training": {},
            # Inference engine: onnx-int8 (ONNX Runtime, int8 weights; serving), onnx (fp32),
            # torch or torch-int8 (for comparison; bench/emotion_latency.py).
            "backend": "onnx-int8",
            # Legacy switch: with backend torch, quantize the feed-forward layers at load time.
            "quantize": False,
            # Below this calibrated top probability the result is marked `confident: false`
            # (0.6: on our dev split 96 % of readings clear it and 95 % of those are right,
            # against 49 % below it; unsure
            # one-word reactions such as "oh" fall below it).
            "confidence_threshold": 0.6,
            # Label frequencies of real traffic, applied to the calibrated probabilities
            # (missing labels keep components.emotion.calibration.DEFAULT_DEPLOYMENT_PRIOR).
            "deployment_prior": {},
            # Occlusion explanation (the words that drove it) for confident negative readings.
            "explain": True,
            # A single sentence this negative overrides a non-negative long message.
            "sentence_negative_threshold": 0.7,
            # Tokens per forward pass (longer text is truncated).
            "max_length": 128,
            # Messages with more tokens than this are scored sentence by sentence.
            "long_message_tokens": 96,
            # Messages per forward pass in `process`.
            "batch_size": 32,
            # CPU threads of ONNX Runtime (0 = 2) or torch (0 = torch's default) at inference;
            # the environment's EMOTION_NUM_THREADS wins (services/rasa_launcher.py sets 1 per Sanic worker).
            "num_threads": 0,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        predictor: EmotionPredictor | None = None,
    ) -> None:
        self.component_config = config
        self._model_storage = model_storage
        self._resource = resource
        self._predictor = predictor

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EmotionClassifier:
        """Creates an untrained component (see parent class for full docstring)."""
        return cls(config, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Retrain when the emotion data or the training options change (Rasa caches otherwise)."""
        config = {**cls.get_default_config(), **config}  # Rasa's fingerprint run passes only the keys set in config.yml
        options = cls.training_options(config, output_dir="")
        return hashlib.sha256(f"{data_fingerprint(Path(config['data_dir']))}:{options.fingerprint()}".encode()).hexdigest()

    @staticmethod
    def training_options(config: dict[str, Any], output_dir: str) -> TrainingOptions:
        from components.emotion.train import TrainingOptions

        known = {f.name for f in dataclasses.fields(TrainingOptions)}
        unknown = set(config.get("training", {})) - known
        if unknown:
            raise ValueError(f"unknown EmotionClassifier training options {sorted(unknown)}; valid: {sorted(known)}")
        return TrainingOptions(output_dir=output_dir, data_dir=config["data_dir"], **config.get("training", {}))

    def train(self, training_data: TrainingData) -> Resource:
        """Pack the matching fine-tuned model, or fine-tune one, into the model storage."""
        with self._model_storage.write_to(self._resource) as directory:
            target = Path(directory) / MODEL_SUBDIR
            options = self.training_options(self.component_config, output_dir=str(target))
            source = Path(self.component_config["pretrained_dir"])
            if self._matches(source, options):
                logger.info("Packing the fine-tuned emotion model from %s", source)
                shutil.copytree(source, target)
            else:
                logger.info("No matching model in %s: fine-tuning the emotion classifier", source)
                from components.emotion.train import train

                train(options)
        return self._resource

    def _matches(self, source: Path, options: TrainingOptions) -> bool:
        stamp = source / "training_fingerprint.json"
        if not stamp.exists():
            return False
        recorded = json.loads(stamp.read_text())
        return recorded == {"data": data_fingerprint(Path(options.data_dir)), "options": options.fingerprint()}

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> EmotionClassifier:
        """Loads the packed model (see parent class for full docstring)."""
        with model_storage.read_from(resource) as directory:
            predictor = EmotionPredictor(
                Path(directory) / MODEL_SUBDIR,
                backend=config["backend"],
                quantize=config["quantize"],
                deployment_prior=config["deployment_prior"] or None,
                explain=config["explain"],
                max_length=config["max_length"],
                confidence_threshold=config["confidence_threshold"],
                sentence_negative_threshold=config["sentence_negative_threshold"],
                num_threads=int(os.environ.get(THREADS_ENV) or config["num_threads"]),
                long_message_tokens=config["long_message_tokens"],
            )
        return cls(config, model_storage, resource, predictor)

    def process(self, messages: list[Message]) -> list[Message]:
        """Sets `emotion` on each message and appends an `emotion` entity, in one batch."""
        if self._predictor is None:
            raise RuntimeError("EmotionClassifier used before training or loading")
        texts = [m.get(TEXT) for m in messages]
        for message, result in zip(messages, self._predictor.predict(texts, self.component_config["batch_size"])):
            message.set(EMOTION, result.as_dict(), add_to_output=True)
            entity = {
                "entity": EMOTION,
                "value": dialogue_label(result.label, result.confident),
                "confidence_entity": result.confidence,
                "extractor": self.__class__.__name__,
            }
            message.set(ENTITIES, [*message.get(ENTITIES, []), entity], add_to_output=True)
        return messages
