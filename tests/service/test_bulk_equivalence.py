"""A batch writes what the same requests made one by one write: the same log, byte for byte,
the same decisions, and the same feeds (but for each release's random trace token)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from garante.domain.order import Scope
from garante.domain.request import ReleaseTriple
from garante.service import feed, releases
from garante.service.app import Garante
from garante.service.clock import FixedClock
from garante.store.feed import FeedQuery
from garante.store.schema import DecisionRow, FeedObjectRow, FeedReleaseRow, RequestRow
from tests.service.orders import issue
from tests.support import postgres
from tests.support.scenario import scenario_bundle

AT = datetime(2025, 11, 11, 9, tzinfo=UTC)
TRIPLES = [
    ReleaseTriple(item_id=item, recipient_id=partner, purpose=purpose)
    for item, partner, purpose in (
        ("lead", "dea", "seizure"),
        ("lead", "dea", "arrest"),  # the same item again: shares the objects just put there
        ("twin", "dea", "seizure"),  # another item with the same bundle: shares them too
        ("lead", "nca", "arrest"),  # denied: the NCA's undertaking permits seizure only
        ("lead", "fbi", "seizure"),  # held by the order
        ("lead", "p1", "seizure"),  # p1 held the item's objects before: one at a time
        ("lead", "p2", "seizure"),
        ("other", "p2", "seizure"),
        ("lead", "p0", "seizure"),  # no undertaking
        ("other", "p3", "seizure"),  # p3 fetched the item before: shares that delivery
        ("other", "p4", "seizure"),  # p4 holds the item, not yet fetched
        ("other", "p4", "arrest"),  # and again, in the same batch
    )
]


def _world(url: str) -> Garante:
    g = Garante.open(url, clock=FixedClock(AT), actor="test")
    g.register_agency("dipol", name="DIPOL", country="CO", domestic=True)
    for agency, country in (
        ("dea", "US"),
        ("fbi", "US"),
        ("nca", "GB"),
        ("p1", "FR"),
        ("p3", "IT"),
        ("p4", "PT"),
    ):
        g.register_agency(agency, name=agency.upper(), country=country)
    g.register_agency("p0", name="P0", country="DE", requires_undertaking=True)
    g.register_agency("p2", name="P2", country="ES")
    for agency in ("dea", "fbi", "p1", "p2", "p3", "p4"):
        g.record_undertaking(
            g.draft_undertaking(agency, permits=["seizure", "arrest"]), signature=None
        )
    g.record_undertaking(g.draft_undertaking("nca", permits=["seizure"]), signature=None)
    g.register_authority("presidency", name="Presidency")
    for item, bundle in (
        ("lead", "co-2025-0417"),
        ("twin", "co-2025-0417"),
        ("other", "co-2025-0422"),
    ):
        g.add_item(
            item,
            title=item,
            category="maritime-interdiction",
            region="caribbean",
            tlp="amber",
            originator="dipol",
            bundle=scenario_bundle(bundle),
        )
    g.request_release("other", recipient="p2", purpose="arrest")  # p2 holds the support objects
    for repeated in ("p3", "p4"):  # each holds the item's objects and the support objects
        g.request_release("other", recipient=repeated, purpose="arrest")
    g.feed_page(FeedQuery(partner_id="p3"))
    first = g.request_release("lead", recipient="p1", purpose="seizure")
    g.recall(first.request, reason="sent too early")
    issue(g, "hold", scope=Scope(agencies=frozenset({"fbi"})))
    return g


def _stored(g: Garante) -> dict[str, Any]:
    with g.context.reads() as reading:
        session = reading.session
        tokens = [r.trace_token for r in session.scalars(select(FeedReleaseRow))]
        origin = feed.log_origin(session)

        def body(row: FeedObjectRow) -> str:  # each release's token is random, each log's key
            text = row.body if origin is None else row.body.replace(origin, "ORIGIN")
            for token in tokens:
                text = text.replace(token, "TOKEN")
            return text

        return {
            "requests": [
                (r.id, r.item_id, r.recipient_id, r.purpose, r.outcome, r.undertaking_id)
                for r in session.scalars(select(RequestRow).order_by(RequestRow.id))
            ],
            "decisions": [
                (d.request_id, d.outcome, d.explanation, json.dumps(d.rules), d.state_version)
                for d in session.scalars(select(DecisionRow).order_by(DecisionRow.id))
            ],
            "releases": [
                (r.request_id, r.partner_id, r.status, r.undertaking_id, r.delivered_at)
                for r in session.scalars(select(FeedReleaseRow).order_by(FeedReleaseRow.request_id))
            ],
            "objects": [
                (
                    o.partner_id,
                    o.request_id,
                    o.object_id,
                    o.version,
                    o.date_added,
                    o.visible,
                    o.is_latest,
                    body(o),
                )
                for o in session.scalars(
                    select(FeedObjectRow).order_by(FeedObjectRow.partner_id, FeedObjectRow.seq)
                )
            ],
        }


@pytest.fixture
def pair(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Garante, Garante]]:
    """Two stores built alike, on SQLite files or PostgreSQL databases."""
    if backend == "postgresql":
        cluster: postgres.Cluster = request.getfixturevalue("pg_cluster")
        monkeypatch.setenv("GARANTE_LOG_KEY_FILE", str(tmp_path / "log-key"))
        urls = [cluster.new_database(), cluster.new_database()]
    else:
        urls = [f"sqlite:///{tmp_path / 'batch.db'}", f"sqlite:///{tmp_path / 'one-by-one.db'}"]
    stores = (_world(urls[0]), _world(urls[1]))
    yield stores
    for store in stores:
        store.close()


def one_by_one(g: Garante, triples: list[ReleaseTriple]) -> None:
    """The requests made alone, each in its own transaction, by the one-at-a-time path (not
    through group commit, which decides even a lone request in bulk)."""
    for t in triples:
        with g.context.writes(g.actor) as tx:
            releases.request_release(
                tx, item_id=t.item_id, recipient_id=t.recipient_id, purpose=t.purpose
            )


def test_a_batch_logs_exactly_what_the_same_requests_made_one_by_one_log(
    pair: tuple[Garante, Garante],
) -> None:
    batch, single = pair
    start = batch.ledger_size()  # items' salted commitments differ before it
    batch.request_releases(TRIPLES)
    one_by_one(single, TRIPLES)
    size = single.ledger_size()
    assert batch.ledger_size() == size
    assert _masked(batch, start, size) == _masked(single, start, size)


def _masked(g: Garante, start: int, end: int) -> list[str]:
    """Entries ``[start, end)``, each release's trace token (random) replaced by TOKEN."""
    with g.context.reads() as reading:
        tokens = [r.trace_token for r in reading.session.scalars(select(FeedReleaseRow))]
    masked = []
    for e in g.entries(start, end):
        text = e.entry
        for token in tokens:
            text = text.replace(token, "TOKEN")
        masked.append(text)
    return masked


def test_a_batch_stores_exactly_what_the_same_requests_made_one_by_one_store(
    pair: tuple[Garante, Garante],
) -> None:
    batch, single = pair
    batch.request_releases(TRIPLES)
    one_by_one(single, TRIPLES)
    assert _stored(batch) == _stored(single)
