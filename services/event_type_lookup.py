"""Rasa's event-type lookup, remembered instead of recomputed for every event it reads.

``Event.resolve_by_type`` walks every subclass of ``Event`` (``all_subclasses``, recursive) each time
a serialised event is turned back into an object: about 7% of the embedded server's CPU under load,
because the in-memory tracker store deserialises the whole conversation on every message.
:func:`install` wraps it so that a name found once is answered from a dictionary; the first lookup,
unknown names and ``default`` behave exactly as Rasa's. Rasa offers no hook for this, hence the wrap.
"""

from __future__ import annotations

from typing import Any

from rasa.shared.core.events import Event

_FOUND: dict[str, type[Event]] = {}
_RASA_RESOLVE = Event.resolve_by_type  # a staticmethod: (type_name, default)


def resolve_by_type(type_name: str, default: Any = None) -> type[Event] | None:
    """Rasa's ``Event.resolve_by_type``, with names already found answered from ``_FOUND``."""
    found = _FOUND.get(type_name)
    if found is not None:
        return found
    resolved = _RASA_RESOLVE(type_name, default)
    if resolved is not None and getattr(resolved, "type_name", None) == type_name:
        _FOUND[type_name] = resolved
    return resolved


def install() -> None:
    """Make ``Event.resolve_by_type`` (and so every event Rasa deserialises) use :func:`resolve_by_type`."""
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign, assignment]
