"""An item: one communication to share, with its handling marks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Item:
    """One communication.

    ``tlp`` is kept as the raw string so that a marking the engine does not recognise reaches
    the decision and is held there (fail closed) instead of failing to load.
    ``releasable_to`` holds ISO 3166 country codes and agency ids; empty means no restriction.
    """

    id: str
    title: str
    category: str
    region: str
    tlp: str
    originator: str
    releasable_to: frozenset[str] = frozenset()
    content_sha256: str = ""
