"""Intent accuracy on held-back emotional paraphrases (tests/nlu/emotional_paraphrases.yml).

Parses every held-back message with the trained assistant (``models/assistant.tar.gz`` from
``make train``; ``NLU_EVAL_MODEL`` points at another model, e.g. one from ``rasa train nlu``).
Like ``rasa test nlu``, a FallbackClassifier prediction is undone (the best real intent counts);
FAQ messages must also get the right answer topic from the ResponseSelector. The data checks
(held-back file disjoint from training, enough examples per intent) need no model.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MODEL = Path(os.environ.get("NLU_EVAL_MODEL") or PROJECT_ROOT / "models" / "assistant.tar.gz")
HELD_BACK = PROJECT_ROOT / "tests" / "nlu" / "emotional_paraphrases.yml"
TRAINING_DIR = PROJECT_ROOT / "data" / "nlu"
EMOTIONAL_TRAINING = TRAINING_DIR / "emotional_requests.yml"
MIN_INTENT_ACCURACY = 0.95
MIN_FAQ_TOPIC_ACCURACY = 0.90
MIN_TRAINING_PER_INTENT, MIN_HELD_BACK_PER_INTENT = 15, 8
FALLBACK = "nlu_fallback"
# The misrouted messages of issue 12, with the intent each must get.
ISSUE_MESSAGES = {
    "I'm worried an order had been lost, it's a present for Saturday": "order_status",
    "did something happen to my order?": "order_status",
    "I'm done with this bot, I want an agent": "request_human",
    "can you send it to my work address instead?": "change_address",
}
ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


def examples(path: Path) -> list[tuple[str, str]]:
    """(intent, plain text) of every example in an NLU YAML file (entity markup removed)."""
    out = []
    for block in yaml.safe_load(path.read_text()).get("nlu", []):
        if "intent" in block:
            for line in block["examples"].splitlines():
                if line.strip().startswith("- "):
                    out.append((block["intent"], ANNOTATION.sub(r"\1", line.strip()[2:])))
    return out


def normalised(text: str) -> str:
    return " ".join(re.sub(r"[^\w']+", " ", text.lower()).split())


def test_held_back_messages_are_never_in_the_training_data() -> None:
    training = {normalised(text) for path in TRAINING_DIR.glob("*.yml") for _, text in examples(path)}
    copied = [text for _, text in examples(HELD_BACK) if normalised(text) in training]
    assert not copied, f"held-back messages also in data/nlu (write new wording): {copied}"


def test_every_emotional_request_intent_has_enough_examples() -> None:
    trained = Counter(intent for intent, _ in examples(EMOTIONAL_TRAINING) + examples(TRAINING_DIR / "order_followups.yml"))
    held_back = Counter(intent for intent, _ in examples(HELD_BACK))
    assert {i for i, n in trained.items() if n < MIN_TRAINING_PER_INTENT and i != "bot_challenge"} == set()
    assert set(trained) <= set(held_back), f"intents without held-back paraphrases: {set(trained) - set(held_back)}"
    assert {i for i, n in held_back.items() if n < MIN_HELD_BACK_PER_INTENT} == set()
    assert set(ISSUE_MESSAGES) <= {text for _, text in examples(HELD_BACK)}


def predicted(parse: dict) -> tuple[str, str | None]:
    """(intent, FAQ topic) as ``rasa test nlu`` scores them: a fallback prediction is undone."""
    intent = parse["intent"]["name"]
    if intent == FALLBACK:
        intent = next(r["name"] for r in parse.get("intent_ranking", []) if r["name"] != FALLBACK)
    topic = ((parse.get("response_selector") or {}).get("faq", {}).get("response") or {}).get("intent_response_key")
    return intent, topic


async def parse_all(texts: list[str]) -> list[dict]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(MODEL))
    return [await agent.parse_message(text) for text in texts]


@pytest.fixture(scope="module")
def results() -> list[tuple[str, str, str, str | None]]:
    """(expected intent, text, predicted intent, predicted FAQ topic) per held-back message."""
    if not MODEL.is_file():
        pytest.fail(f"{MODEL} is missing: run `make train` first (make test does)", pytrace=False)
    held_back = examples(HELD_BACK)
    parses = asyncio.run(parse_all([text for _, text in held_back]))
    return [(intent, text, *predicted(parse)) for (intent, text), parse in zip(held_back, parses)]


def confusions(rows: list[tuple[str, str, str]]) -> str:
    return "\n".join(f"  {expected} -> {got}: {text}" for expected, text, got in rows)


def test_intent_accuracy_on_emotional_paraphrases(results: list[tuple[str, str, str, str | None]]) -> None:
    wrong = [(expected, text, got) for expected, text, got, _ in results if got != expected.split("/")[0]]
    accuracy = 1 - len(wrong) / len(results)
    print(f"\nintent accuracy on {len(results)} emotional paraphrases: {accuracy:.3f} "
          f"({len(results) - len(wrong)}/{len(results)})\n{confusions(wrong)}")
    assert accuracy >= MIN_INTENT_ACCURACY, f"intent accuracy {accuracy:.3f} < {MIN_INTENT_ACCURACY}:\n{confusions(wrong)}"


def test_faq_paraphrases_get_the_right_answer_topic(results: list[tuple[str, str, str, str | None]]) -> None:
    faq = [(expected, text, str(topic)) for expected, text, _, topic in results if expected.startswith("faq/")]
    wrong = [row for row in faq if row[2] != row[0]]
    accuracy = 1 - len(wrong) / len(faq)
    print(f"\nFAQ topic accuracy on {len(faq)} paraphrases: {accuracy:.3f}\n{confusions(wrong)}")
    assert accuracy >= MIN_FAQ_TOPIC_ACCURACY, f"FAQ topic accuracy {accuracy:.3f} < {MIN_FAQ_TOPIC_ACCURACY}:\n{confusions(wrong)}"


def test_the_messages_of_issue_12_are_routed_right(results: list[tuple[str, str, str, str | None]]) -> None:
    got = {text: intent for _, text, intent, _ in results if text in ISSUE_MESSAGES}
    assert got == ISSUE_MESSAGES
