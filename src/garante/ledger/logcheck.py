"""Checking a whole log: its entries against its signed checkpoints, saying where it breaks.

An inspector holds the log's public key (got out of band) and a copy of the log: its entries
and the checkpoints it published. Nothing else is trusted. Each checkpoint's signature is
verified; the tree is rebuilt from the entries and its root compared with every checkpoint; and
where the operator's stored leaf hashes are available too, each entry is compared with its own,
which names the exact index of a changed, reordered or inserted entry. A rewrite clever enough
to recompute the stored hashes still cannot match the signed roots: it is then located between
the last checkpoint that matches and the first that does not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter
from typing import NamedTuple, TypeVar

from garante.canonical import read_canonical
from garante.ledger.checkpoint import Checkpoint, open_checkpoint
from garante.ledger.errors import LedgerError
from garante.ledger.merkle import EMPTY_ROOT, leaf_hashes, node_hash, subtree_root
from garante.ledger.note import VerifierKey


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One thing wrong, at an entry index when it can be pinned to one."""

    index: int | None
    message: str
    range_start: int | None = None

    def __str__(self) -> str:
        where = f"entry {self.index}: " if self.index is not None else ""
        return where + self.message


@dataclass(kw_only=True)
class LogReport:
    entries: int = 0
    checkpoints_verified: int = 0
    latest_verified_size: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first_bad_index(self) -> int | None:
        """The exact index when one is known, else the start of the range a checkpoint bounds."""
        exact = [f.index for f in self.findings if f.index is not None]
        if exact:
            return min(exact)
        ranges = [f.range_start for f in self.findings if f.range_start is not None]
        return min(ranges) if ranges else None


class StoredEntry(NamedTuple):
    """An entry as the store holds it; ``stored_leaf`` is the operator's own hash, if given.

    A named tuple: a verifier goes through one per entry of the whole log, and the store's
    rows, plain ``(index, entry, stored_leaf)`` tuples, are checked as they are read
    (``check_log`` reads entries by position), with no object built per entry.
    """

    index: int  # type: ignore[assignment]  # the entry's index, not ``tuple.index``
    entry: bytes
    stored_leaf: bytes | None = None

    @classmethod
    def from_json(cls, row: object) -> StoredEntry:
        """An entry as ``garante audit export`` writes it (a line of ``entries.jsonl``) and the
        API serves it (``/audit/entries``): ``{"index": N, "entry": "canonical JSON"}``."""
        if not isinstance(row, dict):
            raise ValueError(f"{str(row)[:40]} is not an object")
        return cls(index=int(row["index"]), entry=str(row["entry"]).encode())


EntryRow = tuple[int, bytes, bytes | None]
"""An entry as ``check_log`` reads it: index, entry, stored leaf hash (``StoredEntry`` is one)."""

E = TypeVar("E", bound=EntryRow)


_INDEX, _ENTRY, _STORED_LEAF = itemgetter(0), itemgetter(1), itemgetter(2)
"""A row's fields, taken from every row of a chunk by ``map`` in C, with no Python frame."""

_CHUNK = 4096
"""Entries checked together: their leaf hashes in one comprehension, their subtrees level by
level. Large enough that per-chunk work vanishes, small enough to stream any log."""


class _RootBuilder:
    """Roots of growing prefixes in O(log n) memory (a stack of complete subtrees)."""

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # (height, hash), heights strictly decreasing

    def extend(self, leaves: Sequence[bytes]) -> None:
        """Append leaf hashes, hashing each aligned power-of-two block as one subtree.

        A block of 2**h leaves starting at a multiple of 2**h is a complete subtree of the final
        tree, so it is hashed level by level (``subtree_root``) and pushed as one node; the
        stack then merges as if its leaves had come one by one.
        """
        position, count = 0, len(leaves)
        while position < count:
            height = (count - position).bit_length() - 1
            if self.size:
                height = min(height, (self.size & -self.size).bit_length() - 1)
            width = 1 << height
            value = subtree_root(leaves[position : position + width])
            while self._stack and self._stack[-1][0] == height:
                _, left = self._stack.pop()
                value = node_hash(left, value)
                height += 1
            self._stack.append((height, value))
            self.size += width
            position += width

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        value = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            value = node_hash(left, value)
        return value


