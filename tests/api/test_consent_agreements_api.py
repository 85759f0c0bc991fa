"""Onward consent given in advance by an agreement (issue 21): a partner's consent request that
an agreement in force for it covers (recipient or its country in ``onward_to``, the purpose in
``onward_purposes``, the released item in its scope) is granted at once, citing the agreement;
one it does not cover waits for a liaison; the log replays the grant with no disagreement.
Runs on each store."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from garante.client import GaranteAPIError, GaranteClient
from garante.scenarios.keys import demo_key
from garante.taxii.app import collection_id
from tests.support.servers import Server

RELEASE = 7  # the demo's release of DIJIN's co-2025-0422 to the DEA
AT = "2025-11-13T22:00:00Z"  # before the demo store's pinned clock
AGREEMENT = "dea-onward"


@pytest.fixture(scope="module")
def consenting(demo_server: Server) -> Server:
    """The DEA has read its release, and holds an agreement consenting in advance to sharing
    onward with the NCA or anyone in Germany, for seizure."""
    read = httpx.get(
        f"{demo_server.url}/taxii2/api/collections/{collection_id('dea')}/objects/",
        headers={"Authorization": f"Bearer {demo_server.token('partner', agency='dea')}"},
        timeout=30,
    )
    assert read.status_code == 200, read.text
    with _liaison(demo_server) as liaison:
        made = liaison.make_agreement(
            "dea",
            purposes=["seizure"],
            tlp_ceiling="red",
            agreement_id=AGREEMENT,
            onward_to=["nca", "de"],
            onward_purposes=["seizure"],
        )
    assert made.agreement.onward_to == ("de", "nca")
    assert made.agreement.onward_purposes == ("seizure",)
    return demo_server


def _liaison(server: Server) -> GaranteClient:
    return GaranteClient(server.url, server.token("liaison", agency="cti"))


def _ask(
    server: Server, consent_id: str, *, recipient: str, country: str, purpose: str = "seizure"
) -> tuple[str, str | None]:
    """Ask consent as the DEA; the status and reason it comes back with."""
    with GaranteClient(server.url, server.token("partner", agency="dea")) as dea:
        done = dea.request_consent(
            RELEASE,
            agency="dea",
            recipient=recipient,
            country=country,
            purpose=purpose,
            key=demo_key("dea"),
            consent_id=consent_id,
            requested_at=AT,
        )
    return done.consent.status, done.consent.reason


def test_a_request_the_agreement_names_the_recipient_of_is_granted_at_once(
    consenting: Server,
) -> None:
    status, reason = _ask(consenting, "onward--nca", recipient="nca", country="GB")
    assert status == "granted"
    assert reason is not None and f"agreement {AGREEMENT}" in reason


def test_a_request_to_a_country_the_agreement_names_is_granted_at_once(consenting: Server) -> None:
    status, _ = _ask(consenting, "onward--bka", recipient="bka", country="DE")
    assert status == "granted"


def test_a_recipient_the_agreement_does_not_name_waits_for_a_liaison(consenting: Server) -> None:
    status, _ = _ask(consenting, "onward--met", recipient="met-police", country="GB")
    assert status == "pending"


def test_a_purpose_the_agreement_does_not_name_waits_for_a_liaison(consenting: Server) -> None:
    status, _ = _ask(
        consenting, "onward--analysis", recipient="nca", country="GB", purpose="arrest"
    )
    assert status == "pending"


def test_onward_recipients_without_purposes_are_refused(consenting: Server) -> None:
    with _liaison(consenting) as liaison, pytest.raises(GaranteAPIError) as refused:
        liaison.make_agreement("dea", purposes=["seizure"], tlp_ceiling="red", onward_to=["nca"])
    assert (refused.value.status, refused.value.code) == (422, "validation.invalid")
    assert "onward" in refused.value.message


def test_a_grant_by_agreement_replays_with_no_disagreement(
    consenting: Server, tmp_path: Path
) -> None:
    _ask(consenting, "onward--replayed", recipient="nca", country="GB")
    key = tmp_path / "log.vkey"
    key.write_text(consenting.cli("audit", "key").stdout)
    deadline = time.monotonic() + 30
    while True:  # until the server has signed a checkpoint over every entry
        size = httpx.get(f"{consenting.url}/api/v1/health", timeout=10).json()["ledger_size"]
        checkpoint = httpx.get(f"{consenting.url}/api/v1/audit/checkpoint", timeout=10).json()
        if checkpoint["size"] == size:
            break
        assert time.monotonic() < deadline, "no checkpoint over the whole log"
        time.sleep(0.2)
    exported = consenting.cli("--json", "audit", "export", str(tmp_path / "export"))
    assert exported.returncode == 0, exported.stderr
    rules = [
        entry["data"].get("rule")
        for line in (tmp_path / "export" / "entries.jsonl").read_text().splitlines()
        if (entry := json.loads(json.loads(line)["entry"]))["kind"] == "consent.granted"
    ]
    assert f"agreement:{AGREEMENT}" in rules
    replay = consenting.cli(
        "audit", "replay", "--export", str(tmp_path / "export"), "--log-key", f"@{key}"
    )
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert replay.stdout.splitlines()[-1].endswith("0 disagreements.")
