"""Isolation: each partner's collection holds what was released to it, only that, only while
it may be delivered, and recalls reach it as revoked versions.

The demo releases co-2025-0417 to the DEA, HSI and the NCA, co-2025-0452 to the NCA alone
(it is not releasable to the United States) and co-2025-0440 to the FBI alone. Request ids
are looked up, never assumed: the scenario may grow.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from garante.scenarios.keys import demo_key
from garante.service.app import Garante
from garante.signatures import private_key_pem
from garante.stix.markings import TRACE_EXTENSION_ID, TRACE_PROPERTY
from garante.taxii.app import collection_id, write_collection_id
from garante.taxii.media import TAXII_JSON
from tests.support.scenario import scenario_bundle
from tests.taxii.client import Taxii

PARTNERS = ("dea", "nca", "fbi")
GO_FAST = "co-2025-0417"  # released to the DEA (twice), HSI and the NCA
CONTAINER = "co-2025-0452"  # released to the NCA only
CASEWORK = "co-2025-0440"  # released to the FBI only
LOADING_SITE = "co-2025-0422"  # released to the DEA and, by its agreement, the NCA


def _ids(item: str) -> list[str]:
    return [obj["id"] for obj in scenario_bundle(item)["objects"]]


def _report(item: str) -> str:
    return _ids(item)[0]


def _objects(taxii: Taxii, agency: str, **params: Any) -> list[dict[str, Any]]:
    response = taxii.objects(agency, **params)
    assert response.status_code == 200, response.text
    objects: list[dict[str, Any]] = response.json().get("objects", [])
    return objects


def _reports(taxii: Taxii, agency: str) -> set[str]:
    return {obj["id"] for obj in _objects(taxii, agency, **{"match[type]": "report"})}


def _last_date_added(taxii: Taxii, agency: str) -> str:
    response = taxii.manifest(agency)
    assert response.status_code == 200 and not response.json()["more"]
    return response.headers["X-TAXII-Date-Added-Last"]


def _assert_taxii_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == TAXII_JSON
    body: dict[str, Any] = response.json()
    assert body["http_status"] == str(status)
    assert body["title"]
    return body


def _trace_token(obj: dict[str, Any]) -> str:
    return str(obj["extensions"][TRACE_EXTENSION_ID][TRACE_PROPERTY])


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The presidency's demo signing key (derived from its name: never outside a demo)."""
    path = tmp_path_factory.mktemp("keys") / "presidency.pem"
    path.write_bytes(private_key_pem(demo_key("presidency")))
    return path


@pytest.fixture(scope="module")
def order_lifecycle(taxii: Taxii, key_file: Path) -> dict[str, Any]:
    """What the DEA's feed shows as a release meets an order, and after the order is lifted.

    The DEA first fetches everything it has (so its earlier releases are delivered); then the
    joint-casework item, of a marking it already holds, is released to it, and before it
    fetches again the presidency orders sharing with the DEA held; later the order is lifted.
    """
    _objects(taxii, "dea")
    before_release = _last_date_added(taxii, "dea")
    assert taxii.release(CASEWORK, to="dea", purpose="arrest")["outcome"] == "released"
    taxii.cli(
        "orders", "issue", "--id", "dea-pause", "--authority", "presidency", "--effect", "hold",
        "--agencies", "dea", "--reason", "Pause sharing with the DEA pending review.",
        "--key", str(key_file),
    )  # fmt: skip
    during = {
        "reports": _reports(taxii, "dea"),
        "added_after": taxii.objects("dea", added_after=before_release),
        "by_id": taxii.get(taxii.collection("dea") + f"objects/{_report(CASEWORK)}/", "dea"),
    }
    taxii.cli(
        "orders", "lift", "dea-pause", "--authority", "presidency",
        "--reason", "Review complete.", "--key", str(key_file),
    )  # fmt: skip
    after = {"added_after": taxii.objects("dea", added_after=before_release)}
    return {"during": during, "after": after}


@pytest.fixture(scope="module")
def recall(taxii: Taxii) -> dict[str, Any]:
    """The NCA fetches its copy of the go-fast item, then that release is recalled."""
    delivered = {obj["id"]: obj for obj in _objects(taxii, "nca")}
    mark = _last_date_added(taxii, "nca")
    request = taxii.request_id("nca", GO_FAST)
    taxii.cli("releases", "recall", request, "--reason", "Source withdrew consent.")
    return {"delivered": delivered, "since": _objects(taxii, "nca", added_after=mark)}


# -- what each partner receives ----------------------------------------------------------------


def test_each_collection_holds_exactly_the_reports_of_the_items_released_to_it(
    taxii: Taxii,
) -> None:
    for agency in PARTNERS:
        expected = {_report(release["item"]) for release in taxii.released(agency)}
        assert _reports(taxii, agency) == expected, agency


def test_an_item_released_to_one_partner_never_reaches_another(taxii: Taxii) -> None:
    reports = {agency: _reports(taxii, agency) for agency in PARTNERS}
    assert _report(CONTAINER) in reports["nca"]
    assert _report(CASEWORK) in reports["fbi"]
    assert _report(CONTAINER) not in reports["dea"] | reports["fbi"]
    assert _report(CASEWORK) not in reports["dea"] | reports["nca"]


def test_asking_for_another_partners_object_by_id_is_404(taxii: Taxii) -> None:
    response = taxii.get(taxii.collection("dea") + f"objects/{_report(CONTAINER)}/", "dea")
    _assert_taxii_error(response, 404)


