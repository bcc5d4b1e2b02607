"""Turn Rasa events into the analytics tables, one event at a time, in the caller's transaction.

What is read from which event:
- ``session_started``: a new conversation for the sender;
- ``user``: a message row (intent, emotion reading) and the conversation's running summary (a CSAT
  rating is stored but left out of every emotion figure: it is not a mood);
- ``slot handoff_reason``: the reason the next ``action_handoff`` records (``requested`` when unset,
  as ``actions/handoff.py`` does);
- ``action action_handoff``: an escalation, unless one is already open (the action reuses the ticket);
- ``action action_handback`` / ``resume``: the escalation is closed;
- ``bot`` with an agent in its metadata (the desk's replies, ``metadata.agent``): the first one after
  an escalation is the agent's first reply;
- ``action action_save_csat``: the rating of the message before it, parsed the way the action parses
  it (``services.ratings.parse_rating``); the action saves exactly when that parse succeeds.
Everything else (listens, utterances, other slots) changes nothing here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from components.emotion.labels import LABELS
from services.analytics.events import BrokerEvent, UserTurn, agent_of, user_turn
from services.analytics.models import (
    AnalyticsAgentReply,
    AnalyticsConversation,
    AnalyticsCsat,
    AnalyticsEscalation,
    AnalyticsMessage,
)
from services.learning.queue import enqueue_if_uncertain
from services.ratings import parse_rating

VALENCE_DECAY = 0.5  # weight of the newest message in the running valence
POLARITY_VALENCE = {"negative": 0.25, "neutral": 0.5, "positive": 0.75}  # when a reading has no valence
TRACKED_ACTIONS = frozenset({"action_handoff", "action_handback", "action_save_csat"})
# Replies that carry no feeling: a CSAT rating ("4", the rating buttons) is not a shopper's mood.
NON_EXPRESSIVE_INTENTS = frozenset({"rate"})


@dataclass(frozen=True)
class Observation:
    """A shopper message as the surge monitor sees it."""

    at: dt.datetime
    negative: bool


def turn_valence(turn: UserTurn) -> float:
    """Valence of a confident reading; unsure or missing readings count as neutral (0.5)."""
    if not turn.emotion.confident:
        return 0.5
    return turn.emotion.valence if turn.emotion.valence is not None else POLARITY_VALENCE[turn.emotion.polarity]


def _set_state(conversation: AnalyticsConversation, **changes: object) -> None:
    conversation.state = {**(conversation.state or {}), **changes}  # a new dict: JSON columns track assignment only


class AnalyticsWriter:
    """Applies broker events to the analytics tables; see the module docstring for the mapping.

    Keeps each sender's current conversation between events (one consumer writes these tables);
    :meth:`forget` drops that after a rollback.
    """

    def __init__(self) -> None:
        self._current: dict[str, AnalyticsConversation] = {}

    def forget(self) -> None:
        self._current.clear()

    @staticmethod
    def wants(event: BrokerEvent) -> bool:
        """Whether ``event`` changes anything here."""
        if event.type in ("session_started", "user", "resume"):
            return True
        if event.type == "action":
            return event.name in TRACKED_ACTIONS
        if event.type == "slot":
            return event.name == "handoff_reason"
        return event.type == "bot" and agent_of(event) is not None

    @staticmethod
    def prepare(event: BrokerEvent) -> UserTurn | None:
        """Check an event before anything is written (raises ``BadEvent``); a user event's fields."""
        return user_turn(event) if event.type == "user" else None

    def apply(self, session: Session, event: BrokerEvent, turn: UserTurn | None = None) -> list[Observation]:
        """Record ``event``; returns the shopper messages it added (for the surge monitor)."""
        if not self.wants(event):
            return []
        if event.type == "session_started":
            self._session_started(session, event)
            return []
        conversation = self._conversation(session, event)
        conversation.last_event_at = max(conversation.last_event_at, event.timestamp)
        if event.type == "user":
            return self._user(session, conversation, event, turn or user_turn(event))
        if event.type == "slot":
            value = event.data.get("value")
            _set_state(conversation, handoff_reason=str(value)[:64] if value else None)
        elif event.name == "action_handoff":
            self._handoff(session, conversation, event)
        elif event.name == "action_handback" or event.type == "resume":
            _set_state(conversation, open_escalation=None)
        elif event.name == "action_save_csat":
            self._csat(session, conversation, event)
        elif event.type == "bot":
            self._agent_reply(session, conversation, event)
        return []

    def _conversation(self, session: Session, event: BrokerEvent) -> AnalyticsConversation:
        conversation = self._current.get(event.sender_id)
        if conversation is None:
            stmt = (select(AnalyticsConversation).where(AnalyticsConversation.sender_id == event.sender_id)
                    .order_by(AnalyticsConversation.started_at.desc(), AnalyticsConversation.id.desc()).limit(1))
            conversation = session.execute(stmt).scalar_one_or_none() or self._new_conversation(session, event)
            self._current[event.sender_id] = conversation
        return conversation

    def _new_conversation(self, session: Session, event: BrokerEvent) -> AnalyticsConversation:
        conversation = AnalyticsConversation(sender_id=event.sender_id, started_at=event.timestamp, last_event_at=event.timestamp,
                                             user_messages=0, negative_messages=0, escalated=False, state={})
        session.add(conversation)
        session.flush()
        self._current[event.sender_id] = conversation
        return conversation

    def _session_started(self, session: Session, event: BrokerEvent) -> None:
        conversation = self._conversation(session, event)
        if conversation.user_messages == 0 and not conversation.escalated:
            conversation.started_at = conversation.last_event_at = event.timestamp  # nothing said yet: reuse it
            return
        self._new_conversation(session, event)

    def _user(self, session: Session, conversation: AnalyticsConversation, event: BrokerEvent, turn: UserTurn) -> list[Observation]:
        reading = turn.emotion
        expressive = turn.intent not in NON_EXPRESSIVE_INTENTS
        session.add(AnalyticsMessage(
            conversation_id=conversation.id, sender_id=event.sender_id, message_id=turn.message_id, sent_at=event.timestamp,
            channel=turn.channel, intent=turn.intent, intent_confidence=turn.intent_confidence, emotion=reading.label,
            emotion_confidence=reading.confidence, emotion_confident=reading.confident, valence=reading.valence,
            dialogue_emotion=reading.dialogue_label, polarity=reading.polarity, expressive=expressive,
        ))
        conversation.channel = conversation.channel or turn.channel
        _set_state(conversation, last_rating=parse_rating(turn.rating_entity) or parse_rating(turn.text))
        if not expressive:
            return []
        if reading.label in LABELS:  # unsure readings go to the learning loop's review queue (make label)
            enqueue_if_uncertain(session, sender_id=event.sender_id, text=turn.text, label=reading.label, confidence=reading.confidence,
                                 confident=reading.confident)  # the classifier's verdict, not a second threshold
        negative = reading.polarity == "negative"
        conversation.user_messages += 1
        conversation.negative_messages += int(negative)
        if conversation.first_emotion is None:
            conversation.first_emotion, conversation.first_polarity = reading.dialogue_label, reading.polarity
        conversation.last_emotion, conversation.last_polarity = reading.dialogue_label, reading.polarity
        valence = turn_valence(turn)
        previous = conversation.valence_ewm
        conversation.valence_ewm = round(valence if previous is None else VALENCE_DECAY * valence + (1 - VALENCE_DECAY) * previous, 4)
        return [Observation(event.timestamp, negative)]

    def _handoff(self, session: Session, conversation: AnalyticsConversation, event: BrokerEvent) -> None:
        state = conversation.state or {}
        if state.get("open_escalation"):
            return  # the action reused the open ticket
        escalation = AnalyticsEscalation(conversation_id=conversation.id, sender_id=event.sender_id,
                                         reason=state.get("handoff_reason") or "requested", escalated_at=event.timestamp)
        session.add(escalation)
        session.flush()
        conversation.escalated = True
        _set_state(conversation, open_escalation=escalation.id, agent_replied=False)

    def _agent_reply(self, session: Session, conversation: AnalyticsConversation, event: BrokerEvent) -> None:
        state = conversation.state or {}
        escalation_id = state.get("open_escalation")
        if not escalation_id or state.get("agent_replied"):
            return  # no escalation open, or not the first reply
        escalation = session.get(AnalyticsEscalation, escalation_id)
        if escalation is None:
            return
        wait = max(0.0, (event.timestamp - escalation.escalated_at).total_seconds())
        session.add(AnalyticsAgentReply(escalation_id=escalation.id, agent_id=agent_of(event), replied_at=event.timestamp, wait_seconds=wait))
        _set_state(conversation, agent_replied=True)

    def _csat(self, session: Session, conversation: AnalyticsConversation, event: BrokerEvent) -> None:
        rating = (conversation.state or {}).get("last_rating")
        if rating is None:
            return  # the action asked again
        session.add(AnalyticsCsat(conversation_id=conversation.id, sender_id=event.sender_id, rating=int(rating), rated_at=event.timestamp))
        _set_state(conversation, last_rating=None)
