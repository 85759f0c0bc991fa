"""Replaying sources: what a pull logged is rebuilt from the log alone, and an entry forged
with the log's own key (a second item of one upstream version, a commitment to other content,
a source managed for another agency) is named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from garante.service.app import Garante
from garante.signatures import encode_public_key, private_key_pem, public_key_bytes
from garante.upstream.taxii import Retry
from tests.ingest.conftest import PASSWORD, add_source
from tests.replay.conftest import Log
from tests.support import peers


@pytest.fixture
def pulled_log(world: Garante, medallion: peers.Medallion, log_key_file: Path) -> Log:
    analyst = add_source(world, medallion.api_root)
    analyst.pull_source("upstream", retry=Retry(attempts=1))
    analyst.pause_source("upstream", reason="maintenance")
    return Log.of(world, log_key_file)


def messages(log: Log) -> list[str]:
    return [d.message for d in log.replayed().replay.disagreements]


def test_a_pulled_log_replays_with_its_sources_and_ingests_rebuilt(pulled_log: Log) -> None:
    replayed = pulled_log.replayed()

    assert replayed.ok, [str(d) for d in replayed.replay.disagreements]
    state = replayed.replayer.state
    assert state.sources["upstream"].paused
    assert len(state.ingests) == 5
    assert all(i.status == "item" and i.item in state.items for i in state.ingests.values())


def test_an_ingest_logged_twice_is_named(pulled_log: Log) -> None:
    (first, *_) = pulled_log.indexes("item.ingested")
    again: dict[str, Any] = pulled_log.entry(first)

    forged = pulled_log.appended(again)

    assert any("again" in m for m in messages(forged))


def test_an_ingest_committing_to_other_content_than_its_item_is_named(pulled_log: Log) -> None:
    (first, *_) = pulled_log.indexes("item.ingested")

    def other_content(entry: dict[str, Any]) -> None:
        entry["data"]["content_commitment"] = "00" * 32

    forged = pulled_log.forged(first, other_content)

    assert any("commits to content other than" in m for m in messages(forged))


def test_a_source_added_by_an_analyst_of_another_agency_is_named(pulled_log: Log) -> None:
    (added,) = pulled_log.indexes("source.added")

    def by_another(entry: dict[str, Any]) -> None:
        entry["actor"] = "analyst:dea"

    forged = pulled_log.forged(added, by_another)

    assert any("acted for dipol" in m for m in messages(forged)), messages(forged)


def test_an_entry_that_names_no_added_source_is_named(pulled_log: Log) -> None:
    (paused,) = pulled_log.indexes("source.paused")

    def elsewhere(entry: dict[str, Any]) -> None:
        entry["data"]["source"] = "never-added"

    forged = pulled_log.forged(paused, elsewhere)

    assert any("never added" in m for m in messages(forged))


def test_no_entry_of_a_pull_carries_the_upstream_credentials(pulled_log: Log) -> None:
    assert all(PASSWORD not in json.dumps(pulled_log.entry(e.index)) for e in pulled_log.entries)


# -- a Garante upstream the node acknowledges by itself --------------------------------------

SIGNING_KEY = Ed25519PrivateKey.generate()


@pytest.fixture
def acknowledging_log(world: Garante, log_key_file: Path) -> Log:
    """A Garante source added with the agency's signing key (never pulled: its entry is all
    this needs), and one added without."""
    for source_id, key in (("node-acks", SIGNING_KEY), ("node-quiet", None)):
        add_source(
            world,
            "http://127.0.0.1:9/taxii2/garante/",
            source_id=source_id,
            kind="garante",
            auth="bearer",
            secret="partner-token",
            log_key=world.log_verifier_key(),
            signing_key=private_key_pem(key).decode() if key is not None else None,
        )
    return Log.of(world, log_key_file)


def test_a_source_added_with_a_signing_key_logs_that_it_acknowledges_and_its_public_key(
    acknowledging_log: Log,
) -> None:
    acks, quiet = (
        acknowledging_log.entry(i)["data"] for i in acknowledging_log.indexes("source.added")
    )

    assert (acks["acknowledges"], acks["ack_key"]) == (
        True,
        encode_public_key(public_key_bytes(SIGNING_KEY.public_key())),
    )
    assert (quiet["acknowledges"], "ack_key" in quiet) == (False, False)
    assert acknowledging_log.replayed().ok, messages(acknowledging_log)


def test_the_signing_key_itself_is_never_logged(acknowledging_log: Log) -> None:
    pem = private_key_pem(SIGNING_KEY).decode()
    secret = pem.split("-----")[2].strip().splitlines()[0]
    assert all(
        secret not in json.dumps(acknowledging_log.entry(e.index))
        for e in acknowledging_log.entries
    )


def test_a_source_said_to_acknowledge_without_a_key_is_named(acknowledging_log: Log) -> None:
    (acks, _quiet) = acknowledging_log.indexes("source.added")

    def keyless(entry: dict[str, Any]) -> None:
        del entry["data"]["ack_key"]

    forged = acknowledging_log.forged(acks, keyless)

    assert any("names no acknowledgement key" in m for m in messages(forged)), messages(forged)


def test_an_acknowledgement_key_that_is_no_key_is_named(acknowledging_log: Log) -> None:
    (acks, _quiet) = acknowledging_log.indexes("source.added")

    def garbled(entry: dict[str, Any]) -> None:
        entry["data"]["ack_key"] = "not-a-key"

    forged = acknowledging_log.forged(acks, garbled)

    assert any("that is none" in m for m in messages(forged)), messages(forged)


def test_an_entry_of_before_the_acknowledgement_fields_replays(acknowledging_log: Log) -> None:
    (acks, _quiet) = acknowledging_log.indexes("source.added")

    def older(entry: dict[str, Any]) -> None:
        del entry["data"]["acknowledges"], entry["data"]["ack_key"]

    forged = acknowledging_log.forged(acks, older)

    assert not messages(forged)
