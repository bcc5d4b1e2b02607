"""Deterministic seed data for the store database (see docs/seed_data.md)."""
