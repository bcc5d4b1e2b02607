"""When the action server cannot answer, the shopper is told so: never silence, never an error page.

Rasa's ``RemoteAction.run`` raises when the action server refuses the connection, times out or
answers 5xx; Rasa's processor logs that and goes on with no events, so the shopper hears nothing.
:class:`TroubleReplyingRemoteAction` is a subclass (of :class:`~services.remote_action_schema.CompiledSchemaRemoteAction`,
which checks the answer against a schema compiled once) that instead utters one
"I'm having trouble, please try again in a moment." per turn (the domain's ``utter_service_trouble``
when it defines one) and ends the turn, within ``ACTION_CALL_TIMEOUT_S`` seconds (default 20;
Rasa's own limit is 5 minutes). When the action server is back, the next message works again.

Two exceptions keep Rasa's behaviour: a form validation that *rejects* (HTTP 400) is not a
failure, and ``action_validate_slot_mappings`` (run on every message to fill custom slots) fails
quietly: the turn goes on with the slots unchanged, so replies that need no action still come.

:func:`install` puts the subclass where Rasa looks the class up (``rasa.core.actions.action`` and
``rasa.core.actions.forms``); ``python -m services.rasa_launcher`` calls it before Rasa's CLI.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from rasa.core.actions import action as rasa_action
from rasa.core.actions import forms as rasa_forms
from rasa.core.actions.action import ActionExecutionRejection, create_bot_utterance
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import BotUttered, Event, FollowupAction, UserUttered
from rasa.shared.exceptions import RasaException

from services.remote_action_schema import CompiledSchemaRemoteAction
from services.trouble_message import TROUBLE_RESPONSE, TROUBLE_TEXT

__all__ = ["TROUBLE_RESPONSE", "TROUBLE_TEXT", "TroubleReplyingRemoteAction", "install"]
SLOT_MAPPING_VALIDATION = "action_validate_slot_mappings"
logger = logging.getLogger(__name__)


def action_call_timeout_s() -> float:
    """Upper bound of one action call, from ``ACTION_CALL_TIMEOUT_S`` (default 20 s)."""
    return float(os.environ.get("ACTION_CALL_TIMEOUT_S") or 20)


def told_this_turn(tracker: Any) -> bool:
    """True when the trouble message was already uttered since the shopper's last message."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, BotUttered) and event.metadata.get("utter_action") == TROUBLE_RESPONSE:
            return True
    return False


class TroubleReplyingRemoteAction(CompiledSchemaRemoteAction):
    """``RemoteAction`` that answers "I'm having trouble..." when the action server fails."""

    async def run(self, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> list[Event]:
        try:
            return await asyncio.wait_for(super().run(output_channel, nlg, tracker, domain), action_call_timeout_s())
        except ActionExecutionRejection:
            raise
        except (RasaException, asyncio.TimeoutError) as error:
            logger.error("action server failed for %s (%s): telling the shopper to try again", self.name(), error or "timeout")
            if self.name() == SLOT_MAPPING_VALIDATION:
                raise RasaException(f"action server unavailable for {self.name()}") from error
            if told_this_turn(tracker):
                return [FollowupAction(ACTION_LISTEN_NAME)]
            return [await self._trouble_message(output_channel, nlg, tracker, domain), FollowupAction(ACTION_LISTEN_NAME)]

    @staticmethod
    async def _trouble_message(output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> BotUttered:
        draft: dict[str, Any] = {}
        if TROUBLE_RESPONSE in domain.responses:
            draft = await nlg.generate(TROUBLE_RESPONSE, tracker, output_channel.name()) or {}
        return create_bot_utterance({"text": TROUBLE_TEXT, **draft, "utter_action": TROUBLE_RESPONSE})


def install() -> None:
    """Make Rasa build :class:`TroubleReplyingRemoteAction` wherever it builds a ``RemoteAction``."""
    rasa_action.RemoteAction = TroubleReplyingRemoteAction  # action_for_name_or_text, ActionExtractSlots
    rasa_forms.RemoteAction = TroubleReplyingRemoteAction  # form validation (validate_<form>)
