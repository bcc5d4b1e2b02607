"""Harbor & Pine assistant: custom actions and the business logic they call."""
