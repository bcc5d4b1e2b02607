"""Rasa's CLI with the assistant's action-server fallback installed.

    python -m services.rasa_launcher run --model models/assistant.tar.gz --endpoints endpoints.yml ...

Same arguments as ``rasa``; the only difference is that a failing action server gets the shopper
"I'm having trouble, please try again in a moment." instead of silence (``services.action_fallback``).
"""

from __future__ import annotations

import sys

from services.action_fallback import install


def main() -> None:
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
