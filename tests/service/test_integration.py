"""The log's tree is integrated in batches after its entries commit (``service.integrator``),
on both stores."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, delete, event, func, select, text, update
from sqlalchemy.orm import Session

from garante.ledger import merkle
from garante.ledger.verify import verify_inclusion
from garante.service.app import Garante
from garante.service.audit import entry_rows
from garante.service.integrator import IntegrationLost, edge, integrate_batch
from garante.store import ledger
from garante.store.database import POLICY_LOCK, SEQUENCER_LOCK
from garante.store.schema import LedgerCheckpointRow, LedgerEntryRow, LedgerSubtreeRow


def _agencies(garante: Garante, count: int, prefix: str = "a") -> None:
    for n in range(count):
        garante.register_agency(f"{prefix}{n}", name=f"Agency {n}", country="CO", domestic=True)


def _integrated(garante: Garante) -> int:
    with garante.context.readers() as session:
        return ledger.integrated_size(session)


def _nodes(garante: Garante) -> int:
    with garante.context.readers() as session:
        return int(session.scalar(select(func.count()).select_from(LedgerSubtreeRow)) or 0)


def test_a_write_stores_its_entries_without_their_tree(garante: Garante) -> None:
    garante.context.integrate()
    before = (_integrated(garante), _nodes(garante))
    _agencies(garante, 3)
    assert (_integrated(garante), _nodes(garante)) == before
    assert garante.ledger_size() > before[0]


def test_the_integrator_takes_a_batch_of_at_most_n_entries_per_transaction(
    garante: Garante,
) -> None:
    garante.context.settings.checkpoint_every = 10**6  # no publication integrating meanwhile
    garante.context.integrate()
    start = _integrated(garante)
    _agencies(garante, 7)
    garante.context.settings.integrate_batch = 3
    with garante.context.integrators() as session, session.begin():
        assert integrate_batch(session, 3) == (start, start + 3)
    assert _integrated(garante) == start + 3
    assert garante.context.integrate() == garante.ledger_size()


def _commits(garante: Garante) -> list[object]:
    commits: list[object] = []
    event.listen(garante.engine, "commit", commits.append)
    return commits


def test_an_integrator_with_nothing_to_integrate_takes_no_write_transaction(
    garante: Garante,
) -> None:
    garante.context.integrate()
    commits = _commits(garante)
    assert garante.context.integrate() == garante.ledger_size()
    assert commits == []


def test_the_integrator_stops_after_a_batch_that_took_every_entry_committed(
    garante: Garante,
) -> None:
    garante.context.settings.checkpoint_every = 10**6  # no publication integrating meanwhile
    garante.context.integrate()
    _agencies(garante, 3)
    commits = _commits(garante)
    assert garante.context.integrate() == garante.ledger_size()
    assert len(commits) == 1  # one batch, not one more to find nothing left


def test_a_proof_of_a_just_written_entry_integrates_its_batch_first(garante: Garante) -> None:
    garante.context.settings.checkpoint_every = 10**6
    _agencies(garante, 2)
    index = garante.ledger_size() - 1
    receipt = garante.receipt(index)
    assert _integrated(garante) >= index + 1
    proof = garante.inclusion_proof(index, receipt.size)
    root = garante.latest_checkpoint()
    assert root is not None and root.size == receipt.size
    verify_inclusion(proof.leaf_hash, index, receipt.size, list(proof.proof), root.root_hash)


def test_a_checkpoint_is_signed_only_at_an_integrated_size(garante: Garante) -> None:
    garante.context.settings.checkpoint_every = 10**6
    _agencies(garante, 4)
    published = garante.publish_checkpoint()
    assert published.size == _integrated(garante) == garante.ledger_size()


def test_two_integrators_racing_store_each_node_once(db_url: str, garante: Garante) -> None:
    garante.context.settings.checkpoint_every = 10**6
    _agencies(garante, 40)
    other = Garante.open(db_url)
    garante.context.settings.integrate_batch = other.context.settings.integrate_batch = 4
    errors: list[BaseException] = []

    def run(service: Garante) -> None:
        try:
            service.context.integrate()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in (garante, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other.close()
    assert errors == []
    size = garante.ledger_size()
    assert _integrated(garante) == size
    garante.publish_checkpoint()
    assert garante.verify_log().ok


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_checkpoint_is_signed_while_a_writer_holds_the_policy_lock_and_the_sequencer(
    db_url: str, garante: Garante
) -> None:
    """Signing a checkpoint takes the integrator's election only: it never waits for the
    releases and changes in flight, nor holds them back (a checkpoint falls due every
    ``checkpoint_every`` entries, on every server)."""
    garante.context.settings.checkpoint_every = 10**6
    _agencies(garante, 4)
    holder = create_engine(db_url)
    signed: list[int] = []
    try:
        with holder.connect() as connection, connection.begin():
            connection.execute(text(f"SELECT pg_advisory_xact_lock({POLICY_LOCK})"))
            connection.execute(text(f"SELECT pg_advisory_xact_lock({SEQUENCER_LOCK})"))
            signing = threading.Thread(
                target=lambda: signed.append(garante.publish_checkpoint().size), daemon=True
            )
            signing.start()
            signing.join(timeout=60)
            assert not signing.is_alive(), "the checkpoint waited for the writer's locks"
    finally:
        holder.dispose()
    assert signed == [garante.ledger_size()]


def test_two_servers_signing_at_once_sign_each_size_once(db_url: str, garante: Garante) -> None:
    garante.context.settings.checkpoint_every = 10**6
    other = Garante.open(db_url)
    errors: list[BaseException] = []

    def sign(service: Garante) -> None:
        try:
            for _ in range(5):
                service.publish_checkpoint()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    try:
        for round_ in range(3):
            _agencies(garante, 3, prefix=f"r{round_}-")
            threads = [threading.Thread(target=sign, args=(s,)) for s in (garante, other)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        other.close()
    assert errors == []
    with garante.context.readers() as session:
        sizes = list(session.scalars(select(LedgerCheckpointRow.size)))
    assert len(sizes) == len(set(sizes))
    assert max(sizes) == garante.ledger_size()
    assert garante.verify_log().ok


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_batch_that_finds_the_tree_moved_commits_nothing(
    db_url: str, garante: Garante, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An integrator not elected through the lock (a store restored under it, say) loses the
    race at its conditional advance: ``IntegrationLost``, and none of its nodes are stored.

    Only PostgreSQL can interleave two integrators: on SQLite the election is the one writer.
    The other integrator runs at the moment this one has read its leaves (the real store
    function, called through, then the barrier)."""
    garante.context.settings.checkpoint_every = 10**6
    garante.context.integrate()
    start = _integrated(garante)
    _agencies(garante, 6)
    other = Garante.open(db_url)
    read_leaves = ledger.leaf_hashes

    def leaves_then_the_other_integrates(session: Session, begin: int, limit: int) -> list[bytes]:
        found = read_leaves(session, begin, limit)
        monkeypatch.setattr(ledger, "leaf_hashes", read_leaves)
        worker = threading.Thread(target=other.context.integrate)
        worker.start()
        worker.join()
        return found

    monkeypatch.setattr(ledger, "leaf_hashes", leaves_then_the_other_integrates)
    nodes_after_other: int | None = None
    with pytest.raises(IntegrationLost), garante.context.sessions() as session, session.begin():
        try:
            integrate_batch(session, 3)
        finally:
            nodes_after_other = _nodes(other)
    other.close()
    assert _integrated(garante) == garante.ledger_size() > start
    assert _nodes(garante) == nodes_after_other  # the lost batch stored none of its nodes
    garante.publish_checkpoint()
    assert garante.verify_log().ok


