"""Support-team analytics: the event-broker consumer, dashboard metrics, surge alerts, review monitoring."""
