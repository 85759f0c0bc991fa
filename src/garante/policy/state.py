"""The snapshot ``decide`` reads: defined in ``domain/snapshot.py``, where the store that
builds it can reach it without importing the policy."""

from __future__ import annotations

from garante.domain.snapshot import OrderIndex, PolicyState

__all__ = ["OrderIndex", "PolicyState"]
