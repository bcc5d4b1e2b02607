"""Queue order: emotion severity x confidence plus waiting time; anger and threats to seniors."""

from __future__ import annotations

import datetime as dt

from demo_site.desk.urgency import UrgencyPolicy, emotion_urgency, needs_senior, urgency, wait_urgency

ANGRY = {"label": "angry", "confidence": 0.9, "confident": True}
FRUSTRATED = {"label": "frustrated", "confidence": 0.8, "confident": True}
NEUTRAL = {"label": "neutral", "confidence": 0.95, "confident": True}


def test_emotion_urgency_is_the_strongest_recent_reading() -> None:
    assert emotion_urgency([ANGRY]) == 0.9
    assert emotion_urgency([FRUSTRATED]) == 0.64
    assert emotion_urgency([NEUTRAL]) == 0.0
    assert emotion_urgency([]) == 0.0
    # Only the last three readings count: anger long ago does not keep a calmed-down ticket on top.
    assert emotion_urgency([ANGRY, NEUTRAL, NEUTRAL, NEUTRAL]) == 0.0
    assert emotion_urgency([{"label": "angry", "confidence": "junk"}, {"label": "nonsense", "confidence": 2}]) == 0.0


def test_waiting_adds_up_to_its_cap() -> None:
    policy = UrgencyPolicy(wait_weight=0.5, wait_cap_minutes=120)
    assert wait_urgency(dt.timedelta(0), policy) == 0.0
    assert wait_urgency(dt.timedelta(minutes=60), policy) == 0.25
    assert wait_urgency(dt.timedelta(hours=10), policy) == 0.5
    assert wait_urgency(dt.timedelta(minutes=-5), policy) == 0.0


def test_a_calm_ticket_waiting_long_overtakes_a_fresh_frustrated_one() -> None:
    fresh_frustrated = urgency([FRUSTRATED], dt.timedelta(minutes=1))
    calm_but_old = urgency([NEUTRAL], dt.timedelta(hours=3))
    slightly_anxious = urgency([{"label": "anxious", "confidence": 0.7}], dt.timedelta(minutes=1))
    assert fresh_frustrated > slightly_anxious
    assert calm_but_old < fresh_frustrated  # 0.5 < 0.64: strong emotion still wins over waiting
    assert urgency([NEUTRAL], dt.timedelta(hours=3)) > urgency([{"label": "confused", "confidence": 0.9}], dt.timedelta(0))


def test_anger_and_threats_need_a_senior() -> None:
    assert needs_senior("threat", [])
    assert needs_senior("angry_unresolved", [NEUTRAL])
    assert needs_senior("requested", [NEUTRAL, ANGRY])
    assert not needs_senior("requested", [NEUTRAL, {"label": "angry", "confidence": 0.3}])  # an unsure reading is not anger
    assert needs_senior("requested", [NEUTRAL], ["I'll be filing a chargeback with my bank"])
    assert not needs_senior("sustained_frustration", [FRUSTRATED, FRUSTRATED], ["this keeps going wrong"])
