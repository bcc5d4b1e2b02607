"""Hand a paused conversation back to the bot: ``python -m services.handback_cli SENDER``.

An agent (or the helpdesk's webhook) calls the Rasa HTTP API: it appends a
``resume`` event (ConversationResumed) and runs ``action_handback``, which closes
the ticket and greets the shopper again with the context kept.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from services.handback import resume_bot
from services.rasa_api import RasaApi, RasaApiError


def hand_back(base_url: str, sender_id: str, token: str | None = None, timeout: float = 30.0) -> list[dict]:
    """Resume the conversation and run the hand-back action; returns the bot's messages."""
    result = asyncio.run(resume_bot(RasaApi(base_url, token or "", timeout_s=timeout), sender_id, output_channel="latest"))
    return list(result.get("messages", []))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sender_id", help="the conversation id (sender) to resume")
    parser.add_argument("--url", default="http://localhost:5005", help="Rasa server with --enable-api")
    parser.add_argument("--token", default=os.environ.get("RASA_AUTH_TOKEN"), help="API token if the server uses --auth-token")
    args = parser.parse_args()
    try:
        messages = hand_back(args.url, args.sender_id, args.token)
    except RasaApiError as exc:
        sys.exit(f"could not hand back through the Rasa server at {args.url}: {exc}")
    for message in messages:
        print(message.get("text", message))


if __name__ == "__main__":
    main()