def check_log(
    entries: Iterable[E],
    signed_checkpoints: Iterable[str],
    log_key: VerifierKey,
    *,
    forms: bool = True,
    then: Callable[[E, object], None] | None = None,
) -> LogReport:
    """Verify a log; every problem found becomes a finding, none is fatal to the check.

    The tree check (dense indices, each entry against its stored leaf hash, the roots against
    the signed checkpoints) always runs. ``forms`` adds the check that each entry is RFC 8785
    canonical JSON, which parses and re-encodes every entry and costs several times the tree
    check: an inspector who only needs to know that the entries are the ones the log signed
    may skip it (``garante audit verify --tree-only``).

    ``then``, if given, is called with each entry once it is checked, and the JSON value the
    check parsed from it (``canonical.NOT_JSON`` if none): a reader of the entries in the same
    pass (the replay) parses none of them again. It implies ``forms``.
    """
    report = LogReport()
    targets = _opened(signed_checkpoints, log_key, report)
    pending = sorted(targets)
    builder = _RootBuilder()
    state = _Progress()
    stream = iter(entries)
    while chunk := list(islice(stream, _CHUNK)):
        leaves = leaf_hashes(list(map(_ENTRY, chunk)))
        report.findings.extend(_entry_findings(chunk, leaves, state, forms or then is not None))
        if then is not None:
            for stored, value in zip(chunk, state.values, strict=True):
                then(stored, value)
        start = 0
        while pending and pending[0] <= builder.size + len(leaves) - start:
            size = pending.pop(0)
            take = size - builder.size
            builder.extend(leaves[start : start + take])
            start += take
            _compare(builder, targets[size], report, state)
        builder.extend(leaves[start:])
    report.entries = builder.size
    for size in sorted(targets):
        if size > builder.size:
            report.findings.append(
                Finding(
                    index=builder.size,
                    message=f"the log ends at size {builder.size} but a "
                    f"signed checkpoint covers size {size}: entries were deleted",
                )
            )
    return report


def _opened(
    signed_checkpoints: Iterable[str], log_key: VerifierKey, report: LogReport
) -> dict[int, Checkpoint]:
    """The checkpoints whose signature verifies, by size; the others become findings."""
    targets: dict[int, Checkpoint] = {}
    for note in signed_checkpoints:
        try:
            checkpoint, _ = open_checkpoint(note, [log_key])
        except LedgerError as exc:
            report.findings.append(Finding(index=None, message=f"a checkpoint is refused: {exc}"))
            continue
        if checkpoint.origin != log_key.name:
            report.findings.append(
                Finding(
                    index=None,
                    message=f"checkpoint origin {checkpoint.origin!r} is not "
                    f"the log's key name {log_key.name!r}",
                )
            )
            continue
        targets[checkpoint.size] = checkpoint
    return targets


@dataclass(kw_only=True)
class _Progress:
    expected: int = 0
    last_good: int = 0
    diverged: bool = False
    values: list[object] = field(default_factory=list)


def _entry_findings(
    chunk: Sequence[EntryRow], leaves: Sequence[bytes], state: _Progress, forms: bool
) -> list[Finding]:
    """What is wrong with each entry of a chunk on its own, in index order.

    The common case (dense indices, leaf hashes as stored) is decided for the whole chunk by
    two comparisons made in C; only a chunk that fails them is walked entry by entry.
    """
    findings: list[Finding] = []
    first = state.expected
    indices = list(map(_INDEX, chunk))
    dense = indices == list(range(first, first + len(chunk)))
    stored_leaves = list(map(_STORED_LEAF, chunk))
    # Equal lists in one comparison made in C (the store gives every stored hash); entry by
    # entry only where some are missing or differ.
    leaves_agree = stored_leaves == leaves or all(
        stored is None or stored == leaf for stored, leaf in zip(stored_leaves, leaves, strict=True)
    )
    values: list[object] = []
    if forms:
        checked = [read_canonical(stored[1]) for stored in chunk]
        values = [value for _, value in checked]
        bad_form = {index for index, (ok, _) in zip(indices, checked, strict=True) if not ok}
    else:
        bad_form = set()
    state.values = values
    if dense and leaves_agree and not bad_form:
        state.expected = first + len(chunk)
        return findings
    expected = first
    for stored, leaf in zip(map(StoredEntry._make, chunk), leaves, strict=True):
        if stored.index != expected:
            findings.append(
                Finding(
                    index=expected,
                    message=f"missing: the next entry stored is {stored.index} "
                    "(entries were deleted, or inserted with a wrong index)",
                )
            )
            expected = stored.index
        if stored.stored_leaf is not None and stored.stored_leaf != leaf:
            findings.append(
                Finding(
                    index=stored.index,
                    message="does not match its stored leaf hash (changed, reordered or inserted)",
                )
            )
        if stored.index in bad_form:
            findings.append(Finding(index=stored.index, message="is not RFC 8785 canonical JSON"))
        expected += 1
    state.expected = expected
    return findings


def _compare(
    builder: _RootBuilder, target: Checkpoint, report: LogReport, state: _Progress
) -> None:
    if _matches(builder, target):
        report.checkpoints_verified += 1
        report.latest_verified_size = state.last_good = builder.size
    elif not state.diverged:
        # Every later root differs too once a prefix has changed; report the first only.
        state.diverged = True
        report.findings.append(
            Finding(
                index=None,
                range_start=state.last_good,
                message=f"the first {builder.size} entries do not match the signed "
                f"checkpoint of that size: an entry from index {state.last_good} to "
                f"{builder.size - 1} was changed",
            )
        )


def _matches(builder: _RootBuilder, checkpoint: Checkpoint) -> bool:
    return builder.root() == checkpoint.root_hash
