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

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from garante.canonical import read_canonical
from garante.ledger.checkpoint import Checkpoint, open_checkpoint
from garante.ledger.errors import LedgerError
from garante.ledger.merkle import EMPTY_ROOT, leaf_hash, node_hash
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


@dataclass(frozen=True, kw_only=True)
class StoredEntry:
    """An entry as the store holds it; ``stored_leaf`` is the operator's own hash, if given."""

    index: int
    entry: bytes
    stored_leaf: bytes | None = None

    @classmethod
    def from_json(cls, row: object) -> StoredEntry:
        """An entry as ``garante audit export`` writes it (a line of ``entries.jsonl``) and the
        API serves it (``/audit/entries``): ``{"index": N, "entry": "canonical JSON"}``."""
        if not isinstance(row, dict):
            raise ValueError(f"{str(row)[:40]} is not an object")
        return cls(index=int(row["index"]), entry=str(row["entry"]).encode())


class _RootBuilder:
    """Roots of growing prefixes in O(log n) memory (a stack of complete subtrees)."""

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # (height, hash), heights strictly decreasing

    def append(self, leaf: bytes) -> None:
        height, value = 0, leaf
        while self._stack and self._stack[-1][0] == height:
            _, left = self._stack.pop()
            value = node_hash(left, value)
            height += 1
        self._stack.append((height, value))
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        value = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            value = node_hash(left, value)
        return value


def check_log(
    entries: Iterable[StoredEntry],
    signed_checkpoints: Iterable[str],
    log_key: VerifierKey,
    *,
    then: Callable[[StoredEntry, object], None] | None = None,
) -> LogReport:
    """Verify a log; every problem found becomes a finding, none is fatal to the check.

    ``then``, if given, is called with each entry once it is checked, and the JSON value the
    check parsed from it (``canonical.NOT_JSON`` if none): a reader of the entries in the same
    pass (the replay) parses none of them again.
    """
    report = LogReport()
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
    builder = _RootBuilder()
    last_good = 0
    diverged = False
    expected = 0
    for stored in entries:
        if stored.index != expected:
            report.findings.append(
                Finding(
                    index=expected,
                    message=f"missing: the next entry stored is {stored.index} "
                    "(entries were deleted, or inserted with a wrong index)",
                )
            )
            expected = stored.index
        leaf = leaf_hash(stored.entry)
        if stored.stored_leaf is not None and stored.stored_leaf != leaf:
            report.findings.append(
                Finding(
                    index=stored.index,
                    message="does not match its stored leaf hash (changed, reordered or inserted)",
                )
            )
        canonical, value = read_canonical(stored.entry)
        if not canonical:
            report.findings.append(
                Finding(index=stored.index, message="is not RFC 8785 canonical JSON")
            )
        if then is not None:
            then(stored, value)
        builder.append(leaf)
        expected += 1
        target = targets.get(builder.size)
        if target is None:
            continue
        if _matches(builder, target):
            report.checkpoints_verified += 1
            report.latest_verified_size = last_good = builder.size
        elif not diverged:
            # Every later root differs too once a prefix has changed; report the first only.
            diverged = True
            report.findings.append(
                Finding(
                    index=None,
                    range_start=last_good,
                    message=f"the first {builder.size} entries do not match the signed "
                    f"checkpoint of that size: an entry from index {last_good} to "
                    f"{builder.size - 1} was changed",
                )
            )
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


def _matches(builder: _RootBuilder, checkpoint: Checkpoint) -> bool:
    return builder.root() == checkpoint.root_hash
