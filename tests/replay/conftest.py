"""A real log to replay (the November 2025 scenario), and a forger who holds the log's key.

The forger is the operator the replay exists to catch: it can rewrite entries, recompute the
tree and sign a checkpoint with the log's own key, so the log verifies; only what the entries
say can give it away.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from garante.canonical import canonical
from garante.ledger.checkpoint import Checkpoint, sign_checkpoint
from garante.ledger.logcheck import StoredEntry
from garante.ledger.merkle import leaf_hash, root_from_leaf_hashes
from garante.ledger.note import Signer, VerifierKey
from garante.replay.run import LogReplay, replay_log
from garante.scenarios import runner
from garante.service.app import Garante
from garante.service.clock import FixedClock


@dataclass(frozen=True)
class Log:
    """A log as an inspector gets it, plus the signing key only its operator holds."""

    entries: list[StoredEntry]
    checkpoints: list[str]
    key: VerifierKey
    signer: Signer

    @classmethod
    def of(cls, garante: Garante, key_file: Path) -> Log:
        """``garante``'s log as it stands, a checkpoint published over all of it first, with
        the signing key its operator keeps in ``key_file``."""
        garante.publish_checkpoint()
        return cls(
            entries=[
                StoredEntry(index=row.index, entry=row.entry.encode())
                for row in garante.entries(0, garante.ledger_size())
            ],
            checkpoints=[c.note for c in garante.checkpoints()],
            key=VerifierKey.parse(garante.log_verifier_key()),
            signer=Signer.from_private_key_string(key_file.read_text().strip()),
        )

    def replayed(self) -> LogReplay:
        return replay_log(iter(self.entries), self.checkpoints, self.key)

    def indexes(self, kind: str, **data: Any) -> list[int]:
        """The indexes of entries of ``kind`` whose data has the given values."""
        found = []
        for stored in self.entries:
            entry = json.loads(stored.entry)
            if entry["kind"] == kind and all(entry["data"].get(k) == v for k, v in data.items()):
                found.append(stored.index)
        return found

    def entry(self, index: int) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.entries[index].entry)
        return value

    def forged(self, index: int, change: Callable[[dict[str, Any]], None]) -> Log:
        """The log with entry ``index`` rewritten by ``change``, re-hashed and re-signed with
        the log's own key: a rewrite no hash check can see."""
        entry = self.entry(index)
        change(entry)
        entries = list(self.entries)
        entries[index] = StoredEntry(index=index, entry=canonical(entry))
        return self._signed(entries)

    def appended(self, entry: dict[str, Any]) -> Log:
        """The log with one more entry, written as the operator would and signed."""
        entries = [*self.entries, StoredEntry(index=len(self.entries), entry=canonical(entry))]
        return self._signed(entries)

    def _signed(self, entries: list[StoredEntry]) -> Log:
        root = root_from_leaf_hashes([leaf_hash(e.entry) for e in entries])
        note = sign_checkpoint(
            Checkpoint(origin=self.key.name, size=len(entries), root_hash=root), self.signer
        )
        return Log(entries=entries, checkpoints=[note], key=self.key, signer=self.signer)


@pytest.fixture(scope="session")
def scenario_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Log]:
    path = tmp_path_factory.mktemp("replay") / "garante.db"
    clock = FixedClock(datetime(2025, 1, 1, tzinfo=UTC))
    garante = Garante.open(f"sqlite:///{path}", clock=clock)
    try:
        runner.replay(garante, clock)
        log = Log.of(garante, Path(f"{path}.log-key"))
    finally:
        garante.close()
    yield log
