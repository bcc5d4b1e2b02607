"""What the shopper is told when the action server cannot answer (``services.action_fallback``).

Kept free of Rasa imports so that load tests and clients can recognise the message.
"""

TROUBLE_TEXT = "I'm having trouble, please try again in a moment."
TROUBLE_RESPONSE = "utter_service_trouble"  # used instead when the domain defines it
