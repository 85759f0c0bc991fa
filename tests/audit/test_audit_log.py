"""The audit log as the store keeps it: signed checkpoints, proofs, receipts, tamper evidence."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from garante.domain.errors import InvalidKey
from garante.ledger.checkpoint import open_checkpoint
from garante.ledger.errors import LedgerError
from garante.ledger.merkle import leaf_hash
from garante.ledger.note import Signer, VerifierKey
from garante.ledger.verify import verify_consistency, verify_inclusion
from garante.scenarios import runner
from garante.service.app import Garante
from garante.service.clock import FixedClock


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Garante]:
    """The November 2025 scenario: a real log of a few dozen entries, with checkpoints."""
    path = tmp_path_factory.mktemp("log") / "garante.db"
    clock = FixedClock(datetime(2025, 1, 1, tzinfo=UTC))
    garante = Garante.open(f"sqlite:///{path}", clock=clock)
    garante.checkpoint_every = 16
    runner.replay(garante, clock)
    yield garante
    garante.close()


def _key(garante: Garante) -> VerifierKey:
    return VerifierKey.parse(garante.log_verifier_key())


def test_a_new_store_gets_its_log_key_file_readable_by_its_owner_only(
    garante: Garante, log_key_file: Path
) -> None:
    assert log_key_file.stat().st_mode & 0o777 == 0o600
    assert log_key_file.read_text().startswith("PRIVATE+KEY+")


def test_the_store_keeps_only_the_public_verifier_key(garante: Garante, log_key_file: Path) -> None:
    private = log_key_file.read_text().strip()
    with garante.engine.connect() as connection:
        stored = connection.execute(text("SELECT value FROM settings")).scalars().all()
    assert all("PRIVATE" not in str(value) for value in stored)
    # The seed is base64 and may itself hold "+", so split only the three prefix fields off.
    seed = private.split("+", 4)[4]
    assert seed not in str(stored)


def test_a_different_log_key_for_the_same_store_is_refused(
    db_url: str, garante: Garante, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GARANTE_LOG_KEY", Signer.generate("impostor").to_private_key_string())
    with pytest.raises(InvalidKey, match="not the key this store's log was signed with"):
        Garante.open(db_url)


def test_checkpoints_are_published_after_each_batch_of_appends(log: Garante) -> None:
    sizes = [c.size for c in log.checkpoints()]
    assert sizes[0] >= 16
    assert all(later - earlier >= 16 for earlier, later in itertools.pairwise(sizes[:-1]))
    assert sizes[-1] == log.ledger_size()


def test_every_checkpoint_is_a_c2sp_signed_note_that_verifies(log: Garante) -> None:
    for published in log.checkpoints():
        checkpoint, names = open_checkpoint(published.note, [_key(log)])
        assert checkpoint.size == published.size
        assert names == (_key(log).name,)


def test_every_entry_has_an_inclusion_proof_against_the_latest_checkpoint(log: Garante) -> None:
    latest = log.latest_checkpoint()
    assert latest is not None
    for index in range(latest.size):
        proof = log.inclusion_proof(index, latest.size)
        verify_inclusion(proof.leaf_hash, index, latest.size, proof.proof, latest.root_hash)


def test_each_checkpoint_is_consistent_with_the_next(log: Garante) -> None:
    published = log.checkpoints()
    for old, new in itertools.pairwise(published):
        proof = log.consistency_proof(old.size, new.size).proof
        verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_proof_served_from_the_store_verifies(log: Garante, data: st.DataObject) -> None:
    size = log.ledger_size()
    new = data.draw(st.integers(1, size))
    old = data.draw(st.integers(1, new))
    index = data.draw(st.integers(0, new - 1))
    new_root = log.inclusion_proof(0, new)  # any proof carries the size; roots via checkpoints
    roots = {c.size: c.root_hash for c in log.checkpoints()}
    proof = log.inclusion_proof(index, new)
    if new in roots:
        verify_inclusion(proof.leaf_hash, index, new, proof.proof, roots[new])
    if old in roots and new in roots:
        verify_consistency(old, new, roots[old], roots[new], log.consistency_proof(old, new).proof)
    assert new_root.size == new


def test_a_receipt_carries_a_checkpoint_covering_the_entry_and_its_proof(
    garante: Garante,
) -> None:
    garante.register_agency("dipol", name="DIPOL", country="CO", domestic=True)
    receipt = garante.receipt(0)
    checkpoint, _ = open_checkpoint(receipt.checkpoint, [_key(garante)])
    assert checkpoint.size >= 1
    verify_inclusion(receipt.leaf_hash, 0, checkpoint.size, receipt.proof, checkpoint.root_hash)


def test_the_untouched_log_verifies(log: Garante) -> None:
    report = log.verify_log()
    assert report.ok, report.findings
    assert report.latest_verified_size == log.ledger_size()


# -- tampering -----------------------------------------------------------------------------------


@pytest.fixture
def tampered(tmp_path: Path) -> Iterator[Garante]:
    clock = FixedClock(datetime(2025, 1, 1, tzinfo=UTC))
    garante = Garante.open(f"sqlite:///{tmp_path / 'tampered.db'}", clock=clock)
    garante.checkpoint_every = 8
    runner.replay(garante, clock)
    yield garante
    garante.close()


def _sql(garante: Garante, statement: str, **params: object) -> None:
    with garante.engine.begin() as connection:
        connection.execute(text(statement), params)


def test_a_changed_entry_is_found_at_its_index(tampered: Garante) -> None:
    _sql(
        tampered,
        "UPDATE ledger_entries SET entry = :e WHERE idx = 20",
        e=b'{"data":{},"kind":"order.lifted","v":1}',
    )
    report = tampered.verify_log()
    assert not report.ok
    assert report.first_bad_index == 20


def test_a_deleted_entry_is_found_at_its_index(tampered: Garante) -> None:
    _sql(tampered, "DELETE FROM ledger_entries WHERE idx = 12")
    report = tampered.verify_log()
    assert report.first_bad_index == 12
    assert any("missing" in f.message for f in report.findings)


def test_a_deleted_tail_is_found_against_the_signed_size(tampered: Garante) -> None:
    size = tampered.ledger_size()
    _sql(tampered, "DELETE FROM ledger_entries WHERE idx >= :n", n=size - 3)
    report = tampered.verify_log()
    assert not report.ok
    assert report.first_bad_index == size - 3


def test_reordered_entries_are_found_at_the_first_swapped_index(tampered: Garante) -> None:
    _sql(tampered, "UPDATE ledger_entries SET idx = -1 WHERE idx = 30")
    _sql(tampered, "UPDATE ledger_entries SET idx = 30 WHERE idx = 31")
    _sql(tampered, "UPDATE ledger_entries SET idx = 31 WHERE idx = -1")
    report = tampered.verify_log()
    assert report.first_bad_index == 30


def test_an_inserted_entry_is_found_at_its_index(tampered: Garante) -> None:
    size = tampered.ledger_size()
    for index in range(size - 1, 9, -1):
        _sql(
            tampered,
            "UPDATE ledger_entries SET idx = :new WHERE idx = :old",
            new=index + 1,
            old=index,
        )
    forged = b'{"actor":"x","at":"2025-11-11T21:00:00Z","data":{},"kind":"order.lifted","v":1}'
    _sql(
        tampered,
        "INSERT INTO ledger_entries (idx, kind, entry, leaf_hash, created_at) "
        "VALUES (10, 'order.lifted', :e, :h, '2025-11-11 21:00:00')",
        e=forged,
        h=leaf_hash(forged),
    )
    report = tampered.verify_log()
    assert report.first_bad_index == 10


def test_a_rewrite_that_recomputes_every_stored_hash_still_fails_the_signed_checkpoints(
    tampered: Garante,
) -> None:
    forged = b'{"actor":"x","at":"2025-11-11T21:00:00Z","data":{},"kind":"order.lifted","v":1}'
    _sql(
        tampered,
        "UPDATE ledger_entries SET entry = :e, leaf_hash = :h WHERE idx = 20",
        e=forged,
        h=leaf_hash(forged),
    )
    _sql(
        tampered,
        "UPDATE ledger_subtrees SET hash = :h WHERE level = 0 AND idx = 20",
        h=leaf_hash(forged),
    )
    report = tampered.verify_log()
    assert not report.ok
    [finding] = [f for f in report.findings if "signed checkpoint" in f.message]
    assert "from index 16 to 23" in finding.message


def test_a_checkpoint_signed_by_another_key_is_refused(tampered: Garante) -> None:
    other = Signer.generate("impostor")
    with pytest.raises(LedgerError):
        open_checkpoint(tampered.checkpoints()[0].note, [other.verifier_key()])
    report = tampered.verify_log(other.verifier_key().to_text())
    assert not report.ok


def test_proof_hashes_are_base64_in_the_cli_and_bytes_in_the_service(log: Garante) -> None:
    proof = log.inclusion_proof(3)
    assert all(isinstance(h, bytes) and len(h) == 32 for h in proof.proof)
    assert base64.b64encode(proof.leaf_hash)


# -- publication with several servers ------------------------------------------------------------


def test_servers_sharing_a_store_publish_each_batch_exactly_once(
    garante: Garante, db_url: str, clock: FixedClock
) -> None:
    """Two processes on one store: whichever writes, every batch of entries gets one checkpoint.

    Each server knows only the checkpoints it has seen; the one that did not publish must still
    find a batch due, and must not sign again a size the other has published.
    """
    other = Garante.open(db_url, clock=clock, actor="other")
    try:
        servers = [garante, other]
        for server in servers:
            server.checkpoint_every = 4
        for number in range(30):
            server = servers[(number // 3) % 2]  # a few writes on one, then on the other
            server.register_agency(f"agency-{number}", name=f"Agency {number}", country="CO")
            latest = server.latest_checkpoint()
            assert server.ledger_size() - (latest.size if latest else 0) < 4
        sizes = [checkpoint.size for checkpoint in garante.checkpoints()]
        assert all(later - earlier >= 4 for earlier, later in itertools.pairwise(sizes))
    finally:
        other.close()
