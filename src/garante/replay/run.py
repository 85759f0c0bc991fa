"""One pass over a log: its hashes against the signed checkpoints, its entries replayed.

The entries stream through both checks at once, so a log of millions of entries is never held
in memory, and each entry's bytes are parsed once, by the check of its canonical form, for both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from garante.canonical import NOT_JSON
from garante.ledger.logcheck import LogReport, StoredEntry, check_log
from garante.ledger.note import VerifierKey
from garante.replay.entries import LoggedEntry, UnreadableEntry
from garante.replay.replayer import Replayer, ReplayReport


@dataclass(frozen=True, kw_only=True)
class LogReplay:
    """Both verdicts: ``log`` (hashes and signed checkpoints) and ``replay`` (what the entries
    say, re-derived), and the replayer's state at the end."""

    log: LogReport
    replay: ReplayReport
    replayer: Replayer

    @property
    def ok(self) -> bool:
        return self.log.ok and self.replay.ok

    @property
    def unsigned(self) -> int:
        """Entries after the latest signed checkpoint: replayed, but not yet proven in place."""
        return self.log.entries - self.log.latest_verified_size


def replay_log(
    entries: Iterable[StoredEntry], checkpoints: Iterable[str], key: VerifierKey
) -> LogReplay:
    replayer = Replayer()

    def then(stored: StoredEntry, value: object) -> None:
        try:
            if value is NOT_JSON:
                LoggedEntry.read(stored.index, stored.entry)  # raises, saying why
            entry = LoggedEntry.of(stored.index, value)
        except UnreadableEntry as exc:
            replayer.skip(stored.index, str(exc))
        else:
            replayer.feed(entry)

    log = check_log(entries, checkpoints, key, then=then)
    return LogReplay(log=log, replay=replayer.report, replayer=replayer)
