"""An agent's reply and the hand-back, delivered on the shopper's own channel.

- web chat (socket.io) and Telegram: the reply is appended to the tracker as a bot message with
  ``execute_side_effects`` and ``output_channel=latest``, so Rasa's own output channel sends it
  (live to the shopper's socket.io room; Telegram's Bot API) and the tracker keeps it;
- Slack: Rasa's Slack output cannot address a conversation id (ours are HMACs of the Slack ids),
  so the desk posts to the channel and thread of the shopper's latest message through Slack's Web
  API and appends the bot message to the tracker without side effects;
- REST, email and the shell cannot be pushed to: the shopper only sees what answers their own
  request, so the desk refuses the reply and says so.

The hand-back is ``services/handback.py``'s sequence (a ``resume`` event, ``action_handback``,
then listening again), with the greeting delivered the same way as a reply.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from demo_site.desk.accounts import AgentView
from demo_site.desk.conversation import DESK_SOURCE, Conversation
from demo_site.desk.settings import DeskSettings
from services.handback import resume_bot
from services.rasa_api import RasaApi

VIA_RASA = frozenset({"socketio", "telegram"})
SLACK = "slack"
MAX_REPLY_CHARS = 4000  # Slack and Telegram cut or refuse longer messages
CHANNEL_NAMES = {"socketio": "the web chat", "telegram": "Telegram", "slack": "Slack", "rest": "REST", "email": "email",
                 "cmdline": "the shell"}


class CannotPush(RuntimeError):
    """The shopper's channel cannot receive a message the shopper did not ask for."""


class DeliveryFailed(RuntimeError):
    """The channel refused or failed to take the message."""


@dataclass(frozen=True)
class Delivery:
    channel: str
    messages: int  # how many messages reached the channel


def channel_name(channel: str | None) -> str:
    return CHANNEL_NAMES.get(channel or "", channel or "an unknown channel")


def push_problem(channel: str | None, settings: DeskSettings) -> str | None:
    """Why the desk cannot send to ``channel``, or None when it can."""
    if channel in VIA_RASA:
        return None
    if channel == SLACK:
        return None if settings.slack_token else "Slack replies need SLACK_BOT_TOKEN in the desk's environment."
    if channel in ("rest", "email", "cmdline"):
        return (f"This shopper writes over {channel_name(channel)}, which cannot push: a message reaches them only as the answer "
                "to their own request. Hand the conversation back, or contact them another way.")
    return f"The desk cannot send messages to {channel_name(channel)}."


def shown_text(agent: AgentView, text: str) -> str:
    """What the shopper reads: the agent's name first, so they know a person is writing."""
    return f"{agent.display_name} (Harbor & Pine team): {text}"


def _check_reply(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValueError("the reply is empty")
    if len(text) > MAX_REPLY_CHARS:
        raise ValueError(f"the reply has {len(text)} characters; keep it under {MAX_REPLY_CHARS}")
    return text


async def _post_to_slack(settings: DeskSettings, target: dict[str, str], texts: list[str]) -> None:
    if not target.get("channel"):
        raise DeliveryFailed("the shopper's Slack channel is unknown (no Slack message in the conversation)")
    base = (settings.slack_api_url.rstrip("/") + "/") if settings.slack_api_url else AsyncWebClient.BASE_URL
    client = AsyncWebClient(settings.slack_token, base_url=base)
    for text in texts:
        try:
            await client.chat_postMessage(channel=target["channel"], text=text, thread_ts=target.get("thread_ts"))
        except SlackApiError as error:
            raise DeliveryFailed(f"Slack refused the message: {error.response.get('error', 'unknown error')}") from None
        except (ClientError, asyncio.TimeoutError) as error:
            raise DeliveryFailed(f"Slack could not be reached ({type(error).__name__})") from None


async def send_reply(api: RasaApi, settings: DeskSettings, sender_id: str, conversation: Conversation, agent: AgentView,
                     text: str, resolution: bool = False) -> Delivery:
    """Deliver ``text`` from ``agent`` to the shopper and keep it in the tracker (``resolution`` marks a closing summary).

    Raises ValueError (empty or too long), CannotPush (REST and the like) or DeliveryFailed.
    """
    text = shown_text(agent, _check_reply(text))
    problem = push_problem(conversation.channel, settings)
    if problem:
        raise CannotPush(problem)
    metadata = {"source": DESK_SOURCE, "agent": agent.username, **({"resolution": True} if resolution else {})}
    event = {"event": "bot", "text": text, "metadata": metadata}
    if conversation.channel == SLACK:
        await _post_to_slack(settings, conversation.reply_target, [text])
        await api.append_events(sender_id, [event])
    else:
        await api.append_events(sender_id, [event], output_channel="latest", side_effects=True)
    return Delivery(str(conversation.channel), 1)


async def hand_back(api: RasaApi, settings: DeskSettings, sender_id: str, conversation: Conversation, agent: AgentView,
                    resolution: str = "") -> Delivery:
    """Tell the shopper what was resolved (when the channel can push), resume the bot and run ``action_handback``.

    ``action_handback`` closes the ticket and greets the shopper back; its greeting is delivered
    like a reply. On a channel that cannot push, the bot is resumed all the same and answers the
    shopper's next message.
    """
    sent = 0
    if resolution.strip() and push_problem(conversation.channel, settings) is None:
        sent += (await send_reply(api, settings, sender_id, conversation, agent, resolution, resolution=True)).messages
    if conversation.channel in VIA_RASA:
        await resume_bot(api, sender_id, output_channel="latest")
        return Delivery(str(conversation.channel), sent + 1)
    result = await resume_bot(api, sender_id)
    texts = [str(m["text"]) for m in result.get("messages", []) if isinstance(m, dict) and m.get("text")]
    if conversation.channel == SLACK and settings.slack_token and texts:
        await _post_to_slack(settings, conversation.reply_target, texts)
        return Delivery(SLACK, sent + len(texts))
    return Delivery(str(conversation.channel), sent)
