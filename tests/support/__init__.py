"""Helpers shared by tests (speech round trip, ...)."""
