"""Emotion regulation of the dialogue: tone of replies, mood over time, escalation."""
