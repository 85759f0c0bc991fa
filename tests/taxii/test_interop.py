"""Interoperability: the OASIS TAXII 2.1 client (taxii2client.v21) against a real server.

Only the library talks to the server here, as a partner would: HTTP basic auth with the agency
id as user and the partner token as password. The partner is the NCA, which the demo releases
to under an undertaking that permits seizure. A 2,000-indicator item is released to it to page
through; a demo release is recalled to give an object two versions.

Everything returned is checked with the OASIS STIX validator (stix2-validator): no errors.
Its warnings are accepted, chief among them that Garante's own ids (operator identity,
extension definition, undertaking statements) are UUIDv5, derived from names so that they are
the same on every server, where the validator recommends UUIDv4.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from stix2validator import ValidationOptions, validate_instance, validate_parsed_json
from taxii2client.v21 import ApiRoot, Collection, as_pages
from taxii2client.v21 import Server as TaxiiServer

from garante.taxii.app import collection_id, write_collection_id
from tests.support.scenario import scenario_bundle
from tests.taxii.client import Taxii

PARTNER = "nca"
BULK_ITEM = "co-2025-bulk"
BULK_SIZE = 2000
STIX_OPTIONS = ValidationOptions(version="2.1")
TAXII_21 = "application/taxii+json;version=2.1"

# Two demo releases to the NCA: the container route (co-2025-0452) and the go-fast lead.
CONTAINER = "co-2025-0452"
CONTAINER_REPORT = scenario_bundle(CONTAINER)["objects"][0]["id"]
GO_FAST_REPORT = scenario_bundle("co-2025-0417")["objects"][0]["id"]


def _bulk_bundle(size: int) -> dict[str, Any]:
    """``size`` indicators, as a CTI producer would write them (seeded UUIDv4 ids)."""
    rng = random.Random(2025)
    objects = []
    for n in range(size):
        objects.append(
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": f"indicator--{uuid.UUID(int=rng.getrandbits(128), version=4)}",
                "created": "2025-11-13T20:00:00.000Z",
                "modified": "2025-11-13T20:00:00.000Z",
                "name": f"Go-fast support server {n}",
                "description": "Address seen coordinating go-fast departures.",
                "indicator_types": ["malicious-activity"],
                "pattern": f"[ipv4-addr:value = '10.{n // 65536}.{n // 256 % 256}.{n % 256}']",
                "pattern_type": "stix",
                "pattern_version": "2.1",
                "valid_from": "2025-11-13T20:00:00Z",
            }
        )
    return {"type": "bundle", "id": f"bundle--{uuid.UUID(int=rng.getrandbits(128), version=4)}",
            "objects": objects}  # fmt: skip


def _valid(obj: dict[str, Any]) -> None:
    """No validator errors; the one warning accepted is {103}, an id that is not UUIDv4."""
    result = validate_instance(obj, STIX_OPTIONS)
    assert result.is_valid, f"{obj['id']}: {[str(e) for e in result.errors]}"
    assert all("{103}" in str(warning) for warning in result.warnings), result.warnings


def _all(pages: Iterator[dict[str, Any]], key: str = "objects") -> list[dict[str, Any]]:
    return [entry for page in pages for entry in page.get(key, [])]


@pytest.fixture(scope="module")
def bulk_ids(taxii: Taxii, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """An analyst adds a 2,000-indicator item and it is released to the NCA for seizure."""
    bundle = _bulk_bundle(BULK_SIZE)
    path: Path = tmp_path_factory.mktemp("bulk") / "bundle.json"
    path.write_text(json.dumps(bundle))
    taxii.cli(
        "--as", "analyst@dipol", "items", "add", BULK_ITEM, "--bundle", str(path),
        "--title", "Go-fast support infrastructure", "--category", "drug-trafficking",
        "--region", "caribbean", "--tlp", "green", "--originator", "dipol",
    )  # fmt: skip
    decided = json.loads(
        taxii.cli("--json", "request", BULK_ITEM, "--to", PARTNER, "--purpose", "seizure").stdout
    )
    assert decided["outcome"] == "released"
    return [obj["id"] for obj in bundle["objects"]]


@pytest.fixture(scope="module")
def discovery(taxii: Taxii) -> Iterator[TaxiiServer]:
    with TaxiiServer(taxii.discovery, user=PARTNER, password=taxii.tokens[PARTNER]) as server:
        yield server


@pytest.fixture(scope="module")
def api_root(discovery: TaxiiServer) -> ApiRoot:
    root: ApiRoot = discovery.api_roots[0]
    return root


@pytest.fixture(scope="module")
def collection(api_root: ApiRoot) -> Collection:
    found: Collection = api_root.collections[0]
    return found


@pytest.fixture(scope="module")
def recalled(taxii: Taxii, collection: Collection) -> dict[str, Any]:
    """The NCA fetches the container-route report, then its release is recalled."""
    original = collection.get_object(CONTAINER_REPORT)["objects"][0]  # delivers it
    request = taxii.request_id(PARTNER, CONTAINER)
    taxii.cli("releases", "recall", request, "--reason", "source compromised")
    return original  # type: ignore[no-any-return]


# -- discovery, API root, collections -------------------------------------------------------


def test_discovery_names_the_server_and_one_api_root(taxii: Taxii, discovery: TaxiiServer) -> None:
    assert discovery.title == "Garante"
    assert [root.url for root in discovery.api_roots] == [taxii.api_root]
    assert discovery.default.url == taxii.api_root


def test_the_api_root_speaks_taxii_2_1(api_root: ApiRoot) -> None:
    assert TAXII_21 in api_root.versions
    assert api_root.title == "Releases"


def test_a_partner_sees_its_read_collection_and_its_write_collection(api_root: ApiRoot) -> None:
    collections = api_root.collections
    assert [c.id for c in collections] == [collection_id(PARTNER), write_collection_id(PARTNER)]
    assert (collections[0].can_read, collections[0].can_write) == (True, False)
    assert (collections[1].can_read, collections[1].can_write) == (False, True)
    assert {m for c in collections for m in c.media_types} == {"application/stix+json;version=2.1"}


# -- objects -------------------------------------------------------------------------------


def test_get_objects_returns_the_partners_releases_in_an_envelope(collection: Collection) -> None:
    envelope = collection.get_objects(type="report")
    reports = {obj["id"] for obj in envelope["objects"]}
    assert {CONTAINER_REPORT, GO_FAST_REPORT} <= reports
    assert envelope["more"] is False


def test_every_object_but_the_bulk_indicators_validates(collection: Collection) -> None:
    types = "identity,extension-definition,marking-definition,report,location"
    objects = collection.get_objects(type=types)["objects"]
    assert {obj["type"] for obj in objects} == set(types.split(","))
    for obj in objects:
        _valid(obj)


def test_an_object_by_id_is_that_object_alone(collection: Collection) -> None:
    envelope = collection.get_object(GO_FAST_REPORT)
    assert [obj["id"] for obj in envelope["objects"]] == [GO_FAST_REPORT]
    _valid(envelope["objects"][0])


def test_a_delivered_envelope_validates_as_a_bundle(collection: Collection) -> None:
    objects = collection.get_objects(type="report,location")["objects"]
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
    result = validate_parsed_json(bundle, STIX_OPTIONS)
    assert result.is_valid and result.errors == []


# -- paging thousands of objects ------------------------------------------------------------


def test_as_pages_pages_through_thousands_of_objects(
    collection: Collection, bulk_ids: list[str]
) -> None:
    pages = list(as_pages(collection.get_objects, per_request=300))
    ids = [obj["id"] for page in pages for obj in page.get("objects", [])]
    assert len(ids) == len(set(ids))  # nothing twice
    assert set(bulk_ids) <= set(ids)
    assert len(pages) == -(-len(ids) // 300)
    assert all(len(page["objects"]) == 300 for page in pages[:-1])
    assert [page["more"] for page in pages] == [True] * (len(pages) - 1) + [False]


def test_a_per_request_above_the_servers_cap_still_gets_everything(
    collection: Collection, bulk_ids: list[str]
) -> None:
    # The server caps a page at 1000; as_pages notices the smaller pages and follows `next`.
    pages = list(as_pages(collection.get_objects, per_request=1500, type="indicator"))
    assert [len(page["objects"]) for page in pages] == [1000, 1000]
    assert [obj["id"] for page in pages for obj in page["objects"]] == bulk_ids


def test_pages_come_in_date_added_order_as_the_manifest_lists_them(
    collection: Collection, bulk_ids: list[str]
) -> None:
    manifest = _all(as_pages(collection.get_manifest, per_request=700))
    added = [entry["date_added"] for entry in manifest]
    assert added == sorted(added) and len(set(added)) == len(added)
    objects = _all(as_pages(collection.get_objects, per_request=450))
    assert [obj["id"] for obj in objects] == [entry["id"] for entry in manifest]


def test_paged_bulk_indicators_validate(collection: Collection, bulk_ids: list[str]) -> None:
    # The validator costs a few milliseconds an object (the pattern grammar, the JSON schemas):
    # every page's first and last object and every 50th in between, not all 2,000.
    sample: list[dict[str, Any]] = []
    for page in as_pages(collection.get_objects, per_request=500, type="indicator"):
        objects = page["objects"]
        sample += [objects[0], *objects[50:-1:50], objects[-1]]
    assert len(sample) == 4 * 11
    for obj in sample:
        assert obj["object_marking_refs"]  # TLP:GREEN and the NCA's undertaking
        _valid(obj)


# -- resuming with added_after ---------------------------------------------------------------


def test_added_after_the_last_date_added_gets_exactly_the_new_objects(
    taxii: Taxii, collection: Collection, bulk_ids: list[str]
) -> None:
    last = _all(as_pages(collection.get_manifest, per_request=1000))[-1]["date_added"]
    assert "objects" not in collection.get_objects(added_after=last)  # nothing new yet
    # co-2025-0431: in no partner's feed yet (co-2025-0422 reached the NCA by its agreement)
    assert taxii.release("co-2025-0431", to=PARTNER, purpose="seizure")["outcome"] == "released"
    new = collection.get_objects(added_after=last)["objects"]
    expected = [obj["id"] for obj in scenario_bundle("co-2025-0431")["objects"]]
    assert [obj["id"] for obj in new] == expected
    for obj in new:
        _valid(obj)


# -- versions, after a recall ----------------------------------------------------------------


def test_after_a_recall_the_latest_version_is_revoked(
    collection: Collection, recalled: dict[str, Any]
) -> None:
    latest = collection.get_object(CONTAINER_REPORT)["objects"]
    assert len(latest) == 1
    assert latest[0]["revoked"] is True
    assert latest[0]["modified"] > recalled["modified"]
    _valid(latest[0])


def test_match_version_last_gives_the_revoked_version(
    collection: Collection, recalled: dict[str, Any]
) -> None:
    objects = collection.get_objects(id=CONTAINER_REPORT, version="last")["objects"]
    assert [obj.get("revoked", False) for obj in objects] == [True]


def test_match_version_first_gives_the_version_first_delivered(
    collection: Collection, recalled: dict[str, Any]
) -> None:
    objects = collection.get_objects(id=CONTAINER_REPORT, version="first")["objects"]
    assert objects == [recalled]


def test_match_version_all_gives_both_versions_oldest_first(
    collection: Collection, recalled: dict[str, Any]
) -> None:
    objects = collection.get_objects(id=CONTAINER_REPORT, version="all")["objects"]
    assert objects[0] == recalled
    assert [obj.get("revoked", False) for obj in objects] == [False, True]
    for obj in objects:
        _valid(obj)


def test_match_version_with_a_version_string_gives_that_version(
    collection: Collection, recalled: dict[str, Any]
) -> None:
    objects = collection.get_objects(id=CONTAINER_REPORT, version=recalled["modified"])["objects"]
    assert objects == [recalled]


def test_the_versions_endpoint_lists_both_versions(
    collection: Collection, recalled: dict[str, Any]
) -> None:
    versions = collection.object_versions(CONTAINER_REPORT)
    revoked = collection.get_object(CONTAINER_REPORT)["objects"][0]
    assert versions["versions"] == [recalled["modified"], revoked["modified"]]
    assert versions["more"] is False


def test_the_manifest_lists_the_revoked_version_as_the_objects_version(
    collection: Collection, recalled: dict[str, Any]
) -> None:
    entries = collection.get_manifest(id=CONTAINER_REPORT)["objects"]
    revoked = collection.get_object(CONTAINER_REPORT)["objects"][0]
    assert [entry["version"] for entry in entries] == [revoked["modified"]]
    assert entries[0]["media_type"] == "application/stix+json;version=2.1"


def test_match_version_with_a_datetime_finds_the_version(collection: Collection) -> None:
    version = datetime(2025, 10, 20, 12, 0, tzinfo=UTC)  # the go-fast report's `modified`
    envelope = collection.get_objects(id=GO_FAST_REPORT, version=version)
    assert [obj["id"] for obj in envelope.get("objects", [])] == [GO_FAST_REPORT]
