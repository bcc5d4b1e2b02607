"""Tone-matched wording for the replies that actions compose.

Static responses get their tone from conditional response variations on the ``tone``
slot in domain.yml; this module gives composed replies the same six tones.
When products may be shown is decided by emotion, not tone: actions/dialogue/upsell.py.
"""

from __future__ import annotations

from collections.abc import Sequence

TONE_OF_EMOTION: dict[str, str] = {
    "angry": "apologetic",
    "frustrated": "empathetic",
    "anxious": "reassuring",
    "confused": "stepwise",
    "neutral": "efficient",
    "satisfied": "warm",
    "grateful": "warm",
}
TONES: tuple[str, ...] = ("apologetic", "empathetic", "reassuring", "stepwise", "efficient", "warm")

_CLOSERS: dict[str, str] = {
    "apologetic": "If that doesn't fix it, I can bring in a person from our team right away.",
    "empathetic": "If you'd rather talk it through with a person, just say so.",
    "reassuring": "I'll be here if anything changes or you have another question.",
    "stepwise": "Tell me which step you're on if anything is unclear.",
    "efficient": "Anything else?",
    "warm": "Anything else I can do for you?",
}


def tone_for(emotion: str | None) -> str:
    """The tone for an emotion label; ``efficient`` when unknown."""
    return TONE_OF_EMOTION.get(emotion or "", "efficient")


def compose(tone: str, headline: str, facts: Sequence[str] = (), next_steps: Sequence[str] = (), closer: bool = True) -> str:
    """One reply: headline, facts and next steps laid out for the tone.

    - stepwise: everything as numbered steps, short lines;
    - reassuring: facts as a list, then "What happens next";
    - apologetic / empathetic: calm sentences, no exclamation marks;
    - efficient / warm: compact.
    """
    if tone not in TONES:
        raise ValueError(f"unknown tone {tone!r}; expected one of {', '.join(TONES)}")
    lines: list[str] = [headline]
    if tone == "stepwise":
        items = list(facts) + list(next_steps)
        lines += [f"{i}. {item}" for i, item in enumerate(items, 1)]
    elif tone == "reassuring":
        lines += [f"- {fact}" for fact in facts]
        if next_steps:
            lines.append("What happens next: " + " ".join(next_steps))
    else:
        body = " ".join(list(facts) + list(next_steps))
        if body:
            lines.append(body)
    if closer:
        lines.append(_CLOSERS[tone])
    text = "\n".join(line for line in lines if line)
    if tone in {"apologetic", "empathetic"}:
        text = text.replace("!", ".")
    return text
