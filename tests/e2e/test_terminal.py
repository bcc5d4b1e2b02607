"""``rasa shell`` and ``rasa interactive`` in a real pseudo-terminal (pexpect), against a seeded store and the action server.

``running_assistant`` provides the store database and the action server (its own Rasa server is not
used here); each test starts ``.venv/bin/rasa`` with ``models/assistant.tar.gz``, an endpoints file
pointing at that action server (with its token) and a free ``--port``, then types as a person would:
text lines, ``y`` to confirmations, arrow keys and Enter in menus, Ctrl-C to reach the exit menu.
Escape codes are stripped before the output is searched; on a failure the tail of the terminal is shown.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pexpect
import pytest
import requests
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.validator import Validator

from ops.processes import embedded_endpoints
from services.settings import PROJECT_ROOT
from tests.conftest import TODAY
from tests.e2e.conftest import MODEL, RASA, SECRETS, Assistant, free_port, running_assistant

START_TIMEOUT_S = 300  # loading the model (DIET, TED, the emotion model) takes 60-90 s on 2 busy cores
STEP_TIMEOUT_S = 120  # one NLU parse, prediction or action-server call
EXIT_TIMEOUT_S = 60
TRACKING_NUMBER = "1Z4A7F390312448861"  # order 100234 of the demo customer Alice (services/store/seed/demo.py)
EMOTION_LABELS = {"angry", "frustrated", "anxious", "confused", "neutral", "satisfied", "grateful"}
SHELL_PROMPT = "Your input ->"
DOWN, ENTER, CTRL_C, CTRL_U = "\x1b[B", "\r", "\x03", "\x15"

ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[ -/]+[0-~]|[@-Z\\-_])")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # all but tab and newline
# prompt_toolkit (under questionary) switches bracketed paste on when a prompt starts, and ends each
# screen render by switching autowrap back on: the text between the two is the prompt as first drawn.
PROMPT_START, RENDER_END = "\x1b[?2004h", "\x1b[?7h"


def plain(raw: str) -> str:
    """Terminal output without escape codes and control characters (carriage returns, backspaces)."""
    return CONTROL.sub("", ESCAPE.sub("", raw))


class Terminal:
    """A command in a pseudo-terminal, read prompt by prompt (each questionary prompt is a new prompt_toolkit app)."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str], transcript: Path) -> None:
        self.transcript = transcript
        self.child = pexpect.spawn(argv[0], argv[1:], cwd=str(cwd), env=env, encoding="utf-8", codec_errors="replace",
                                   dimensions=(60, 250), timeout=STEP_TIMEOUT_S)
        self.raw = ""
        self.position = 0  # in self.raw: where the next prompt is looked for

    @property
    def text(self) -> str:
        return plain(self.raw)

    def _read(self, timeout: float) -> None:
        try:
            self.raw += self.child.read_nonblocking(size=65536, timeout=timeout)
        except pexpect.TIMEOUT:
            return
        self.transcript.write_text(self.text)

    def next_prompt(self, timeout: float = STEP_TIMEOUT_S) -> tuple[str, str]:
        """The next prompt as first drawn, and what was printed since the previous one (both plain text)."""
        deadline = time.monotonic() + timeout
        while True:
            start = self.raw.find(PROMPT_START, self.position)
            end = self.raw.find(RENDER_END, start) if start >= 0 else -1
            if end >= 0:
                printed, prompt = plain(self.raw[self.position:start]), plain(self.raw[start:end]).strip()
                self.position = end
                return prompt, printed
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"no new prompt within {timeout} s\n{self.tail()}", pytrace=False)
            try:
                self._read(min(remaining, 1.0))
            except pexpect.EOF:
                pytest.fail(f"the program exited while a prompt was expected\n{self.tail()}", pytrace=False)

    def send(self, keys: str) -> None:
        self.child.send(keys)

    def send_line(self, text: str) -> None:
        self.child.send(text + ENTER)

    def wait_exit(self, timeout: float = EXIT_TIMEOUT_S) -> int:
        """The exit status once the program ends by itself."""
        deadline = time.monotonic() + timeout
        while True:
            if time.monotonic() > deadline:
                pytest.fail(f"the program did not exit within {timeout} s\n{self.tail()}", pytrace=False)
            try:
                self._read(1.0)
            except pexpect.EOF:
                break
        self.child.close()
        return self.child.exitstatus if self.child.exitstatus is not None else -(self.child.signalstatus or 0)

    def tail(self, chars: int = 4000) -> str:
        return f"--- last {chars} characters of the terminal ({self.transcript}) ---\n{self.text[-chars:]}\n---"

    def close(self) -> None:
        if self.child.isalive():
            self.child.close(force=True)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """A seeded store and its action server (each test starts its own ``rasa shell``)."""
    with running_assistant(tmp_path_factory.mktemp("terminal"), with_site=False, with_rasa=False) as running:
        yield running


