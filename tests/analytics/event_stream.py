"""A realistic recorded stream of Rasa broker events, with a negative surge in it.

``generate_stream`` plays a store's support traffic as Rasa's tracker store would publish it
(``{"sender_id", **event.as_dict()}``): session start, shopper messages with the intent and the
``EmotionClassifier`` reading in ``parse_data``, the bot's slot events and replies, handoffs with
their reason, the desk's agent replies (``metadata.agent_id``), hand-backs and CSAT ratings.

Traffic follows the time of day. Between ``surge_start`` and ``surge_end`` hours a carrier outage
sends a wave of angry delivery conversations; before and after it about one message in six reads
negative.

    python -m tests.analytics.event_stream out.jsonl   # write a recording (one JSON event a line)
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from components.emotion.labels import LABELS, NEGATIVE, POSITIVE, valence

START = dt.datetime(2026, 11, 20, 0, 0, tzinfo=dt.timezone.utc)
CHANNELS = ("socketio", "socketio", "rest", "slack", "telegram")
AGENTS = ("agent-ana", "agent-ben", "senior-cho")

TEXTS: dict[str, dict[str, list[str]]] = {
    "order_status": {
        "neutral": ["where is my order {order}?", "can you check order {order} for me", "status of {order} please"],
        "anxious": ["I'm worried my order {order} won't arrive before the weekend", "is {order} going to make it in time? it's a gift"],
        "frustrated": ["order {order} still hasn't moved, this is the third time I'm asking", "why is {order} taking so long"],
        "angry": ["where the hell is my order {order}?! you people are useless", "this is ridiculous, {order} was due days ago"],
        "confused": ["the tracking for {order} says delivered but I don't see anything?", "I don't understand the status on {order}"],
    },
    "delivery_problem": {
        "neutral": ["my parcel for {order} hasn't arrived", "the courier missed me for {order}"],
        "anxious": ["the tracking on {order} stopped updating, should I be worried?"],
        "frustrated": ["{order} is late again, I keep waiting at home for nothing", "second missed delivery for {order}, really annoying"],
        "angry": ["your courier lost {order}, I want my money back now", "absolutely unacceptable, {order} is a week late"],
        "confused": ["it says {order} was left with a neighbour but which one?"],
    },
    "cancel_order": {
        "neutral": ["cancel order {order}", "I'd like to cancel {order} please"],
        "frustrated": ["just cancel {order}, I've waited long enough"],
        "anxious": ["can I still cancel {order}? I ordered the wrong size"],
    },
    "return_order": {
        "neutral": ["I want to return order {order}", "how do I send back {order}?"],
        "frustrated": ["the item in {order} broke after a day, I want to return it"],
        "confused": ["which box do I use to return {order}?"],
    },
    "change_address": {"neutral": ["can I change the delivery address for {order}?"], "anxious": ["I moved, please change the address on {order} quickly"]},
    "faq": {"neutral": ["what's your return policy?", "do you ship abroad?", "how long does delivery take?"],
            "confused": ["I don't get how store credit works"]},
    "product_question": {"neutral": ["is the Roastwell Nova Espresso Machine in stock?", "does the rain jacket come in large?"]},
    "greet": {"neutral": ["hi", "hello there"]},
    "thank": {"satisfied": ["ok that works, thanks", "great, that's sorted then"],
              "grateful": ["thank you so much, that's great!", "brilliant, really appreciate it"]},
    "request_human": {"frustrated": ["let me talk to a person", "I want a human agent"], "angry": ["get me a real person NOW"]},
    "rate": {"neutral": ["{rating}"]},
}
# A working day with the outage in the afternoon: what the database tests replay (with a 6-hour baseline).
WORKING_DAY = dict(start=dt.datetime(2026, 11, 21, 6, 0, tzinfo=dt.timezone.utc), hours=12.0, surge_start=8.0, surge_end=9.5,
                   conversations_per_hour=30.0, seed=1)
WORKING_DAY_BASELINE_HOURS = 6.0
# Base mix of a conversation's opening emotion per intent, outside the surge.
OPENING = {
    "order_status": {"neutral": 0.6, "anxious": 0.13, "frustrated": 0.12, "angry": 0.07, "confused": 0.08},
    "delivery_problem": {"neutral": 0.4, "anxious": 0.15, "frustrated": 0.25, "angry": 0.12, "confused": 0.08},
    "cancel_order": {"neutral": 0.8, "frustrated": 0.1, "anxious": 0.1},
    "return_order": {"neutral": 0.75, "frustrated": 0.15, "confused": 0.1},
    "change_address": {"neutral": 0.85, "anxious": 0.15},
    "faq": {"neutral": 0.9, "confused": 0.1},
    "product_question": {"neutral": 1.0},
}
INTENT_MIX = {"order_status": 0.34, "delivery_problem": 0.12, "cancel_order": 0.1, "return_order": 0.12,
              "change_address": 0.06, "faq": 0.16, "product_question": 0.1}
SURGE_INTENT_MIX = {"order_status": 0.45, "delivery_problem": 0.4, "cancel_order": 0.05, "faq": 0.05, "return_order": 0.05}
SURGE_OPENING = {"neutral": 0.08, "anxious": 0.12, "frustrated": 0.35, "angry": 0.42, "confused": 0.03}


@dataclass
class StreamOptions:
    start: dt.datetime = field(default=START, metadata={"help": "when the recording starts (UTC)"})
    hours: float = field(default=48.0, metadata={"help": "length of the recording"})
    surge_start: float = field(default=37.0, metadata={"help": "hour the carrier outage starts (13:00 on the second day)"})
    surge_end: float = field(default=39.0, metadata={"help": "hour it ends"})
    surge_traffic: float = field(default=1.8, metadata={"help": "how much busier support is during the outage"})
    conversations_per_hour: float = field(default=40.0, metadata={"help": "mean daytime arrival rate"})
    seed: int = field(default=7, metadata={"help": "random seed"})


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def _reading(rng: random.Random, label: str) -> dict:
    """A classifier reading that mostly agrees with ``label``, calibrated-looking."""
    confidence = min(0.97, max(0.35, rng.gauss(0.8, 0.12)))
    rest = (1 - confidence) / (len(LABELS) - 1)
    probs = [confidence if name == label else rest for name in LABELS]
    polarity = "negative" if label in NEGATIVE else "positive" if label in POSITIVE else "neutral"
    return {"label": label, "confidence": round(confidence, 4), "scores": dict(zip(LABELS, [round(p, 4) for p in probs])),
            "polarity": polarity, "confident": confidence >= 0.6, "valence": round(valence(probs), 4),
            "explanation": ["useless"] if label == "angry" and confidence >= 0.6 else []}


class _Conversation:
    def __init__(self, rng: random.Random, sender: str, channel: str, at: dt.datetime) -> None:
        self.rng, self.sender, self.channel, self.at = rng, sender, channel, at
        self.events: list[dict] = []

    def _emit(self, event: dict, gap: float = 0.05) -> None:
        self.at += dt.timedelta(seconds=gap)
        self.events.append({"sender_id": self.sender, "timestamp": self.at.timestamp(), **event})

    def action(self, name: str, gap: float = 0.05) -> None:
        self._emit({"event": "action", "name": name, "policy": "RulePolicy", "confidence": 1.0, "action_text": None,
                    "hide_rule_turn": False, "metadata": {"model_id": "f3c2a1"}}, gap)

    def slot(self, name: str, value: object) -> None:
        self._emit({"event": "slot", "name": name, "value": value, "metadata": {}})

    def bot(self, text: str, metadata: dict | None = None, gap: float = 0.05) -> None:
        self._emit({"event": "bot", "text": text, "data": {"elements": None, "quick_replies": None, "buttons": None,
                    "attachment": None, "image": None, "custom": None}, "metadata": metadata or {"utter_action": "utter_answer"}}, gap)

    def start(self) -> None:
        self.action("action_session_start", 0)
        self._emit({"event": "session_started", "metadata": {}})
        self.action("action_listen")

    def user(self, intent: str, label: str, gap: float, rating: int | None = None) -> dict:
        texts = TEXTS[intent].get(label) or TEXTS[intent]["neutral"]
        text = self.rng.choice(texts).format(order=self.rng.randint(100200, 199999), rating=rating)
        reading = _reading(self.rng, label)
        message_id = uuid.UUID(int=self.rng.getrandbits(128)).hex
        entities = [{"entity": "emotion", "value": label if reading["confident"] else "neutral",
                     "confidence_entity": reading["confidence"], "extractor": "EmotionClassifier"}]
        if rating is not None:
            entities.append({"entity": "rating", "value": str(rating), "start": 0, "end": 1, "extractor": "DIETClassifier"})
        intent_conf = round(self.rng.uniform(0.7, 0.99), 4)
        self._emit({"event": "user", "text": text, "parse_data": {
            "intent": {"name": intent, "confidence": intent_conf}, "entities": entities, "text": text, "message_id": message_id,
            "metadata": {}, "emotion": reading, "intent_ranking": [{"name": intent, "confidence": intent_conf}]},
            "input_channel": self.channel, "message_id": message_id, "metadata": {}}, gap)
        self.slot("emotion", entities[0]["value"])
        return reading


def _conversation(rng: random.Random, index: int, at: dt.datetime, surging: bool) -> list[dict]:
    c = _Conversation(rng, f"shopper-{index:05d}", rng.choice(CHANNELS), at)
    c.start()
    intent = _weighted(rng, SURGE_INTENT_MIX if surging and rng.random() < 0.85 else INTENT_MIX)
    opening = SURGE_OPENING if surging and intent in ("order_status", "delivery_problem") else OPENING[intent]
    label = _weighted(rng, {k: v for k, v in opening.items() if k in TEXTS[intent] or k == "neutral"})
    negative_run = 0
    escalated = False
    turns = rng.randint(1, 4)
    for turn in range(turns):
        gap = rng.uniform(2, 10) if turn == 0 else rng.uniform(20, 90)
        follow_up = intent if turn == 0 or rng.random() < 0.6 else "order_status"
        reading = c.user(follow_up, label, gap)
        negative_run = negative_run + 1 if reading["confident"] and label in NEGATIVE else 0
        c.action("utter_acknowledge")
        c.bot("Let me check that for you.")
        c.action("action_handle_request")
        c.bot("Here is what I found.")
        c.action("action_listen")
        if not escalated and (negative_run >= 2 or (label == "angry" and reading["confident"] and rng.random() < 0.35)):
            reason = "threat" if rng.random() < 0.1 else ("angry_unresolved" if label == "angry" else "sustained_frustration")
            escalated = _escalate(c, reason, surging)
            after = {"neutral": 0.35, "satisfied": 0.15, "frustrated": 0.5} if surging else {"neutral": 0.55, "satisfied": 0.25, "frustrated": 0.2}
            label = _weighted(rng, after)
            continue
        # The regulation calms most shoppers; some stay upset.
        if label in NEGATIVE:
            calm = {"neutral": 0.45, "satisfied": 0.15, label: 0.3, "frustrated": 0.1}
            label = _weighted(rng, {"neutral": 0.2, "satisfied": 0.05, label: 0.45, "angry": 0.3} if surging else calm)
        elif rng.random() < 0.3:
            label = _weighted(rng, {"satisfied": 0.5, "grateful": 0.3, "neutral": 0.2})
    if not escalated and rng.random() < 0.06:
        c.user("request_human", rng.choice(["frustrated", "angry"]), rng.uniform(20, 60))
        c.action("action_listen")
        escalated = _escalate(c, "requested", surging)
    if label in POSITIVE and rng.random() < 0.7:
        c.user("thank", label, rng.uniform(10, 40))
        c.action("utter_you_are_welcome")
        c.bot("You're welcome!")
    if rng.random() < (0.3 if surging else 0.45):
        c.action("utter_ask_rating")
        c.bot("How would you rate this conversation from 1 to 5?")
        c.action("action_listen")
        base = {"angry": 1.6, "frustrated": 2.3, "anxious": 3.2, "confused": 3.3, "neutral": 3.9, "satisfied": 4.5, "grateful": 4.8}[label]
        rating = int(min(5, max(1, round(rng.gauss(base, 0.7)))))
        c.user("rate", "neutral", rng.uniform(5, 20), rating=rating)
        c.action("action_save_csat")
        c.bot("Thanks for the rating!")
        c.slot("resolved", False)
        c.action("action_listen")
    return c.events


def _escalate(c: _Conversation, reason: str, surging: bool) -> bool:
    c.slot("escalate", True)
    c.slot("handoff_reason", reason)
    c.action("action_handoff")
    c.bot("I'm passing you to a person from our team.", {"utter_action": "utter_handoff"})
    c.slot("ticket_id", str(c.rng.randint(1, 9999)))
    c._emit({"event": "pause"})
    wait = c.rng.lognormvariate(math.log(240 if not surging else 720), 0.5)
    if c.rng.random() < 0.9:  # a few are still waiting when the recording ends
        c.bot("Hi, this is a person from the team, I'm looking at your order now.", {"agent_id": c.rng.choice(AGENTS)}, wait)
        c.bot("All sorted, a replacement is on its way.", {"agent_id": c.rng.choice(AGENTS)}, c.rng.uniform(30, 120))
        c._emit({"event": "resume"}, 5)
        c.action("action_handback")
        c.bot("Welcome back! Anything else I can do?", {"utter_action": "utter_handback"})
        c.slot("handoff_reason", None)
        c.action("action_listen")
    return True


def rate_at(hour: float, options: StreamOptions) -> float:
    """Conversations per hour: quiet at night, busy in the day (UTC)."""
    clock = (options.start.hour + options.start.minute / 60 + hour) % 24
    daily = 0.35 + 0.65 * max(0.0, math.sin(math.pi * (clock - 6) / 16)) if 6 <= clock <= 22 else 0.35
    surge = options.surge_traffic if options.surge_start <= hour < options.surge_end else 1.0
    return options.conversations_per_hour * daily * surge


def generate_stream(options: StreamOptions | None = None) -> list[dict]:
    """Every event of the recording, in publication order (as a single Rasa server publishes them)."""
    options = options or StreamOptions()
    rng = random.Random(options.seed)
    events: list[dict] = []
    hour, index = 0.0, 0
    while True:
        hour += rng.expovariate(max(rate_at(hour, options), 1e-6))
        if hour >= options.hours:
            break
        surging = options.surge_start <= hour < options.surge_end
        events.extend(_conversation(rng, index, options.start + dt.timedelta(hours=hour), surging))
        index += 1
    events.sort(key=lambda e: e["timestamp"])  # conversations interleave
    return events


def surge_hours(options: StreamOptions | None = None) -> tuple[dt.datetime, dt.datetime]:
    options = options or StreamOptions()
    return (options.start + dt.timedelta(hours=options.surge_start)).replace(tzinfo=None), \
           (options.start + dt.timedelta(hours=options.surge_end)).replace(tzinfo=None)


def write_jsonl(events: list[dict], path: Path) -> None:
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")


def observations(events: list[dict]) -> list[tuple[dt.datetime, bool]]:
    """What the surge monitor sees of a recording: (time, negative) per expressive shopper message."""
    out = []
    for e in events:
        if e["event"] == "user" and e["parse_data"]["intent"]["name"] != "rate":
            emotion = e["parse_data"]["emotion"]
            out.append((dt.datetime.utcfromtimestamp(e["timestamp"]), emotion["confident"] and emotion["polarity"] == "negative"))
    return out


if __name__ == "__main__":
    stream = generate_stream()
    write_jsonl(stream, Path(sys.argv[1] if len(sys.argv) > 1 else "events.jsonl"))
    print(f"{len(stream)} events")
