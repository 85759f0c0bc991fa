"""Item versions and upstream revocations, pulled from a real medallion: a later upstream
version becomes the item's next version and reaches the partners its releases still stand
for (decided again at it); one they no longer stand for is recalled with why; a revocation
recalls the item from every partner and denies it from then on; an older version read out of
order changes nothing. The log replays with no disagreement and db check agrees after each."""

from __future__ import annotations

import json
from typing import Any

from garante.ledger.note import VerifierKey
from garante.service.app import Garante
from garante.service.dbcheck import check_store
from garante.store.feed import FeedQuery
from garante.upstream.taxii import Retry
from tests.ingest.conftest import add_source, indicator
from tests.support import peers
from tests.support.agreements import make_agreement

FAST = Retry(attempts=3, backoff=0.01)
LATER = "2025-03-01T00:00:00.000Z"
RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"  # TLP 2.0 RED


def kinds(garante: Garante, kind: str) -> list[dict[str, Any]]:
    found = [json.loads(e.entry) for e in garante.entries(0, garante.ledger_size())]
    return [e["data"] for e in found if e["kind"] == kind]


def post(medallion: peers.Medallion, objects: list[dict[str, Any]]) -> None:
    from tests.ingest.test_taxii_pull import post as add

    add(medallion, objects)


def served(garante: Garante, partner: str = "dea") -> dict[str, dict[str, Any]]:
    """The latest version of each object the partner's feed serves, by id."""
    rows, _more = garante.feed_page(FeedQuery(partner_id=partner), deliver=False)
    return {r.object_id: json.loads(r.body) for r in rows}


def replays_and_checks(garante: Garante) -> None:
    garante.publish_checkpoint()
    report = check_store(garante.engine, log_key=VerifierKey.parse(garante.log_verifier_key()))
    assert report.failed == []
    replayed = report.replay
    assert replayed is not None
    assert replayed.ok, (replayed.disagreements, replayed.differences)


def released_world(world: Garante, medallion: peers.Medallion) -> Garante:
    """DIPOL's five green indicators pulled and released to the DEA through its agreement,
    and fetched by it."""
    make_agreement(world, "dea", purposes=["seizure"], tlp_ceiling="amber")
    analyst = add_source(world, medallion.api_root)
    analyst.pull_source("upstream", retry=FAST)
    world.feed_page(FeedQuery(partner_id="dea"))  # delivered
    return analyst


def test_a_later_upstream_version_is_the_item_s_next_version_and_reaches_the_partner(
    world: Garante, medallion: peers.Medallion
) -> None:
    analyst = released_world(world, medallion)
    changed = {**indicator(0, modified=LATER), "name": "go-fast contact 0, corrected"}

    post(medallion, [changed])
    pulled = analyst.pull_source("upstream", retry=FAST).value

    (item,) = pulled.revised
    assert (pulled.items, pulled.recalled) == ((), ())
    (revised,) = kinds(world, "item.revised")
    assert (revised["item"], revised["version"], revised["upstream_version"]) == (
        item,
        2,
        LATER,
    )
    assert len(revised["kept"]) == 1
    now = served(world)[changed["id"]]
    assert (now["name"], now["modified"]) == ("go-fast contact 0, corrected", LATER)
    assert [v.upstream_version for v in analyst.item_versions(item)] == [
        "2025-01-01T00:00:00.000Z",
        LATER,
    ]
    replays_and_checks(world)


def test_a_new_version_no_longer_released_to_a_partner_is_recalled_from_it_with_why(
    world: Garante, medallion: peers.Medallion
) -> None:
    analyst = released_world(world, medallion)

    post(medallion, [indicator(1, modified=LATER, marking=RED)])
    pulled = analyst.pull_source("upstream", retry=FAST).value

    (request,) = pulled.recalled
    (recalled,) = kinds(world, "release.recalled")
    assert recalled["request"] == request and recalled["delivered"] is True
    assert "2.tlp-red" not in recalled["reason"] and "TLP:RED" in recalled["reason"]
    assert served(world)[indicator(1)["id"]]["revoked"] is True
    replays_and_checks(world)


def test_a_revocation_recalls_the_item_from_every_partner_and_denies_it_afterwards(
    world: Garante, medallion: peers.Medallion
) -> None:
    analyst = released_world(world, medallion)
    revoked = {**indicator(2, modified=LATER), "revoked": True}

    post(medallion, [revoked])
    pulled = analyst.pull_source("upstream", retry=FAST).value

    (item,) = pulled.revoked
    (recalled,) = kinds(world, "release.recalled")
    assert "revoked upstream: source upstream revoked" in recalled["reason"]
    assert served(world)[revoked["id"]]["revoked"] is True
    again = analyst.request_release(item, recipient="dea", purpose="analysis")
    assert again.outcome.value == "denied"
    assert [r.rule for r in again.rules] == ["2.revoked"]
    assert "revoked upstream" in again.explanation
    replays_and_checks(world)


def test_an_older_version_read_after_a_newer_one_changes_nothing(
    world: Garante, medallion: peers.Medallion
) -> None:
    analyst = released_world(world, medallion)
    post(medallion, [indicator(3, modified=LATER)])
    analyst.pull_source("upstream", retry=FAST)
    before = served(world)

    post(medallion, [indicator(3, modified="2025-02-01T00:00:00.000Z")])
    pulled = analyst.pull_source("upstream", retry=FAST).value

    assert (pulled.revised, pulled.versions_seen) == ((), 1)
    assert served(world) == before
    assert served(world)[indicator(3)["id"]]["modified"] == LATER
    assert len(kinds(world, "item.revised")) == 1
    replays_and_checks(world)