def test_a_write_s_own_batch_is_integrated_without_reading_its_leaves_back(
    garante: Garante, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write that publishes a due checkpoint integrates the entries it has just committed
    from the leaf hashes it computed; the tree is the one the entries make."""
    garante.context.settings.checkpoint_every = 10**6
    garante.context.integrate()
    read: list[int] = []
    read_leaves = ledger.leaf_hashes

    def counted(session: Session, begin: int, limit: int) -> list[bytes]:
        read.append(begin)
        return read_leaves(session, begin, limit)

    monkeypatch.setattr(ledger, "leaf_hashes", counted)
    garante.context.settings.checkpoint_every = 1
    _agencies(garante, 1)
    size = garante.ledger_size()
    assert read == [] and _integrated(garante) == size
    monkeypatch.setattr(ledger, "leaf_hashes", read_leaves)
    with garante.context.readers() as session:
        leaves = ledger.leaf_hashes(session, 0, size)
        assert ledger.root(session, size) == merkle.root_from_leaf_hashes(leaves)
    assert garante.verify_log().ok


@pytest.mark.parametrize("size", range(1, 70))
def test_the_edge_of_a_tree_is_its_complete_subtrees_covering_every_leaf_once(size: int) -> None:
    covered = [
        leaf for level, index in edge(size) for leaf in range(index << level, (index + 1) << level)
    ]
    assert sorted(covered) == list(range(size)) and len(covered) == size


def test_a_due_checkpoint_behind_a_backlog_of_batches_is_signed_over_the_whole_tree(
    garante: Garante,
) -> None:
    """A write that finds a checkpoint due integrates every batch before it (on SQLite the
    last batch in the very transaction that signs), then signs at its size."""
    garante.context.settings.checkpoint_every = 10**6
    _agencies(garante, 7)  # a backlog: none of these is integrated yet
    assert _integrated(garante) < garante.ledger_size()
    garante.context.settings.integrate_batch = 2
    garante.context.settings.checkpoint_every = 1
    _agencies(garante, 1, prefix="b")
    size = garante.ledger_size()
    checkpoint = garante.latest_checkpoint()
    assert checkpoint is not None and checkpoint.size == size == _integrated(garante)
    with garante.context.readers() as session:
        leaves = ledger.leaf_hashes(session, 0, size)
        assert ledger.root(session, size) == merkle.root_from_leaf_hashes(leaves)
    assert garante.verify_log().ok


def _rows(garante: Garante) -> list[tuple[int, bytes, bytes | None]]:
    with garante.context.readers() as session:
        return list(entry_rows(session))


def test_an_entry_whose_level_0_copy_differs_reads_with_an_empty_leaf_hash(
    garante: Garante,
) -> None:
    _agencies(garante, 3)
    garante.context.integrate()
    with garante.engine.begin() as connection:
        connection.execute(
            update(LedgerSubtreeRow)
            .where(LedgerSubtreeRow.level == 0, LedgerSubtreeRow.idx == 1)
            .values(hash=bytes(32))
        )
    rows = _rows(garante)
    assert [index for index, _, leaf in rows if leaf == b""] == [1]
    assert all(leaf == merkle.leaf_hash(entry) for index, entry, leaf in rows if index != 1)


def test_an_entry_not_yet_integrated_reads_with_its_own_leaf_hash(garante: Garante) -> None:
    garante.context.integrate()
    _agencies(garante, 3)
    rows = _rows(garante)
    assert len(rows) > _integrated(garante)
    assert all(leaf == merkle.leaf_hash(entry) for _, entry, leaf in rows)


def test_every_chunk_reads_the_same_rows_whether_it_is_integrated_or_not(
    garante: Garante,
) -> None:
    _agencies(garante, 4)
    garante.context.integrate()
    _agencies(garante, 3, prefix="b")  # not integrated: no level-0 copy
    with garante.engine.begin() as connection:
        connection.execute(
            update(LedgerSubtreeRow)
            .where(LedgerSubtreeRow.level == 0, LedgerSubtreeRow.idx == 1)
            .values(hash=bytes(32))
        )
        connection.execute(
            delete(LedgerSubtreeRow).where(LedgerSubtreeRow.level == 0, LedgerSubtreeRow.idx == 2)
        )
    with garante.context.readers() as session:
        level_0 = select(LedgerSubtreeRow.idx, LedgerSubtreeRow.hash).where(
            LedgerSubtreeRow.level == 0
        )
        copies = {int(index): bytes(value) for index, value in session.execute(level_0)}
        expected = [
            (
                row.idx,
                row.entry,
                b"" if copies.get(row.idx, row.leaf_hash) != row.leaf_hash else row.leaf_hash,
            )
            for row in session.scalars(select(LedgerEntryRow).order_by(LedgerEntryRow.idx))
        ]
        assert [index for index, _, leaf in expected if leaf == b""] == [1]
        for chunk in range(1, len(expected) + 2):
            read = [
                (int(index), bytes(entry), bytes(leaf))
                for rows in ledger.entries_with_leaves(session, chunk=chunk)
                for index, entry, leaf in rows
            ]
            assert read == expected, chunk
