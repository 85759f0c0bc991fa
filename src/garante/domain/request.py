"""A release request: an analyst asks to send an item to a recipient for a purpose."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, kw_only=True)
class ReleaseRequest:
    id: int
    item_id: str
    recipient_id: str
    purpose: str
    requested_by: str
    requested_at: datetime


@dataclass(frozen=True, kw_only=True)
class ReleaseTriple:
    """One release asked for in a batch, before it is stored: item, recipient, purpose."""

    item_id: str
    recipient_id: str
    purpose: str
