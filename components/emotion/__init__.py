"""Emotion classification for shopper messages: labels, data, training, inference, evaluation."""
