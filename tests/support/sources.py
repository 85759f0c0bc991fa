"""A Garante source stored as a row, for store tests that need one to hang rows on (the
consents a node asked upstream, the acknowledgements it queued) without pulling from it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from garante.store.schema import SourceRow
from tests.support.scenario import START


def add_garante_source(session: Session, source_id: str, *, originator: str) -> None:
    """A ``garante`` source ``source_id`` whose items ``originator`` originates, pointing at a
    port nothing listens on, flushed so that rows naming it can follow."""
    session.add(
        SourceRow(
            id=source_id,
            kind="garante",
            url="http://127.0.0.1:9",
            auth="none",
            originator=originator,
            interval=3600,
            grouping="report",
            category="drug-trafficking",
            region="andean",
            tlp="amber",
            mapping={},
            added_by="test",
            added_at=START,
        )
    )
    session.flush()