def endpoints_file(store: Assistant, directory: Path) -> Path:
    """endpoints.yml with the action server of ``store`` and an event-broker database in ``directory``.

    The token still comes from ``${ACTION_SERVER_TOKEN}``; the broker's relative ``runtime/events.db``
    would not open from the test's working directory.
    """
    port = urlsplit(store.actions_url).port
    path = embedded_endpoints(directory, port)
    text = path.read_text()
    assert f"127.0.0.1:{port}/webhook" in text and "${ACTION_SERVER_TOKEN}" in text, f"endpoints.yml changed shape:\n{text}"
    assert str(directory / "events.db") in text, f"endpoints.yml's event broker changed shape:\n{text}"
    return path


def terminal_env(store: Assistant) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "STORE_DATABASE_URL": store.database_url,
            "ASSISTANT_TODAY": TODAY.isoformat(), "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
            "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TERM": "xterm",
            "PROMPT_TOOLKIT_NO_CPR": "1",  # no cursor-position query that nobody answers
            **SECRETS}


def fingerprint(paths: list[Path]) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


@pytest.fixture()
def terminal_closer() -> Iterator[list[Terminal]]:
    opened: list[Terminal] = []
    yield opened
    for term in opened:
        term.close()


def test_rasa_shell_verifies_an_anonymous_shopper_before_giving_the_tracking_number(
        store: Assistant, tmp_path: Path, terminal_closer: list[Terminal]) -> None:
    argv = [str(RASA), "shell", "--model", str(MODEL), "--endpoints", str(endpoints_file(store, tmp_path)), "--port", str(free_port())]
    term = Terminal(argv, PROJECT_ROOT, terminal_env(store), tmp_path / "shell.txt")
    terminal_closer.append(term)

    prompt, printed = term.next_prompt(START_TIMEOUT_S)
    assert prompt == SHELL_PROMPT and "Bot loaded" in printed, term.tail()
    term.send_line("where is my order 100234?")
    prompt, question = term.next_prompt()
    assert prompt == SHELL_PROMPT, term.tail()
    assert "email" in question.lower(), term.tail()
    assert TRACKING_NUMBER not in question and "UPS" not in question, f"order details before verification\n{term.tail()}"

    term.send_line("alice@example.com")
    prompt, answer = term.next_prompt()
    assert prompt == SHELL_PROMPT, term.tail()
    assert TRACKING_NUMBER in answer and "UPS" in answer, term.tail()

    term.send_line("/stop")
    assert term.wait_exit() == 0, term.tail()
    assert "Traceback" not in term.text, term.tail()


ACTION_QUESTION = re.compile(r"\? The bot wants to run '(?P<name>[^']+)', correct\? \(Y/n\)")
NLU_QUESTION = re.compile(r"\? Is the intent '(?P<intent>[^']+)' correct for '(?P<shown>.*)' and are all entities labeled correctly\? \(Y/n\)")
INPUT_QUESTION = "? Your input ->"


def confirm_nlu(term: Terminal) -> tuple[str, str]:
    """Accept the predicted intent and entities of the message just sent; (intent, the message as shown)."""
    prompt, _ = term.next_prompt()
    found = NLU_QUESTION.search(prompt)
    assert found, f"expected the intent confirmation, got {prompt!r}\n{term.tail()}"
    term.send("y")
    return found.group("intent"), found.group("shown")


def confirm_until_listening(term: Terminal) -> list[str]:
    """Accept every action the bot proposes until it asks for the user's input; the accepted action names."""
    accepted: list[str] = []
    while True:
        prompt, _ = term.next_prompt()
        if prompt.endswith(INPUT_QUESTION):
            return accepted
        found = ACTION_QUESTION.search(prompt)
        assert found, f"expected an action confirmation, got {prompt!r}\n{term.tail()}"
        accepted.append(found.group("name"))
        term.send("y")


def tracker(port: int, conversation: str) -> dict:
    """The conversation as rasa interactive's own server holds it (its HTTP API has no token)."""
    response = requests.get(f"http://127.0.0.1:{port}/conversations/{conversation}/tracker", timeout=30)
    response.raise_for_status()
    return response.json()


