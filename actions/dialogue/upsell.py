"""The one upsell policy: when products may be shown, by the shopper's emotion (thresholds.yml).

- **Offered unprompted** (after a resolved request): only to shoppers whose emotion is in
  ``recommendations.offer_when`` (satisfied, grateful).
- **Shown on request** ("any recommendations?"): to everyone except ``hold_back_when``
  (angry, frustrated), who are told their problem comes first.
- So an **anxious** shopper is never offered products, but sees them when they ask: a
  worried shopper who asks for gift ideas wants an answer, not a refusal.

data/rules.yml mirrors these sets in its recommendation rules (Rasa rules cannot read this
file); tests/dialogue/test_upsell.py keeps the two in agreement.
"""

from __future__ import annotations

from actions.dialogue.config import DialogueConfig


def may_offer(emotion: str | None, config: DialogueConfig) -> bool:
    """Whether to offer recommendations unprompted, after a resolved request."""
    return emotion in config.offer_recommendations_when


def may_show(emotion: str | None, config: DialogueConfig) -> bool:
    """Whether to show recommendations the shopper asked for."""
    return emotion not in config.hold_back_recommendations_when
