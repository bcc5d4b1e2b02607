"""Hand a paused conversation back to the bot: ``python -m services.handback_cli SENDER``.

An agent (or the helpdesk's webhook) calls the Rasa HTTP API: it appends a
``resume`` event (ConversationResumed) and runs ``action_handback``, which closes
the ticket and greets the shopper again with the context kept.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.parse
import urllib.request

# Rasa's /execute runs one action and stops there; without this event the shopper's next message
# would follow action_handback instead of action_listen, and no rule would match it.
LISTEN_EVENT = {"event": "action", "name": "action_listen"}


def hand_back(base_url: str, sender_id: str, token: str | None = None, timeout: float = 30.0) -> list[dict]:
    """Resume the conversation and run the hand-back action; returns the bot's messages."""
    conversation = urllib.parse.quote(sender_id, safe="")
    query = f"?token={urllib.parse.quote(token)}" if token else ""
    sep = "&" if query else "?"

    def post(path: str, body: object) -> dict:
        request = urllib.request.Request(
            f"{base_url.rstrip('/')}/conversations/{conversation}/{path}",
            data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST",
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read() or b"{}")

    post(f"tracker/events{query}", {"event": "resume"})
    result = post(f"execute{query}{sep}output_channel=latest", {"name": "action_handback"})
    post(f"tracker/events{query}", LISTEN_EVENT)
    return result.get("messages", [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sender_id", help="the conversation id (sender) to resume")
    parser.add_argument("--url", default="http://localhost:5005", help="Rasa server with --enable-api")
    parser.add_argument("--token", default=os.environ.get("RASA_AUTH_TOKEN"), help="API token if the server uses --auth-token")
    args = parser.parse_args()
    try:
        messages = hand_back(args.url, args.sender_id, args.token)
    except OSError as exc:
        sys.exit(f"could not reach the Rasa server at {args.url}: {exc}")
    for message in messages:
        print(message.get("text", message))


if __name__ == "__main__":
    main()
