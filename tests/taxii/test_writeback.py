"""Partners write back through their write collection: the stock OASIS client
(taxii2client.v21) posts signed acknowledgements and outcome reports as STIX notes carrying
Garante's write-back extension, and reads each write's status back.

The partner is the NCA, whose demo key is registered; the DEA, the other partner with a key,
plays the one whose key signs what it should not.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from taxii2client.v21 import Collection, Status

from garante.canonical import Json
from garante.domain.consent import ConsentRequest
from garante.domain.outcome import OutcomeReport
from garante.scenarios.keys import demo_key
from garante.signatures import encode_signature, sign_statement
from garante.stix import writeback
from garante.taxii.app import MAX_WRITE_OBJECTS, collection_id, write_collection_id
from garante.taxii.media import TAXII_JSON
from tests.support.scenario import scenario_bundle
from tests.taxii.client import Taxii

PARTNER = "nca"
OTHER = "dea"
CONTAINER = "co-2025-0452"  # released to the NCA in the demo
CONTAINER_REPORT = scenario_bundle(CONTAINER)["objects"][0]["id"]
AT = datetime(2025, 11, 13, 22, 0, tzinfo=UTC)  # before the demo store's pinned clock


def _write_collection(taxii: Taxii, agency: str = PARTNER) -> Collection:
    url = f"{taxii.api_root}collections/{write_collection_id(agency)}/"
    return Collection(url, user=agency, password=taxii.tokens[agency])


def _ack_note(
    release: int, of: str = "delivery", *, key: Ed25519PrivateKey | None = None,
    agency: str = PARTNER, tamper: dict[str, Json] | None = None,
) -> dict[str, Any]:  # fmt: skip
    note = writeback.note_id()
    statement = writeback.acknowledgement_statement(
        note=note, of=of, release=release, agency=agency, at=AT
    )
    signature = sign_statement(key or demo_key(agency), statement)
    return writeback.note(
        statement={**statement, **(tamper or {})},
        signature=encode_signature(signature),
        object_refs=[CONTAINER_REPORT],
        created=AT,
    )


def _outcome_note(release: int, kind: str = "seizure") -> dict[str, Any]:
    report = OutcomeReport(
        request_id=release, agency_id=PARTNER, kind=kind, occurred_at=AT, quantities={"kg": 900}
    )
    statement = report.statement()
    signature = sign_statement(demo_key(PARTNER), statement)
    return writeback.note(
        statement=statement,
        signature=encode_signature(signature),
        object_refs=[CONTAINER_REPORT],
        created=AT,
    )


def _envelope(*objects: dict[str, Any]) -> dict[str, Any]:
    return {"objects": list(objects)}


def _ledger_size(taxii: Taxii) -> int:
    size: int = httpx.get(f"{taxii.server.api}/health", timeout=10).json()["ledger_size"]
    return size


@pytest.fixture(scope="module")
def release(taxii: Taxii) -> int:
    """The container release to the NCA, delivered by reading it from the read collection."""
    read = Collection(
        f"{taxii.api_root}collections/{collection_id(PARTNER)}/",
        user=PARTNER,
        password=taxii.tokens[PARTNER],
    )
    assert read.get_object(CONTAINER_REPORT)["objects"]
    return int(taxii.request_id(PARTNER, CONTAINER))


@pytest.fixture(scope="module")
def written(taxii: Taxii, release: int) -> Iterator[Status]:
    """The stock client writes a delivery acknowledgement and an outcome report."""
    status: Status = _write_collection(taxii).add_objects(
        _envelope(_ack_note(release), _outcome_note(release))
    )
    yield status


def test_the_write_collection_is_writable_not_readable(taxii: Taxii) -> None:
    collection = _write_collection(taxii)
    assert (collection.can_read, collection.can_write) == (False, True)
    assert "write" in collection.title.lower()
    refused = taxii.get(collection.url + "objects/", PARTNER)
    assert refused.status_code == 403
    assert refused.json()["error_code"] == "taxii.not_readable"


def test_the_stock_client_writes_an_acknowledgement_and_an_outcome(
    taxii: Taxii, written: Status
) -> None:
    assert written.status == "complete"
    assert (written.total_count, written.success_count, written.failure_count) == (2, 2, 0)
    assert written.pending_count == 0
    messages = [s["message"] for s in written.successes]
    assert "recorded the acknowledgement of delivery" in messages[0]
    assert "recorded outcome" in messages[1] and "(seizure)" in messages[1]


def test_the_stock_client_reads_the_status_back(written: Status) -> None:
    again = Status(written.url, conn=written._conn)
    assert (again.id, again.status, again.success_count) == (written.id, "complete", 2)
    assert [s["id"] for s in again.successes] == [s["id"] for s in written.successes]


def test_the_write_is_logged_as_typed_events(taxii: Taxii, written: Status) -> None:
    outcomes = httpx.get(
        f"{taxii.server.api}/outcomes",
        headers={"Authorization": f"Bearer {taxii.tokens[PARTNER]}"},
        timeout=10,
    ).json()["items"]
    assert any(o["signed"] and o["kind"] == "seizure" for o in outcomes)
    acks = httpx.get(
        f"{taxii.server.api}/acknowledgements",
        headers={"Authorization": f"Bearer {taxii.tokens[PARTNER]}"},
        timeout=10,
    ).json()
    assert [a["id"] for a in acks] == [written.successes[0]["id"]]


def test_the_same_objects_written_again_are_accepted_once(
    taxii: Taxii, release: int, written: Status
) -> None:
    before = _ledger_size(taxii)
    ack = _ack_note(release)
    again = _write_collection(taxii).add_objects(_envelope(ack, ack))
    assert (again.success_count, again.failure_count) == (2, 0)
    assert all("already recorded" in s["message"] for s in again.successes)
    assert _ledger_size(taxii) == before


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param({"key": demo_key(OTHER)}, id="signed-with-another-partners-key"),
        pytest.param({"tamper": {"of": "recall"}}, id="field-changed-after-signing"),
        pytest.param({"tamper": {"release": 1}}, id="release-changed-after-signing"),
    ],
)
def test_a_forged_acknowledgement_is_a_failure_and_nothing_is_logged(
    taxii: Taxii, release: int, forged: dict[str, Any]
) -> None:
    before = _ledger_size(taxii)
    status = _write_collection(taxii).add_objects(_envelope(_ack_note(release, **forged)))
    assert (status.success_count, status.failure_count) == (0, 1)
    [failure] = status.failures
    assert failure["message"].startswith("signature.invalid:")
    assert "registered key" in failure["message"]
    assert _ledger_size(taxii) == before


def test_another_partners_release_fails_as_one_that_does_not_exist(taxii: Taxii) -> None:
    theirs = int(taxii.released(OTHER)[0]["id"])
    status = _write_collection(taxii).add_objects(_envelope(_ack_note(theirs), _ack_note(10**6)))
    assert status.failure_count == 2
    first, second = (f["message"] for f in status.failures)
    assert first.startswith("acknowledgement.release_not_found:")
    assert first.replace(str(theirs), "N") == second.replace(str(10**6), "N")
    assert OTHER not in first


def test_a_malformed_object_is_a_failure_that_says_what_to_do(taxii: Taxii, release: int) -> None:
    note = _ack_note(release)
    del note["object_refs"]
    status = _write_collection(taxii).add_objects(_envelope(note, {"type": "indicator"}))
    assert status.failure_count == 2
    missing, indicator = (f["message"] for f in status.failures)
    assert "object_refs" in missing
    assert writeback.WRITEBACK_EXTENSION_ID in indicator


def test_a_consent_request_written_as_a_note_is_recorded_for_the_liaison(
    taxii: Taxii, release: int
) -> None:
    consent = ConsentRequest(
        id=writeback.note_id(), agency_id=PARTNER, release=release, recipient="onward-agency",
        country="GB", purpose="analysis", requested_at=AT,
    )  # fmt: skip
    statement = consent.statement()
    note = writeback.note(
        statement=statement,
        signature=encode_signature(sign_statement(demo_key(PARTNER), statement)),
        object_refs=[CONTAINER_REPORT],
        created=AT,
    )
    status = _write_collection(taxii).add_objects(_envelope(note))
    assert status.success_count == 1, status.failures
    assert f"consent request {consent.id}" in status.successes[0]["message"]
    listed = httpx.get(
        f"{taxii.server.api}/consents",
        headers={"Authorization": f"Bearer {taxii.tokens[PARTNER]}"},
        timeout=10,
    ).json()
    assert [c["id"] for c in listed] == [consent.id]


def test_a_status_is_not_found_by_another_partner(taxii: Taxii, written: Status) -> None:
    url = f"{taxii.api_root}status/{written.id}/"
    assert taxii.get(url, PARTNER).status_code == 200
    theirs = taxii.get(url, OTHER)
    assert theirs.status_code == 404
    assert theirs.json()["error_code"] == "taxii.status_not_found"


def test_the_read_collection_takes_no_writes(taxii: Taxii, release: int) -> None:
    response = httpx.post(
        taxii.collection(PARTNER) + "objects/",
        headers={**taxii.headers(PARTNER), "Content-Type": TAXII_JSON},
        content=json.dumps(_envelope(_ack_note(release))),
        timeout=10,
    )
    assert response.status_code == 403
    assert response.json()["error_code"] == "taxii.not_writable"


@pytest.mark.parametrize(
    ("content_type", "body", "status", "code"),
    [
        ("application/json", b'{"objects":[]}', 415, "taxii.unsupported_media_type"),
        (TAXII_JSON, b"not json", 400, "taxii.bad_envelope"),
        (TAXII_JSON, b'{"objects":[]}', 400, "taxii.bad_envelope"),
        (
            TAXII_JSON,
            json.dumps({"objects": [{}] * (MAX_WRITE_OBJECTS + 1)}).encode(),
            413,
            "taxii.too_many_objects",
        ),
        (TAXII_JSON, b" " * (2 * 1024 * 1024), 413, "taxii.too_large"),
    ],
    ids=["media-type", "not-json", "empty", "too-many", "too-large"],
)
def test_a_bad_write_is_refused_with_a_taxii_error(
    taxii: Taxii, content_type: str, body: bytes, status: int, code: str
) -> None:
    response = httpx.post(
        f"{taxii.api_root}collections/{write_collection_id(PARTNER)}/objects/",
        headers={**taxii.headers(PARTNER), "Content-Type": content_type},
        content=body,
        timeout=10,
    )
    assert response.status_code == status, response.text
    assert response.json()["error_code"] == code


def test_a_recall_stays_unacknowledged_until_the_partner_acknowledges_it(taxii: Taxii) -> None:
    release = int(taxii.request_id(PARTNER, "co-2025-0417"))
    assert taxii.objects(PARTNER).status_code == 200  # delivered: a recall the partner must apply
    taxii.cli("releases", "recall", str(release), "--reason", "source compromised")
    api = f"{taxii.server.api}/recalls/unacknowledged"
    operator = {"Authorization": f"Bearer {taxii.tokens['analyst']}"}
    listed = httpx.get(api, headers=operator, timeout=10).json()
    assert release in [r["release"] for r in listed]
    status = _write_collection(taxii).add_objects(_envelope(_ack_note(release, "recall")))
    assert status.success_count == 1, status.failures
    listed = httpx.get(api, headers=operator, timeout=10).json()
    assert release not in [r["release"] for r in listed]


def test_the_log_replays_every_write_and_the_store_matches_it(
    taxii: Taxii, written: Status, tmp_path: Path
) -> None:
    server = taxii.server
    key = tmp_path / "log.vkey"
    key.write_text(taxii.cli("audit", "key").stdout)
    deadline = time.monotonic() + 30
    while True:  # until the server has signed a checkpoint over every entry
        size = _ledger_size(taxii)
        checkpoint = httpx.get(f"{server.api}/audit/checkpoint", timeout=10).json()
        if checkpoint["size"] == size:
            break
        assert time.monotonic() < deadline, "no checkpoint over the whole log"
        time.sleep(0.2)
    taxii.cli("--json", "audit", "export", str(tmp_path / "export"))
    kinds = {
        json.loads(json.loads(line)["entry"])["kind"]
        for line in (tmp_path / "export" / "entries.jsonl").read_text().splitlines()
    }
    assert {"release.acknowledged", "outcome.reported"} <= kinds
    replay = server.cli(
        "audit", "replay", "--export", str(tmp_path / "export"), "--log-key", f"@{key}"
    )
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert replay.stdout.splitlines()[-1].endswith("0 disagreements.")
    check = server.cli("db", "check", "--log-key", f"@{key}")
    assert check.returncode == 0, check.stdout + check.stderr
