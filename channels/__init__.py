"""Rasa input/output channels of the assistant: subclasses of Rasa's own connectors."""