def test_rasa_interactive_runs_the_emotion_pipeline_and_exports_loadable_training_data(
        store: Assistant, tmp_path: Path, terminal_closer: list[Terminal]) -> None:
    # The export prompts default to data/stories.yml, data/nlu.yml and the --domain file: the session
    # runs in tmp_path on a copy of domain.yml, and the paths typed below point into tmp_path/export too.
    (tmp_path / "domain.yml").write_text((PROJECT_ROOT / "domain.yml").read_text())
    export = tmp_path / "export"
    stories_path, nlu_path, domain_path = export / "stories.yml", export / "nlu.yml", export / "domain.yml"
    project_files = [PROJECT_ROOT / "domain.yml", *sorted((PROJECT_ROOT / "data").rglob("*.yml"))]
    before = fingerprint(project_files)
    port, conversation = free_port(), "terminal-interactive"
    argv = [str(RASA), "interactive", "--model", str(MODEL), "--endpoints", str(endpoints_file(store, tmp_path)),
            "--port", str(port), "--skip-visualization", "--conversation-id", conversation,
            "--config", str(PROJECT_ROOT / "config.yml"), "--domain", str(tmp_path / "domain.yml"), "--data", str(PROJECT_ROOT / "data")]
    term = Terminal(argv, tmp_path, terminal_env(store), tmp_path / "interactive.txt")
    terminal_closer.append(term)

    prompt, printed = term.next_prompt(START_TIMEOUT_S)
    assert prompt.endswith(INPUT_QUESTION) and "Bot loaded" in printed, term.tail()
    term.send_line("where is my order 100234?")
    intent, shown = confirm_nlu(term)
    assert "emotion" not in shown, f"the span-less emotion entity was written into the text: {shown!r}"
    first_turn = confirm_until_listening(term)
    assert first_turn and first_turn[-1] == "action_listen", term.tail()

    events = tracker(port, conversation)["events"]
    parsed = [e for e in events if e["event"] == "user"][-1]["parse_data"]
    assert parsed["intent"]["name"] == intent
    assert parsed["emotion"]["label"] in EMOTION_LABELS, parsed.get("emotion")
    emotion_entities = [e for e in parsed["entities"] if e["entity"] == "emotion"]
    assert [e["extractor"] for e in emotion_entities] == ["EmotionClassifier"] and "start" not in emotion_entities[0]
    first_emotion = emotion_entities[0]["value"]
    asked = [e["text"] for e in events if e["event"] == "bot"][-1]
    assert "email" in asked.lower() and TRACKING_NUMBER not in asked

    term.send_line("alice@example.com")
    email_intent, _ = confirm_nlu(term)
    second_turn = confirm_until_listening(term)
    assert second_turn and second_turn[-1] == "action_listen", term.tail()
    events = tracker(port, conversation)["events"]
    assert any(TRACKING_NUMBER in (e.get("text") or "") for e in events if e["event"] == "bot"), term.tail()
    assert TRACKING_NUMBER in term.text, f"the chat history does not show the answer\n{term.tail()}"

    term.send(CTRL_C)
    prompt, _ = term.next_prompt()
    assert "? Do you want to stop?" in prompt and prompt.endswith("Export & Quit"), term.tail()
    term.send(DOWN * 4 + ENTER)  # Continue, Undo Last, Fork, Start Fresh, Export & Quit
    for question, path in (("? Export stories to", stories_path), ("? Export NLU data to", nlu_path), ("? Export domain file to", domain_path)):
        prompt, printed = term.next_prompt()
        assert question in prompt, f"expected {question!r}, got {prompt!r}\n{term.tail()}"
        if path == stories_path:
            assert "? Do you want to stop? Export & Quit" in printed, term.tail()
        term.send(CTRL_U + str(path) + ENTER)  # Ctrl-U clears the default path
    assert term.wait_exit() == 0, term.tail()
    assert "Traceback" not in term.text, term.tail()
    assert fingerprint(project_files) == before, "rasa interactive wrote into the project"

    exported_domain = Domain.load(str(domain_path))
    assert "emotion" in exported_domain.entities and {intent, email_intent} <= set(exported_domain.intents)
    importer = TrainingDataImporter.load_from_dict(config_path=str(PROJECT_ROOT / "config.yml"), domain_path=str(PROJECT_ROOT / "domain.yml"),
                                                   training_data_paths=[str(stories_path), str(nlu_path)])
    domain, stories, nlu = importer.get_domain(), importer.get_stories(), importer.get_nlu_data()
    validator = Validator.from_importer(importer)  # the checks of `rasa data validate` that concern stories
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "utterance ... not used in any story": true of a one-story file
        assert validator.verify_intents_in_stories(False) and validator.verify_utterances_in_stories(False)
        assert validator.verify_actions_in_stories_rules() and validator.verify_forms_in_stories_rules()
        assert validator.verify_story_structure(False)

    story_events = [e for step in stories.story_steps for e in step.events]
    user_turns = [e for e in story_events if isinstance(e, UserUttered)]
    assert [e.intent_name for e in user_turns] == [intent, email_intent]
    assert {"entity": "emotion", "value": first_emotion} in user_turns[0].entities
    story_actions = [e.action_name for e in story_events if isinstance(e, ActionExecuted) and e.action_name != "action_listen"]
    assert story_actions == [a for a in first_turn + second_turn if a != "action_listen"]
    # What the dialogue policies would learn from: the mood through the emotion slot, never as an entity feature.
    (story_tracker,) = TrainingDataGenerator(stories, domain, augmentation_factor=0, use_story_concatenation=False).generate()
    user_states = [state for state in story_tracker.past_states(domain) if "user" in state]
    assert user_states and all("emotion" in state["slots"] and "emotion" not in state["user"].get("entities", ()) for state in user_states)

    examples = {m.get("text"): m for m in nlu.intent_examples}
    assert set(examples) == {"where is my order 100234?", "alice@example.com"}, nlu_path.read_text()
    assert examples["where is my order 100234?"].get("intent") == intent
    assert examples["alice@example.com"].get("intent") == email_intent
    for text, message in examples.items():
        for entity in message.get("entities", []):
            assert entity["entity"] != "emotion" and text[entity["start"]:entity["end"]] == entity["value"], entity
    assert "(emotion)" not in nlu_path.read_text() and '"entity": "emotion"' not in nlu_path.read_text()
