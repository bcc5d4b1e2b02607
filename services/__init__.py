"""Services shared by the action server, the channels and the tools (no Rasa imports at module level)."""
