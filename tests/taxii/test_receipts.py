"""Receipts: a partner proves what it received, with the log's public key and its own token.

The partner fetches its objects over TAXII with the OASIS client (taxii2client), as it would,
and checks them against their receipts (``/api/v1/receipts/{index}``) with the typed client and
with ``garante verify-delivery``; a copy, entry, proof or key that is not the one given fails,
saying what. A partner gets no receipt of another's release: that 404 is the one an absent
entry gets. On SQLite and PostgreSQL (the ``taxii`` fixture's store).
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from taxii2client.v21 import Collection
from taxii2client.v21 import Server as TaxiiServer

from garante import records
from garante.client import GaranteClient
from garante.ledger import delivery
from garante.ledger.note import Signer, VerifierKey
from garante.stix import markings
from tests.taxii.client import Taxii

PARTNER = "nca"
OTHER = "dea"


@pytest.fixture(scope="module")
def collection(taxii: Taxii) -> Collection:
    with TaxiiServer(taxii.discovery, user=PARTNER, password=taxii.tokens[PARTNER]) as server:
        found: Collection = server.api_roots[0].collections[0]
        return found


@pytest.fixture(scope="module")
def envelope(collection: Collection) -> dict[str, Any]:
    """What the partner's feed served it, through the stock TAXII client."""
    served: dict[str, Any] = collection.get_objects()
    return served


@pytest.fixture(scope="module")
def log_key(taxii: Taxii) -> str:
    """The log's public key (the partner should also get it out of band)."""
    response = httpx.get(f"{taxii.server.api}/audit/key", timeout=30)
    assert response.status_code == 200, response.text
    key: str = response.json()["log_key"]
    return key


@pytest.fixture(scope="module")
def client(taxii: Taxii) -> Iterator[GaranteClient]:
    with GaranteClient(taxii.server.url, taxii.tokens[PARTNER]) as partner:
        yield partner


def _traced(envelope: dict[str, Any]) -> dict[str, Any]:
    """One object of the envelope that names its release's entry."""
    found: list[dict[str, Any]] = [
        o for o in envelope["objects"] if markings.entry_of(o) is not None
    ]
    assert found, "no delivered object names its log entry"
    return found[0]


def _receipt(client: GaranteClient, index: int) -> delivery.ServedReceipt:
    served = client.receipt(index)
    return delivery.ServedReceipt(
        index=served.index,
        size=served.size,
        entry=served.entry,
        proof=tuple(base64.b64decode(h) for h in served.proof),
        checkpoint=served.checkpoint,
    )


def _receipt_as(taxii: Taxii, who: str, index: int) -> httpx.Response:
    return httpx.get(
        f"{taxii.server.api}/receipts/{index}",
        headers={"Authorization": f"Bearer {taxii.tokens[who]}"},
        timeout=30,
    )


# -- what the partner received verifies --------------------------------------------------------


def test_every_object_a_partner_fetched_over_taxii_verifies_with_the_log_key(
    client: GaranteClient, envelope: dict[str, Any], log_key: str
) -> None:
    checks = client.verify_delivery(envelope, log_key)
    assert checks and all(c.verified for c in checks), [c for c in checks if not c.verified]
    assert all(isinstance(c, records.DeliveryCheck) for c in checks)


def test_verify_delivery_prints_each_object_verified_and_exits_0(
    taxii: Taxii, envelope: dict[str, Any], log_key: str, tmp_path: Path
) -> None:
    path = tmp_path / "delivered.json"
    path.write_text(json.dumps(envelope))
    result = taxii.server.cli(
        "verify-delivery", str(path), "--server", taxii.server.url, "--log-key", log_key,
        "--token", taxii.tokens[PARTNER],
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "verified" in result.stdout and "FAILED" not in result.stdout


def test_a_changed_copy_fails_the_command_with_exit_13_saying_what_changed(
    taxii: Taxii, envelope: dict[str, Any], log_key: str, tmp_path: Path
) -> None:
    changed = copy.deepcopy(_traced(envelope))
    changed["name"] = "Something else entirely"
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(changed))
    result = taxii.server.cli(
        "verify-delivery", str(path), "--server", taxii.server.url, "--log-key", log_key,
        "--token", taxii.tokens[PARTNER],
    )  # fmt: skip
    assert result.returncode == 13, result.stderr
    assert "delivery.not_verified" in result.stderr
    assert "content differs from what entry" in result.stderr


