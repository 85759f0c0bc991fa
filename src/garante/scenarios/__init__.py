"""Scenarios replayed on a clock: the flagship one is November 2025."""

from pathlib import Path

SCENARIOS = Path(__file__).parent
NOVEMBER_2025 = SCENARIOS / "november_2025.toml"
