"""The emotion classifier's learning loop: queue unsure readings, label them, retrain, gate, promote.

``queue`` fills the review queue (``models.EmotionReviewItem``, migration 0007), ``label_cli``
is ``make label``, ``feedback`` reads and writes ``data/emotion/feedback/*.jsonl``, ``retrain``
is ``make emotion-retrain`` (``gate`` decides, ``registry`` records), ``restore`` is
``make emotion-restore``. See ``docs/learning.md``.
"""
