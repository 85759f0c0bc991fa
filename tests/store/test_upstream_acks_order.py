"""A node's outbox is sent oldest first; what one pull queued at one instant, by the upstream
release, the delivery before the recall, never by the acknowledgements' ids (random notes).
On each store."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from garante.service.app import Garante
from garante.store import upstream_acks
from garante.store.schema import UpstreamAckRow
from tests.support.scenario import START
from tests.support.sources import add_garante_source

SOURCE = "from-colombia"


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def _queued(
    session: Session, ack_id: str, kind: str, request: int, *, earlier: bool = False
) -> None:
    at = START - timedelta(hours=1) if earlier else START
    upstream_acks.add(
        session,
        UpstreamAckRow(
            id=ack_id,
            source_id=SOURCE,
            kind=kind,
            request_id=request,
            agency_id="dea",
            acknowledged_at=at,
            signature="c2ln",
            queued_at=at,
            attempts=0,
        ),
    )


def test_the_outbox_is_sent_by_when_queued_then_release_then_delivery_before_recall(
    garante: Garante,
) -> None:
    garante.register_agency("dijin", name="DIJIN", country="CO", domestic=True)
    with Session(garante.engine) as session, session.begin():
        add_garante_source(session, SOURCE, originator="dijin")
        # Ids that sort against the order wanted: an outbox sent by id would reverse it.
        _queued(session, "note--a", "recall", 9)
        _queued(session, "note--b", "delivery", 9)
        _queued(session, "note--c", "delivery", 3)
        _queued(session, "note--d", "recall", 20, earlier=True)
        _queued(session, "note--0", "delivery", 1)
        upstream_acks.tried(session, "note--0", at=START, error=None)  # accepted: not sent
        pending = [(r.id, r.kind, r.request_id) for r in upstream_acks.pending(session, SOURCE)]
    assert pending == [
        ("note--d", "recall", 20),
        ("note--c", "delivery", 3),
        ("note--b", "delivery", 9),
        ("note--a", "recall", 9),
    ]
