"""Every marking the mapping table of docs/sources.md maps, ingested and then delivered: the
item's TLP is the mapped one, and each object reaches the partner with every marking it came
with (its refs, granular markings and labels, and the marking definitions themselves,
unchanged): a release adds its own markings, it drops none. The log replays with no
disagreement after it."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from garante.domain.vocabulary import Tlp
from garante.ledger.note import VerifierKey
from garante.service.app import Garante
from garante.service.dbcheck import check_store
from garante.sources.markings import IEP2_EXTENSION_ID, TLP1_MARKING_IDS
from garante.stix.markings import TLP2_EXTENSION_ID, TLP2_MARKING_IDS, tlp_marking
from garante.store.feed import FeedQuery
from tests.ingest.conftest import ANALYST
from tests.support.misp_feed import WHEN, misp_event, write_feed

TLP1 = {tlp: marking for marking, tlp in TLP1_MARKING_IDS.items()}
CUSTOM_TLP2 = "marking-definition--0b4a2b5e-7b55-4b44-a7c5-2ea5a1c5b6f1"
CUSTOM_TLP = "marking-definition--1c5b3c6f-8c66-4c55-b8d2-3fb6b2d6c7a2"
PAP = "marking-definition--c2a1b1e0-1d1f-4b6a-9f3a-2c7e5b8d9a0f"
IEP = "marking-definition--da05d443-ad8d-46fc-abf5-31d3d00290f1"
GREEN2 = TLP2_MARKING_IDS[Tlp.GREEN]


def tlp1_definition(tlp: Tlp) -> dict[str, Any]:
    level = "white" if tlp is Tlp.CLEAR else tlp.value
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP1[tlp],
        "created": "2017-01-20T00:00:00.000Z",
        "definition_type": "tlp",
        "name": f"TLP:{level.upper()}",
        "definition": {"tlp": level},
    }


def definition(marking_id: str, **body: Any) -> dict[str, Any]:
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": marking_id,
        "created": "2024-01-01T00:00:00.000Z",
        **body,
    }


IEP_BODY = {
    "extension_type": "property-extension",
    "encrypt_in_transit": "may",
    "permitted_actions": "externally-visible-direct-actions",
    "affected_party_notifications": "may",
    "tlp": "amber",
    "provider_attribution": "must-not",
    "unmodified_resale": "must-not",
    "iep_id": "0224bfdf-ea3a-49c3-96f6-66d908bb1845",
    "iep_version": 2.0,
    "description": "This is a TLP-AMBER Information Exchange Policy",
    "start_date": "2022-10-01T00:00:00Z",
}

# Each STIX case: the marking definitions sent, the refs on the indicator, the item's TLP.
STIX_CASES: list[tuple[str, list[dict[str, Any]], list[str], Tlp]] = [
    *(
        (f"tlp1-{tlp.value}", [tlp1_definition(tlp)], [TLP1[tlp]], tlp)
        for tlp in (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.RED)
    ),
    *((f"tlp2-{tlp.value}", [tlp_marking(tlp)], [TLP2_MARKING_IDS[tlp]], tlp) for tlp in Tlp),
    (
        "tlp2-extension-under-another-id",
        [
            definition(
                CUSTOM_TLP2,
                name="TLP:AMBER",
                extensions={
                    TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": "amber"}
                },
            )
        ],
        [CUSTOM_TLP2],
        Tlp.AMBER,
    ),
    (
        "iep-2.0",
        [definition(IEP, name="IEP data marking", extensions={IEP2_EXTENSION_ID: IEP_BODY})],
        [IEP],
        Tlp.AMBER,
    ),
]

# Marking definitions of ``definition_type`` ``tlp`` under another id, and of ``PAP``: the
# validators refuse them (a TLP marking's definition has only ``tlp``, under one of four ids;
# ``PAP`` is no marking type the stix2 library knows), so they are checked as stand-ins and
# kept as they came.
OTHER_ID_CASES: list[tuple[str, list[dict[str, Any]], list[str], Tlp]] = [
    (
        "definition-type-tlp-under-another-id",
        [definition(CUSTOM_TLP, definition_type="tlp", definition={"TLP": "TLP:AMBER+STRICT"})],
        [CUSTOM_TLP],
        Tlp.AMBER_STRICT,
    ),
    (
        "pap-definition",
        [
            tlp_marking(Tlp.GREEN),
            definition(PAP, definition_type="PAP", definition={"PAP": "PAP:AMBER"}),
        ],
        [GREEN2, PAP],
        Tlp.GREEN,
    ),
]

# Each MISP case: the event's tags, the item's TLP.
MISP_CASES: list[tuple[tuple[str, ...], Tlp]] = [
    (("tlp:white",), Tlp.CLEAR),
    (("tlp:clear",), Tlp.CLEAR),
    (("tlp:green",), Tlp.GREEN),
    (("tlp:amber",), Tlp.AMBER),
    (("tlp:amber+strict",), Tlp.AMBER_STRICT),
    (("tlp:red",), Tlp.RED),
    (("tlp:green", "PAP:AMBER"), Tlp.GREEN),
]


def indicator(n: int, refs: list[str]) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.UUID(int=3000 + n, version=4)}",
        "created": "2025-01-01T00:00:00.000Z",
        "modified": "2025-01-01T00:00:00.000Z",
        "name": f"marked {n}",
        "labels": ["go-fast"],
        "pattern": f"[ipv4-addr:value = '198.51.100.{n}']",
        "pattern_type": "stix",
        "valid_from": "2025-01-01T00:00:00Z",
        "object_marking_refs": refs,
        "granular_markings": [{"marking_ref": refs[0], "selectors": ["name"]}],
    }


def add(analyst: Garante, source_id: str, kind: str, url: str) -> None:
    analyst.add_source(
        source_id,
        kind=kind,
        url=url,
        collection=None,
        category="maritime-interdiction",
        region="caribbean",
        tlp="red",
    )


def delivered(world: Garante, item_id: str) -> None:
    """The item released (to the DEA, or to its originator if it is TLP:RED) and fetched: each
    of its objects reaches the feed with every marking it had."""
    item = world.item(item_id)
    recipient = "dipol" if item.tlp is Tlp.RED else "dea"
    decided = world.request_release(item_id, recipient=recipient, purpose="seizure")
    assert decided.outcome.value == "released", decided.explanation
    rows, _more = world.feed_page(FeedQuery(partner_id=recipient))
    served = {r.object_id: json.loads(r.body) for r in rows}
    for original in json.loads(world.item_opening(item_id).bundle)["objects"]:
        copy = served[original["id"]]
        if original["type"] == "marking-definition":
            assert copy == original  # a definition is delivered as it came
            continue
        assert set(original.get("object_marking_refs", ())) <= set(copy["object_marking_refs"])
        for granular in original.get("granular_markings", ()):
            assert granular in copy["granular_markings"]
        assert set(original.get("labels", ())) <= set(copy.get("labels", ()))


Case = tuple[str, list[dict[str, Any]], list[str], Tlp]


def round_trip(world: Garante, tmp_path: Path, cases: list[Case]) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    for n, (_name, definitions, refs, _tlp) in enumerate(cases):
        bundle = {
            "type": "bundle",
            "id": f"bundle--{uuid.UUID(int=4000 + n, version=4)}",
            "objects": [*definitions, indicator(n, refs)],
        }
        (folder / f"{n:02d}.json").write_text(json.dumps(bundle))
    analyst = world.acting_as(ANALYST)
    add(analyst, "drop", "folder", str(folder))

    pulled = analyst.pull_source("drop").value

    assert (pulled.held, pulled.rejected) == ((), ())
    by_indicator = {
        o["id"]: i
        for i in pulled.items
        for o in json.loads(world.item_opening(i).bundle)["objects"]
        if o["type"] == "indicator"
    }
    for n, (name, _definitions, _refs, tlp) in enumerate(cases):
        item = by_indicator[indicator(n, ["x"])["id"]]
        assert world.item(item).tlp is tlp, name
        delivered(world, item)
    replays(world)


def test_every_mapped_stix_marking_is_kept_through_ingest_and_delivery(
    world: Garante, tmp_path: Path
) -> None:
    round_trip(world, tmp_path, STIX_CASES)


def test_tlp_and_pap_definitions_under_other_ids_are_kept_through_ingest_and_delivery(
    world: Garante, tmp_path: Path
) -> None:
    round_trip(world, tmp_path, OTHER_ID_CASES)


def test_every_mapped_misp_tag_is_kept_through_ingest_and_delivery(
    world: Garante, tmp_path: Path
) -> None:
    events = [
        misp_event(
            f"Tagged {n}",
            tags=tags,
            attributes=(("ip-dst", f"203.0.113.{n}"),),
            event_uuid=f"5f1a2b3c-0000-4000-8000-0000000002{n:02d}",
            timestamp=WHEN,
        )
        for n, (tags, _tlp) in enumerate(MISP_CASES)
    ]
    directory = write_feed(tmp_path / "feed", events)
    analyst = world.acting_as(ANALYST)
    add(analyst, "misp", "misp-feed", str(directory))

    pulled = analyst.pull_source("misp").value

    assert (len(pulled.items), pulled.held, pulled.rejected) == (len(MISP_CASES), (), ())
    titles = {world.item(i).title: i for i in pulled.items}
    for n, (tags, tlp) in enumerate(MISP_CASES):
        item = titles[f"Tagged {n}"]
        assert world.item(item).tlp is tlp, tags
        delivered(world, item)
    replays(world)


def replays(world: Garante) -> None:
    world.publish_checkpoint()
    report = check_store(world.engine, log_key=VerifierKey.parse(world.log_verifier_key()))
    assert report.failed == []


def test_a_marking_definition_of_a_type_no_one_maps_holds_its_item_with_the_definition_kept(
    world: Garante, tmp_path: Path
) -> None:
    """Taken past the validators like the mapped ones, a definition of an unknown type is
    not dropped nor read as CLEAR: its item is held for review, saying why, and keeps it."""
    odd = definition(CUSTOM_TLP, definition_type="x-handling", definition={"level": "open"})
    folder = tmp_path / "drop"
    folder.mkdir()
    bundle = {
        "type": "bundle",
        "id": f"bundle--{uuid.UUID(int=4100, version=4)}",
        "objects": [odd, indicator(0, [CUSTOM_TLP])],
    }
    (folder / "00.json").write_text(json.dumps(bundle))
    analyst = world.acting_as(ANALYST)
    add(analyst, "drop", "folder", str(folder))

    pulled = analyst.pull_source("drop").value

    assert (len(pulled.held), pulled.rejected) == (1, ())
    item = world.item(pulled.held[0])
    assert any("of type 'x-handling', which Garante does not map" in r for r in item.review)
    kept = json.loads(world.item_opening(item.id).bundle)["objects"]
    assert odd in kept