def test_a_shared_item_reaches_each_partner_with_its_own_trace_token(taxii: Taxii) -> None:
    url = f"objects/{_report(GO_FAST)}/"
    copies = [taxii.get(taxii.collection(a) + url, a).json()["objects"][0] for a in ("dea", "nca")]
    tokens = [_trace_token(copy) for copy in copies]
    assert tokens[0] != tokens[1]
    # What `garante trace leaked.json` runs, called in-process: a CLI process costs seconds.
    garante = Garante.open(str(taxii.server.db))
    try:
        found = {(t.partner, t.item) for t in garante.trace(tokens)}
    finally:
        garante.close()
    assert found == {("dea", GO_FAST), ("nca", GO_FAST)}


def test_another_partners_collection_is_404_with_a_taxii_error(taxii: Taxii) -> None:
    other = taxii.collection("nca")
    for path in ("", "objects/", "manifest/", f"objects/{_report(CONTAINER)}/versions/"):
        body = _assert_taxii_error(taxii.get(other + path, "dea"), 404)
        assert body["error_code"] == "taxii.collection_not_found"


def test_another_partners_collection_looks_like_one_that_does_not_exist(taxii: Taxii) -> None:
    theirs = _assert_taxii_error(taxii.get(taxii.collection("nca"), "dea"), 404)
    nowhere = taxii.get(f"{taxii.api_root}collections/{collection_id('nobody')}/", "dea")
    none = _assert_taxii_error(nowhere, 404)
    assert (theirs["title"], theirs["error_code"]) == (none["title"], none["error_code"])


def test_a_collections_list_names_only_the_callers_own_collections(taxii: Taxii) -> None:
    for agency in PARTNERS:
        listed = taxii.get(f"{taxii.api_root}collections/", agency).json()["collections"]
        assert [c["id"] for c in listed] == [collection_id(agency), write_collection_id(agency)]


def test_a_token_that_is_not_a_partners_gets_403(taxii: Taxii) -> None:
    analyst = {"Authorization": f"Bearer {taxii.tokens['analyst']}", "Accept": TAXII_JSON}
    for url in (
        taxii.discovery,
        f"{taxii.api_root}collections/",
        taxii.collection("dea") + "objects/",
    ):
        _assert_taxii_error(httpx.get(url, headers=analyst), 403)


# -- orders and recalls reach the feed -------------------------------------------------------


def test_an_order_issued_after_release_withholds_the_undelivered_objects(
    order_lifecycle: dict[str, Any],
) -> None:
    during = order_lifecycle["during"]
    assert _report(CASEWORK) not in during["reports"]
    assert during["added_after"].status_code == 200
    assert "objects" not in during["added_after"].json()
    _assert_taxii_error(during["by_id"], 404)


def test_an_order_leaves_what_was_already_delivered(order_lifecycle: dict[str, Any]) -> None:
    assert {_report(GO_FAST), _report(LOADING_SITE)} <= order_lifecycle["during"]["reports"]


def test_lifting_the_order_delivers_to_a_client_resuming_from_added_after(
    order_lifecycle: dict[str, Any],
) -> None:
    resumed = order_lifecycle["after"]["added_after"]
    assert [obj["id"] for obj in resumed.json()["objects"]] == _ids(CASEWORK)


def test_a_recall_reaches_the_partner_as_revoked_versions(recall: dict[str, Any]) -> None:
    since = recall["since"]
    assert [obj["id"] for obj in since] == _ids(GO_FAST)
    for revoked in since:
        assert revoked["revoked"] is True
        assert revoked["modified"] > recall["delivered"][revoked["id"]]["modified"]


def test_a_recall_leaves_other_partners_copies_alone(taxii: Taxii, recall: dict[str, Any]) -> None:
    dea_copy = _objects(taxii, "dea", **{"match[id]": _report(GO_FAST)})
    assert [obj.get("revoked", False) for obj in dea_copy] == [False]


def test_objects_restored_after_an_order_carry_the_undertaking_that_released_them(
    taxii: Taxii,
) -> None:
    feed = _objects(taxii, "dea")
    statements = {
        obj["id"]: obj["name"] for obj in feed if obj.get("definition_type") == "statement"
    }
    (report,) = [obj for obj in feed if obj["id"] == _report(GO_FAST)]
    terms = {statements[ref] for ref in report["object_marking_refs"] if ref in statements}
    assert terms == {"Use undertaking dea-2025-11"}


def _entries_since(taxii: Taxii, start: int) -> list[dict[str, Any]]:
    analyst = {"Authorization": f"Bearer {taxii.tokens['analyst']}"}
    response = httpx.get(
        f"{taxii.server.api}/audit/entries", headers=analyst, params={"start": start}
    )
    assert response.status_code == 200, response.text
    return [json.loads(row["entry"]) for row in response.json()]


def test_a_manifest_request_does_not_deliver_a_release(taxii: Taxii) -> None:
    released = taxii.release("co-2025-0431", to="nca", purpose="analysis")
    assert released["outcome"] == "released"
    size = httpx.get(f"{taxii.server.api}/health").json()["ledger_size"]
    entries = taxii.manifest("nca", **{"match[type]": "report"}).json()["objects"]
    assert _report("co-2025-0431") in {entry["id"] for entry in entries}
    delivered = [e for e in _entries_since(taxii, size) if e["kind"] == "release.delivered"]
    assert [e["data"]["request"] for e in delivered] == []
