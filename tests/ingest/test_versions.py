"""Item versions and upstream revocations, pulled from a real medallion: a later upstream
version becomes the item's next version and reaches the partners its releases still stand
for (decided again at it); one they no longer stand for is recalled with why; a revocation
recalls the item from every partner and denies it from then on; an older version read out of
order changes nothing. The log replays with no disagreement and db check agrees after each."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from taxii2client.v21 import Collection

from garante.domain.order import Scope
from garante.ledger import delivery
from garante.ledger.note import VerifierKey
from garante.service.app import Garante
from garante.service.dbcheck import check_store
from garante.stix import markings
from garante.store.feed import FeedQuery
from garante.taxii.app import collection_id
from garante.upstream.taxii import Retry
from tests.ingest.conftest import ANALYST, MAIN, PASSWORD, USER, add_source, indicator
from tests.replay.conftest import Log
from tests.service.orders import issue
from tests.support import peers
from tests.support.agreements import make_agreement
from tests.support.misp_feed import WHEN, misp_event, write_feed
from tests.support.servers import running_server
from tests.support.stores import BACKENDS

FAST = Retry(attempts=3, backoff=0.01)
LATER = "2025-03-01T00:00:00.000Z"
RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"  # TLP 2.0 RED


def kinds(garante: Garante, kind: str) -> list[dict[str, Any]]:
    found = [json.loads(e.entry) for e in garante.entries(0, garante.ledger_size())]
    return [e["data"] for e in found if e["kind"] == kind]


def post(medallion: peers.Medallion, objects: list[dict[str, Any]]) -> None:
    """Objects added upstream, as a producer adds them (TAXII 2.1 Add Objects)."""
    answer = httpx.post(
        medallion.objects_url(MAIN),
        auth=(USER, PASSWORD),
        headers={"Accept": peers.TAXII_JSON, "Content-Type": peers.TAXII_JSON},
        json={"objects": objects},
    )
    assert answer.status_code == 202, answer.text


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


@pytest.mark.parametrize("backend", BACKENDS)
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


def test_a_new_version_delivered_names_an_entry_that_proves_that_version(
    world: Garante, medallion: peers.Medallion
) -> None:
    """A revision marks the release again (same trace token): the new copy names an entry
    listing the new version's digest, so the partner's receipt proves what it now holds."""
    analyst = released_world(world, medallion)
    before = served(world)[indicator(0)["id"]]
    changed = {**indicator(0, modified=LATER), "name": "go-fast contact 0, corrected"}

    post(medallion, [changed])
    analyst.pull_source("upstream", retry=FAST)

    now = served(world)[changed["id"]]
    old_entry, new_entry = markings.entry_of(before), markings.entry_of(now)
    assert old_entry is not None and new_entry is not None
    assert new_entry.index > old_entry.index
    receipt = world.delivery_receipt(new_entry.index)
    served_receipt = delivery.ServedReceipt(
        index=receipt.index,
        size=receipt.size,
        entry=receipt.entry.decode(),
        proof=receipt.proof,
        checkpoint=receipt.checkpoint,
    )
    key = VerifierKey.parse(world.log_verifier_key())
    assert delivery.verify(now, served_receipt, key).verified
    assert not delivery.verify(before, served_receipt, key).verified
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


UNREAD = "marking-definition--00000000-0000-4000-8000-0000000000ff"  # defined nowhere
LATEST = "2025-04-01T00:00:00.000Z"


def test_a_new_version_held_keeps_a_delivered_release_withheld_never_recalled(
    world: Garante, medallion: peers.Medallion
) -> None:
    """Held for review at the new version (a marking no one defined): the partner keeps the
    version it fetched, the new one is withheld, and nothing is recalled."""
    analyst = released_world(world, medallion)

    post(medallion, [indicator(1, modified=LATER, marking=UNREAD)])
    pulled = analyst.pull_source("upstream", retry=FAST).value

    assert pulled.revised and pulled.recalled == ()
    assert kinds(world, "release.recalled") == []
    (withheld,) = kinds(world, "release.withheld")
    assert [r["rule"] for r in withheld["rules"]] == ["2.review"]
    assert served(world)[indicator(1)["id"]]["modified"] == "2025-01-01T00:00:00.000Z"
    replays_and_checks(world)


def test_a_release_held_at_a_new_version_is_released_under_a_later_one_that_lifts_the_hold(
    world: Garante, medallion: peers.Medallion
) -> None:
    analyst = released_world(world, medallion)
    post(medallion, [indicator(1, modified=LATER, marking=UNREAD)])
    analyst.pull_source("upstream", retry=FAST)

    post(medallion, [indicator(1, modified=LATEST)])
    pulled = analyst.pull_source("upstream", retry=FAST).value

    assert pulled.recalled == ()
    (available,) = kinds(world, "release.available")
    assert available["request"] == kinds(world, "release.withheld")[0]["request"]
    now = served(world)[indicator(1)["id"]]
    assert now["modified"] == LATEST and "revoked" not in now
    replays_and_checks(world)


def test_a_new_version_held_before_delivery_withholds_the_release_and_keeps_it(
    world: Garante, medallion: peers.Medallion
) -> None:
    """Never fetched: the release stays, withheld, and its partner is served nothing of it
    until a later version releases it again, as that version."""
    make_agreement(world, "dea", purposes=["seizure"], tlp_ceiling="amber")
    analyst = add_source(world, medallion.api_root)
    analyst.pull_source("upstream", retry=FAST)

    post(medallion, [indicator(1, modified=LATER, marking=UNREAD)])
    held = analyst.pull_source("upstream", retry=FAST).value
    hidden = served(world)
    post(medallion, [indicator(1, modified=LATEST)])
    analyst.pull_source("upstream", retry=FAST)

    assert held.recalled == () and kinds(world, "release.recalled") == []
    assert indicator(1)["id"] not in hidden
    assert served(world)[indicator(1)["id"]]["modified"] == LATEST
    replays_and_checks(world)


RING = {"rules": [{"on": "stix-label", "pattern": "*-ring", "region": "andean"}]}


def mapped_world(world: Garante, medallion: peers.Medallion) -> Garante:
    """As ``released_world``, the source mapping a ``*-ring`` label to the Andean region."""
    make_agreement(world, "dea", purposes=["seizure"], tlp_ceiling="amber")
    analyst = add_source(world, medallion.api_root, mapping=RING)
    analyst.pull_source("upstream", retry=FAST)
    world.feed_page(FeedQuery(partner_id="dea"))  # delivered
    return analyst


def test_a_new_version_the_mapping_puts_in_another_region_moves_the_item_there(
    world: Garante, medallion: peers.Medallion
) -> None:
    analyst = mapped_world(world, medallion)

    post(medallion, [{**indicator(1, modified=LATER), "labels": ["smuggling-ring"]}])
    (item,) = analyst.pull_source("upstream", retry=FAST).value.revised

    (revised,) = kinds(world, "item.revised")
    assert revised["region"] == "andean" and "category" not in revised
    assert (analyst.item(item).category, analyst.item(item).region) == (
        "maritime-interdiction",
        "andean",
    )
    replays_and_checks(world)


def test_an_order_on_the_region_a_new_version_maps_to_holds_its_standing_release(
    world: Garante, medallion: peers.Medallion
) -> None:
    analyst = mapped_world(world, medallion)
    world.register_authority("presidency", name="Presidency")
    issue(world, scope=Scope(regions=frozenset({"andean"})))

    post(medallion, [{**indicator(1, modified=LATER), "labels": ["smuggling-ring"]}])
    pulled = analyst.pull_source("upstream", retry=FAST).value

    assert pulled.recalled == ()
    (withheld,) = kinds(world, "release.withheld")
    assert [r["rule"] for r in withheld["rules"]] == ["3.order-hold"]
    assert served(world)[indicator(1)["id"]]["modified"] == "2025-01-01T00:00:00.000Z"
    replays_and_checks(world)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_revocation_recalls_the_item_from_every_partner_and_denies_it_afterwards(
    world: Garante, medallion: peers.Medallion
) -> None:
    analyst = released_world(world, medallion)
    revoked = {**indicator(2, modified=LATER), "revoked": True}

    post(medallion, [revoked])
    pulled = analyst.pull_source("upstream", retry=FAST).value

    (item,) = pulled.revoked
    (recalled,) = kinds(world, "release.recalled")
    assert recalled["reason"].startswith(f"source upstream revoked {revoked['id']}")
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


# -- a MISP feed made by PyMISP ----------------------------------------------------------------


def misp_world(world: Garante, directory: Path, *, extra: bool = False) -> Garante:
    """A feed of two events (TLP:GREEN), pulled and released to the DEA, and fetched by it."""
    make_agreement(world, "dea", purposes=["seizure"], tlp_ceiling="amber")
    write_feed(directory, [boat(0, extra=extra), boat(1)])
    analyst = world.acting_as(ANALYST)
    analyst.add_source(
        "misp",
        kind="misp-feed",
        url=str(directory),
        collection=None,
        category="maritime-interdiction",
        region="caribbean",
        tlp="red",
    )
    pulled = analyst.pull_source("misp").value
    assert len(pulled.items) == 2
    world.feed_page(FeedQuery(partner_id="dea"))
    return analyst


def boat(n: int, *, minutes: int = 0, info: str | None = None, extra: bool = False) -> Any:
    attributes = [("ip-dst", f"203.0.113.{n}")]
    if extra:
        attributes.append(("domain", f"boat{n}.example"))
    return misp_event(
        info or f"Go-fast boat {n}",
        tags=("tlp:green",),
        attributes=attributes,
        timestamp=WHEN + timedelta(minutes=minutes),
        event_uuid=MISP_UUIDS[n],
    )


MISP_UUIDS = [f"5f1a2b3c-0000-4000-8000-00000000010{n}" for n in range(2)]


def test_a_misp_event_updated_in_the_feed_reaches_the_partner_as_a_new_version(
    world: Garante, tmp_path: Path
) -> None:
    directory = tmp_path / "feed"
    analyst = misp_world(world, directory)
    before = served(world)

    write_feed(
        directory, [boat(0, minutes=30, info="Go-fast boat 0, two crew", extra=True), boat(1)]
    )
    pulled = analyst.pull_source("misp").value

    (item,) = pulled.revised
    assert pulled.recalled == ()
    now = served(world)
    (report,) = [
        o
        for o in now.values()
        if o["type"] in ("report", "grouping")
        and o["id"] in before
        and o["name"] == "Go-fast boat 0, two crew"
    ]
    assert report["modified"] > before[report["id"]]["modified"]
    assert len(now) > len(before)  # the new attribute's objects came too
    assert [v.version for v in analyst.item_versions(item)] == [1, 2]
    replays_and_checks(world)


def test_objects_a_new_version_dropped_reach_the_partner_revoked(
    world: Garante, tmp_path: Path
) -> None:
    directory = tmp_path / "feed"
    analyst = misp_world(world, directory, extra=True)
    before = served(world)

    write_feed(directory, [boat(0, minutes=30), boat(1)])  # the domain attribute removed
    analyst.pull_source("misp")

    now = served(world)
    dropped = {i for i, o in now.items() if o.get("revoked") is True}
    assert dropped and all(before[i].get("revoked") is not True for i in dropped)
    assert all(now[i]["modified"] > before[i].get("modified", "") for i in dropped)
    assert kinds(world, "release.recalled") == []
    replays_and_checks(world)


def test_a_new_version_that_drops_objects_and_is_not_released_revokes_them_all(
    world: Garante, tmp_path: Path
) -> None:
    directory = tmp_path / "feed"
    analyst = misp_world(world, directory, extra=True)
    before = served(world)

    red = misp_event(
        "Go-fast boat 0",
        tags=("tlp:red",),
        attributes=(("ip-dst", "203.0.113.0"),),
        timestamp=WHEN + timedelta(minutes=30),
        event_uuid=MISP_UUIDS[0],
    )
    write_feed(directory, [red, boat(1)])
    pulled = analyst.pull_source("misp").value

    assert len(pulled.recalled) == 1
    now = served(world)
    revoked = {i for i, o in now.items() if o.get("revoked") is True}
    (recalled,) = kinds(world, "release.recalled")
    assert set(recalled["objects"]) == revoked
    assert len(revoked) > 2 and revoked <= set(before)  # the dropped objects among them
    replays_and_checks(world)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_misp_event_deleted_from_the_feed_is_recalled_from_the_partner(
    world: Garante, tmp_path: Path
) -> None:
    directory = tmp_path / "feed"
    analyst = misp_world(world, directory)

    write_feed(directory, [boat(1)])  # MISP deleted event 0: its feed no longer lists it
    pulled = analyst.pull_source("misp").value

    (item,) = pulled.revoked
    (recalled,) = kinds(world, "release.recalled")
    assert f"no longer publishes {MISP_UUIDS[0]}" in recalled["reason"]
    withdrawn = [o for o in served(world).values() if o.get("revoked") is True]
    assert withdrawn and {o["id"] for o in withdrawn} == set(recalled["objects"])
    assert analyst.request_release(item, recipient="dea", purpose="analysis").outcome.value == (
        "denied"
    )
    again = analyst.pull_source("misp").value
    assert again.revoked == ()  # revoked once
    replays_and_checks(world)


# -- through Garante's TAXII server, read by the OASIS client ----------------------------------


def test_the_partner_s_taxii_client_reads_the_new_version_and_then_the_revocation(
    world: Garante, medallion: peers.Medallion
) -> None:
    analyst = released_world(world, medallion)
    _record, token = world.create_token(role="partner", agency_id="dea")
    target = indicator(0)["id"]
    changed = {**indicator(0, modified=LATER), "name": "go-fast contact 0, corrected"}
    revoked = {**changed, "modified": "2025-04-01T00:00:00.000Z", "revoked": True}
    database = str(world.engine.url.database)

    with running_server(Path(database)) as server:
        url = f"{server.url}/taxii2/api/collections/{collection_id('dea')}/"
        collection = Collection(url, user="dea", password=token)
        post(medallion, [changed])
        analyst.pull_source("upstream", retry=FAST)
        (new,) = collection.get_object(target)["objects"]
        every = collection.get_object(target, version="all")["objects"]
        post(medallion, [revoked])
        analyst.pull_source("upstream", retry=FAST)
        (last,) = collection.get_object(target)["objects"]

    assert (new["modified"], new["name"]) == (LATER, "go-fast contact 0, corrected")
    assert sorted(o["modified"] for o in every) == ["2025-01-01T00:00:00.000Z", LATER]
    assert last["revoked"] is True and last["modified"] > LATER
    replays_and_checks(world)


# -- the replay ----------------------------------------------------------------------------------


def revised_log(world: Garante, medallion: peers.Medallion, log_key_file: Path) -> Log:
    analyst = released_world(world, medallion)
    post(medallion, [indicator(0, modified=LATER)])
    analyst.pull_source("upstream", retry=FAST)
    return Log.of(world, log_key_file)


def test_a_revision_that_keeps_a_release_the_new_version_does_not_allow_is_named(
    world: Garante, medallion: peers.Medallion, log_key_file: Path
) -> None:
    log = revised_log(world, medallion, log_key_file)
    (revised,) = log.indexes("item.revised")

    def made_red(entry: dict[str, Any]) -> None:
        entry["data"]["tlp"] = "red"

    messages = [d.message for d in log.forged(revised, made_red).replayed().replay.disagreements]

    assert any("keeps request" in m and "TLP:RED" in m for m in messages), messages


def test_a_revision_that_skips_a_version_number_is_named(
    world: Garante, medallion: peers.Medallion, log_key_file: Path
) -> None:
    log = revised_log(world, medallion, log_key_file)
    (revised,) = log.indexes("item.revised")

    def skipped(entry: dict[str, Any]) -> None:
        entry["data"]["version"] = 3

    messages = [d.message for d in log.forged(revised, skipped).replayed().replay.disagreements]

    assert any("not version 2" in m for m in messages), messages
