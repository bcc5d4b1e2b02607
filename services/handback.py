"""Handing a paused conversation back to the bot: the one sequence of Rasa API calls, for the desk and the CLI."""

from __future__ import annotations

from typing import Any, Protocol

RESUME_EVENT = {"event": "resume"}
HANDBACK_ACTION = "action_handback"
# Rasa's /execute runs one action and stops there; without this event the shopper's next message
# would follow action_handback instead of action_listen, and no rule would match it.
LISTEN_EVENT = {"event": "action", "name": "action_listen"}


class ConversationApi(Protocol):
    """The two Rasa HTTP API calls a hand-back needs (``services.rasa_api.RasaApi`` has them)."""

    async def append_events(self, sender_id: str, events: list[dict], output_channel: str | None = None,
                            side_effects: bool = False) -> dict[str, Any]: ...

    async def execute(self, sender_id: str, action: str, output_channel: str | None = None) -> dict[str, Any]: ...


async def resume_bot(api: ConversationApi, sender_id: str, output_channel: str | None = None) -> dict[str, Any]:
    """Resume the conversation, run ``action_handback`` (it closes the ticket and greets the shopper) and listen again.

    Returns Rasa's /execute answer; its ``messages`` are the greeting when Rasa did not send it to
    ``output_channel`` itself.
    """
    await api.append_events(sender_id, [RESUME_EVENT])
    result = await api.execute(sender_id, HANDBACK_ACTION, output_channel=output_channel)
    await api.append_events(sender_id, [LISTEN_EVENT])
    return result
