"""An item: one communication to share, with its handling marks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, kw_only=True)
class Item:
    """One communication.

    ``tlp`` is kept as the raw string so that a marking the engine does not recognise reaches
    the decision and is held there (fail closed) instead of failing to load.
    ``releasable_to`` holds ISO 3166 country codes and agency ids; empty means no restriction.
    Before ``embargo_until`` nothing of it is released (requests are held and decided again
    when the embargo ends); from ``expires_at`` on nothing more is.
    ``review`` holds the reasons an item ingested from a source is held for review (a marking
    that could not be read without loss): while there are any, nothing of it is released.
    ``revoked`` says why its upstream revoked it (None while it stands): nothing more of it
    is released.
    """

    id: str
    title: str
    category: str
    region: str
    tlp: str
    originator: str
    releasable_to: frozenset[str] = frozenset()
    content_sha256: str = ""
    embargo_until: datetime | None = None
    expires_at: datetime | None = None
    review: tuple[str, ...] = ()
    revoked: str | None = None
