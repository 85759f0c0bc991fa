"""The unit of work: what a use case has added or changed is written when it is flushed."""

from __future__ import annotations

from sqlalchemy.orm import Session


def flush(session: Session) -> None:
    """Write what the session holds now (ids assigned, constraints checked), still uncommitted."""
    session.flush()
