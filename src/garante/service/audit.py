"""Publishing checkpoints, serving proofs and receipts, and checking the stored log."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from itertools import chain

from sqlalchemy.orm import Session

from garante import records
from garante.domain.errors import GaranteError, InvalidState, NotFound, ValidationError
from garante.ledger.checkpoint import Checkpoint, sign_checkpoint
from garante.ledger.errors import LedgerError
from garante.ledger.logcheck import EntryRow, LogReport, StoredEntry, check_log
from garante.ledger.note import NoteSignature, NoteSigner, VerifierKey
from garante.store import ledger, queries
from garante.store.schema import LedgerCheckpointRow


class LogKeyMissing(GaranteError):
    code = "ledger.no_log_key"
    http_status = 503
    exit_code = 5


class EntryNotFound(NotFound):
    code = "ledger.entry_not_found"


@dataclass(frozen=True, kw_only=True)
class PublishedCheckpoint:
    size: int
    root_hash: bytes
    note: str
    published_at: datetime

    @classmethod
    def from_row(cls, row: LedgerCheckpointRow) -> PublishedCheckpoint:
        note = row.note + "".join(row.cosignatures)
        return cls(size=row.size, root_hash=row.root_hash, note=note, published_at=row.published_at)

    def served(self) -> records.Checkpoint:
        """As the log serves it: the root in base64, the note with its cosignatures."""
        return records.Checkpoint(
            size=self.size, root_hash=base64.b64encode(self.root_hash).decode(), note=self.note
        )


def publish_checkpoint(session: Session, signer: NoteSigner, now: datetime) -> PublishedCheckpoint:
    """Sign the tree head at the integrated size, unless that size is already published: a
    checkpoint commits to stored nodes only (``Context.publish_checkpoint`` integrates first)."""
    size = ledger.integrated_size(session)
    # The newest size first (one cheap statement): its row is read only where it is returned.
    if ledger.published_size(session) >= size:
        latest = ledger.latest_checkpoint(session)
        if latest is not None and latest.size >= size:
            return PublishedCheckpoint.from_row(latest)
    checkpoint = Checkpoint(signer.name, size, ledger.root(session, size))
    note = sign_checkpoint(checkpoint, signer)
    ledger.add_checkpoint(session, size=size, root_hash=checkpoint.root_hash, note=note, at=now)
    # As ``from_row`` reads the row just written: no cosignature yet.
    return PublishedCheckpoint(
        size=size, root_hash=checkpoint.root_hash, note=note, published_at=now
    )


def add_cosignature(session: Session, size: int, line: str) -> PublishedCheckpoint:
    row = ledger.checkpoint(session, size)
    if row is None:
        raise NotFound(f"no checkpoint was published at size {size}", field="size")
    line = line.strip("\n")
    try:
        NoteSignature.parse_line(line)
    except LedgerError as exc:
        raise ValidationError(f"not a signed-note signature line: {exc}", field="line") from None
    line += "\n"
    if line not in row.cosignatures:
        row.cosignatures = [*row.cosignatures, line]
    return PublishedCheckpoint.from_row(row)


def check_size(session: Session, size: int | None, *, field: str = "size") -> int:
    current = queries.ledger_size(session)
    if size is None:
        return current
    if not 0 < size <= current:
        raise ValidationError(
            f"the log has {current} entries; size {size} is out of range",
            field=field,
            hint=f"give a size from 1 to {current}",
        )
    return size


def check_index(session: Session, index: int, size: int) -> None:
    if not 0 <= index < size:
        raise EntryNotFound(
            f"no entry {index} in a tree of size {size}",
            field="index",
            hint=f"give an index from 0 to {size - 1}",
        )


def stored_entries(session: Session) -> Iterator[StoredEntry]:
    """Entries with the operator's stored leaf hashes, streamed (the log may be large).

    Both stored copies of each leaf hash (the entry's column and the level-0 subtree) are read;
    where they disagree an empty hash stands in, which never matches, so the entry is reported.
    """
    as_entry = partial(tuple.__new__, StoredEntry)  # a row to a StoredEntry, with no Python call
    # Chained maps, not a generator that yields each entry: no Python frame resumed per entry.
    return chain.from_iterable(map(partial(map, as_entry), ledger.entries_with_leaves(session)))


def entry_rows(session: Session) -> Iterator[EntryRow]:
    """``stored_entries`` as the driver's plain ``(index, entry, stored leaf)`` rows: what
    ``verify_store`` checks, for a reader that takes entries by position.

    Plain tuples hold only untracked values, so the garbage collector stops following them
    after its first pass; a ``StoredEntry`` per entry (a tuple subclass) stays tracked, and
    every full collection during a verification of 10^5 entries walks all of them again.
    """
    return chain.from_iterable(ledger.entries_with_leaves(session))


def verify_store(session: Session, log_key: VerifierKey, *, forms: bool = True) -> LogReport:
    notes = [PublishedCheckpoint.from_row(row).note for row in ledger.checkpoints(session)]
    if not notes:
        raise InvalidState(
            "the log has published no checkpoint yet, so there is nothing signed to verify against",
            hint="publish one with `garante audit checkpoint`",
        )
    # The store's rows as they are read: ``check_log`` needs no object per entry.
    return check_log(entry_rows(session), notes, log_key, forms=forms)
