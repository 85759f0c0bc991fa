"""Consent to share onward, the upstream's side, over the API with the typed client: a partner
asks consent, signed, for what a release gave it; the liaison lists and answers it; a forged
request, one for another partner's release, and another partner reading or answering it are
refused; the log replays every consent entry with no disagreement. Runs on each store."""

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


@pytest.fixture(scope="module")
def delivered(demo_server: Server) -> Server:
    """The DEA reads its TAXII collection, so the release is delivered to it."""
    read = httpx.get(
        f"{demo_server.url}/taxii2/api/collections/{collection_id('dea')}/objects/",
        headers={"Authorization": f"Bearer {demo_server.token('partner', agency='dea')}"},
        timeout=30,
    )
    assert read.status_code == 200, read.text
    return demo_server


def _partner(server: Server, agency: str) -> GaranteClient:
    return GaranteClient(server.url, server.token("partner", agency=agency))


def _liaison(server: Server) -> GaranteClient:
    return GaranteClient(server.url, server.token("liaison", agency="cti"))


def _ask(server: Server, consent_id: str, *, recipient: str = "met-police") -> str:
    with _partner(server, "dea") as dea:
        done = dea.request_consent(
            RELEASE,
            agency="dea",
            recipient=recipient,
            country="GB",
            purpose="analysis",
            key=demo_key("dea"),
            consent_id=consent_id,
            requested_at=AT,
        )
    assert done.new and done.consent.status == "pending"
    return done.consent.id


def test_a_consent_request_is_listed_pending_for_the_liaison(delivered: Server) -> None:
    asked = _ask(delivered, "consent--listed")
    with _liaison(delivered) as liaison:
        pending = {c.id: c for c in liaison.list_consents(status="pending")}
    assert pending[asked].recipient == "met-police"
    assert (pending[asked].agency, pending[asked].release) == ("dea", RELEASE)


def test_the_same_consent_request_twice_is_recorded_once(delivered: Server) -> None:
    asked = _ask(delivered, "consent--twice")
    with _partner(delivered, "dea") as dea:
        again = dea.request_consent(
            RELEASE,
            agency="dea",
            recipient="met-police",
            country="GB",
            purpose="analysis",
            key=demo_key("dea"),
            consent_id=asked,
            requested_at=AT,
        )
    assert not again.new


def test_a_granted_consent_is_read_by_its_partner(delivered: Server) -> None:
    asked = _ask(delivered, "consent--granted")
    with _liaison(delivered) as liaison:
        liaison.grant_consent(asked, reason="the originator agrees")
    with _partner(delivered, "dea") as dea:
        answer = dea.get_consent(asked)
    assert (answer.status, answer.reason) == ("granted", "the originator agrees")


def test_a_consent_answered_cannot_be_answered_again(delivered: Server) -> None:
    asked = _ask(delivered, "consent--answered")
    with _liaison(delivered) as liaison:
        liaison.refuse_consent(asked, reason="not with that recipient")
        with pytest.raises(GaranteAPIError) as refused:
            liaison.grant_consent(asked, reason="changed my mind")
    assert (refused.value.status, refused.value.code) == (409, "consent.already_answered")


def test_a_consent_request_signed_by_another_key_is_refused(delivered: Server) -> None:
    with _partner(delivered, "dea") as dea, pytest.raises(GaranteAPIError) as refused:
        dea.request_consent(
            RELEASE,
            agency="dea",
            recipient="met-police",
            country="GB",
            purpose="analysis",
            key=demo_key("nca"),
            requested_at=AT,
        )
    assert (refused.value.status, refused.value.code) == (422, "signature.invalid")


def test_consent_for_another_partners_release_is_not_found(delivered: Server) -> None:
    with _partner(delivered, "nca") as nca, pytest.raises(GaranteAPIError) as refused:
        nca.request_consent(
            RELEASE,
            agency="nca",
            recipient="met-police",
            country="GB",
            purpose="analysis",
            key=demo_key("nca"),
            requested_at=AT,
        )
    assert (refused.value.status, refused.value.code) == (404, "consent.release_not_found")
    assert "dea" not in refused.value.message


def test_a_partner_neither_sees_nor_answers_anothers_consent_request(delivered: Server) -> None:
    asked = _ask(delivered, "consent--private")
    with _partner(delivered, "nca") as nca:
        assert asked not in [c.id for c in nca.list_consents()]
        with pytest.raises(GaranteAPIError) as hidden:
            nca.get_consent(asked)
        assert (hidden.value.status, hidden.value.code) == (404, "consent.not_found")
        with pytest.raises(GaranteAPIError) as forbidden:
            nca.grant_consent(asked, reason="mine now")
        assert forbidden.value.status == 403


def test_the_log_replays_every_consent_entry(delivered: Server, tmp_path: Path) -> None:
    asked = _ask(delivered, "consent--replayed")
    with _liaison(delivered) as liaison:
        liaison.grant_consent(asked, reason="for the replay")
    key = tmp_path / "log.vkey"
    key.write_text(delivered.cli("audit", "key").stdout)
    deadline = time.monotonic() + 30
    while True:  # until the server has signed a checkpoint over every entry
        size = httpx.get(f"{delivered.url}/api/v1/health", timeout=10).json()["ledger_size"]
        checkpoint = httpx.get(f"{delivered.url}/api/v1/audit/checkpoint", timeout=10).json()
        if checkpoint["size"] == size:
            break
        assert time.monotonic() < deadline, "no checkpoint over the whole log"
        time.sleep(0.2)
    exported = delivered.cli("--json", "audit", "export", str(tmp_path / "export"))
    assert exported.returncode == 0, exported.stderr
    kinds = {
        json.loads(json.loads(line)["entry"])["kind"]
        for line in (tmp_path / "export" / "entries.jsonl").read_text().splitlines()
    }
    assert {"consent.requested", "consent.granted"} <= kinds
    replay = delivered.cli(
        "audit", "replay", "--export", str(tmp_path / "export"), "--log-key", f"@{key}"
    )
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert replay.stdout.splitlines()[-1].endswith("0 disagreements.")
