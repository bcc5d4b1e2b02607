"""The remembered event-type lookup answers exactly as Rasa's, and trackers deserialise the same."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.shared.utils.common import all_subclasses

from services import event_type_lookup


@pytest.fixture()
def installed() -> Iterator[None]:
    original = Event.__dict__["resolve_by_type"]
    event_type_lookup.install()
    yield
    Event.resolve_by_type = original  # type: ignore[method-assign]


def test_every_event_type_resolves_as_rasa_resolves_it(installed: None) -> None:
    rasa_resolve = event_type_lookup._RASA_RESOLVE
    names = {cls.type_name for cls in all_subclasses(Event) if isinstance(getattr(cls, "type_name", None), str)}
    assert {"user", "bot", "action", "slot"} <= names
    for name in sorted(names):
        assert Event.resolve_by_type(name) is rasa_resolve(name)
        assert Event.resolve_by_type(name) is rasa_resolve(name)  # second time from the dictionary


def test_unknown_names_keep_rasas_answers(installed: None) -> None:
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", UserUttered) is UserUttered
    assert "no_such_event" not in event_type_lookup._FOUND
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")


def test_a_tracker_round_trips_with_the_lookup_installed(installed: None) -> None:
    events = [ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet", "confidence": 0.9}),
              SlotSet("tone", "warm"), ActionExecuted("utter_greet")]
    tracker = DialogueStateTracker.from_events("s", events)
    state = tracker.current_state(EventVerbosity.ALL)
    again = DialogueStateTracker.from_dict("s", state["events"], Domain.empty().slots)
    assert list(again.events) == list(tracker.events)