# -- what fails, and says so ------------------------------------------------------------------


def test_a_changed_object_fails_its_content_check(
    client: GaranteClient, envelope: dict[str, Any], log_key: str
) -> None:
    changed = copy.deepcopy(_traced(envelope))
    changed["name"] = "Something else entirely"
    [check] = client.verify_delivery(changed, log_key)
    assert not check.verified
    assert check.problem is not None and "content differs" in check.problem


def test_a_copy_under_another_trace_token_fails(
    client: GaranteClient, envelope: dict[str, Any], log_key: str
) -> None:
    obj = _traced(envelope)
    [check] = client.verify_delivery(obj, log_key, trace="f" * 32)
    assert not check.verified
    assert check.problem is not None and "not " + "f" * 32 in check.problem


def test_an_altered_entry_is_not_proven_in_the_signed_tree(
    client: GaranteClient, envelope: dict[str, Any], log_key: str
) -> None:
    obj = _traced(envelope)
    receipt = _receipt(client, markings.entry_of(obj).index)  # type: ignore[union-attr]
    altered = receipt.entry.replace('"partner":"nca"', '"partner":"dea"')
    assert altered != receipt.entry
    check = delivery.verify(
        obj,
        delivery.ServedReceipt(**{**receipt.__dict__, "entry": altered}),
        VerifierKey.parse(log_key),
    )
    assert not check.verified
    assert check.problem is not None and "is not proven in the signed tree" in check.problem


def test_an_altered_proof_is_not_proven_in_the_signed_tree(
    client: GaranteClient, envelope: dict[str, Any], log_key: str
) -> None:
    obj = _traced(envelope)
    receipt = _receipt(client, markings.entry_of(obj).index)  # type: ignore[union-attr]
    assert receipt.proof
    proof = (bytes(32), *receipt.proof[1:])
    check = delivery.verify(
        obj,
        delivery.ServedReceipt(**{**receipt.__dict__, "proof": proof}),
        VerifierKey.parse(log_key),
    )
    assert not check.verified
    assert check.problem is not None and "is not proven in the signed tree" in check.problem


def test_another_key_does_not_verify_the_checkpoint(
    client: GaranteClient, envelope: dict[str, Any], log_key: str
) -> None:
    name = VerifierKey.parse(log_key).name
    impostor = Signer.generate(name).verifier_key().to_text()
    [check] = client.verify_delivery(_traced(envelope), impostor)
    assert not check.verified
    assert check.problem is not None and "is not signed by log key" in check.problem


def test_an_object_delivered_before_receipts_says_it_names_no_entry(
    client: GaranteClient, envelope: dict[str, Any], log_key: str
) -> None:
    old = copy.deepcopy(_traced(envelope))
    trace = old["extensions"][markings.TRACE_EXTENSION_ID]
    del trace[markings.LOG_INDEX], trace[markings.LOG_ORIGIN]
    [check] = client.verify_delivery(old, log_key)
    assert not check.verified and check.index is None
    assert check.problem is not None and "delivered before receipts existed" in check.problem


# -- nothing of others ------------------------------------------------------------------------


def test_another_partners_receipt_is_the_404_of_an_absent_one(taxii: Taxii) -> None:
    theirs = _traced(taxii.objects(OTHER).json())
    index = markings.entry_of(theirs).index  # type: ignore[union-attr]
    assert _receipt_as(taxii, OTHER, index).status_code == 200
    refused = _receipt_as(taxii, PARTNER, index)
    absent = _receipt_as(taxii, PARTNER, 10**9)
    assert refused.status_code == absent.status_code == 404
    assert refused.json() == absent.json()


def test_an_entry_that_releases_nothing_has_no_receipt_for_a_partner(taxii: Taxii) -> None:
    refused = _receipt_as(taxii, PARTNER, 0)  # the log's first entry: no release
    assert refused.status_code == 404
    assert refused.json() == _receipt_as(taxii, PARTNER, 10**9).json()


def test_an_analyst_may_fetch_any_entrys_receipt(taxii: Taxii) -> None:
    response = _receipt_as(taxii, "analyst", 0)
    assert response.status_code == 200, response.text
    assert response.json()["index"] == 0
