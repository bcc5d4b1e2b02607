"""Rasa's CLI with the assistant's action-server fallback and speed-ups installed.

    python -m services.rasa_launcher run --model models/assistant.tar.gz --endpoints endpoints.yml ...

Same arguments as ``rasa``. The differences: a failing action server gets the shopper
"I'm having trouble, please try again in a moment." instead of silence (``services.action_fallback``,
which also checks action answers against a schema compiled once), and event types are looked up once
(``services.event_type_lookup``).
"""

from __future__ import annotations

import sys

from services import action_fallback, event_type_lookup


def install() -> None:
    """What ``main`` adds to Rasa, for code that runs Rasa in-process (``bench/message_profile.py``)."""
    action_fallback.install()
    event_type_lookup.install()


def main() -> None:
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
