"""Custom Rasa NLU components of the Harbor & Pine assistant."""
