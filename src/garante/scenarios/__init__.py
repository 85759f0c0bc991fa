"""Scenarios replayed on a clock: the flagship one is November 2025."""
