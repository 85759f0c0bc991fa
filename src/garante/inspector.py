"""The inspector's check of a running log, over HTTP only: no database, no trust.

It needs the log's verifier key (got out of band) and, to see across visits, the last
checkpoint it verified (a small state file). It verifies the latest signed checkpoint, proves
it consistent with the one seen before (so the log was only appended to), spot-checks
inclusion proofs of entries it hashes itself, and, if asked, rebuilds the whole tree from the
served entries.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from garante.domain.errors import ValidationError
from garante.ledger.checkpoint import Checkpoint, open_checkpoint
from garante.ledger.logcheck import StoredEntry, check_log
from garante.ledger.merkle import leaf_hash
from garante.ledger.note import VerifierKey
from garante.ledger.verify import VerificationError, verify_consistency, verify_inclusion
from garante.textfile import read_json

PAGE = 1000


@dataclass(kw_only=True)
class Inspection:
    checkpoint: Checkpoint
    note: str  # the checkpoint as served, with its witnesses' cosignatures
    previous_size: int | None = None
    sampled: list[int] = field(default_factory=list)
    entries_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, kw_only=True)
class Seen:
    """What an inspector keeps between visits (its state file): the last checkpoint it
    verified, whose successors must extend it."""

    size: int
    root: bytes
    note: str | None

    @classmethod
    def load(cls, state_file: Path | None) -> Seen | None:
        if state_file is None or not state_file.exists():
            return None
        data = read_json(state_file, field="state", what="inspector's state file")
        try:
            note = data.get("note")
            return cls(
                size=int(data["size"]),
                root=_b64(data["root"]),
                note=note if isinstance(note, str) else None,
            )
        except (AttributeError, KeyError, TypeError, ValueError):
            raise ValidationError(
                f"{state_file} is not an inspector's state file: it holds "
                '{"size": N, "root": BASE64, "note": TEXT}, as `garante audit verify --state` '
                "writes it",
                field="state",
                hint="name another file, or remove this one to start again from trust on first use",
            ) from None

    def save(self, state_file: Path) -> None:
        state = {"size": self.size, "root": base64.b64encode(self.root).decode(), "note": self.note}
        state_file.write_text(json.dumps(state))


def _b64(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


def inspect(
    base_url: str,
    log_key: VerifierKey,
    *,
    token: str | None = None,
    state_file: Path | None = None,
    sample: int = 8,
    full: bool = False,
    transport: httpx.BaseTransport | None = None,
) -> Inspection:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(
        base_url=base_url.rstrip("/") + "/api/v1", headers=headers, timeout=60, transport=transport
    ) as http:
        note = _get(http, "/audit/checkpoint")["note"]
        checkpoint, _ = open_checkpoint(note, [log_key])
        result = Inspection(checkpoint=checkpoint, note=note)
        previous = Seen.load(state_file)
        if previous is not None:
            result.previous_size = previous.size
            _check_consistency(http, previous, checkpoint, result)
        rng = random.Random()
        indexes = sorted(rng.sample(range(checkpoint.size), min(sample, checkpoint.size)))
        for index in indexes:
            proof = _get(
                http, "/audit/proof/inclusion", params={"index": index, "size": checkpoint.size}
            )
            leaf = leaf_hash(proof["entry"].encode())
            if leaf != _b64(proof["leaf_hash"]):
                result.problems.append(f"entry {index}: the served leaf hash is not its hash")
                continue
            try:
                verify_inclusion(
                    leaf,
                    index,
                    checkpoint.size,
                    [_b64(h) for h in proof["proof"]],
                    checkpoint.root_hash,
                )
            except VerificationError as exc:
                result.problems.append(f"entry {index}: inclusion proof fails: {exc}")
            result.sampled.append(index)
        if full:
            entries = []
            for start in range(0, checkpoint.size, PAGE):
                end = min(start + PAGE, checkpoint.size)
                for row in _get(http, "/audit/entries", params={"start": start, "end": end}):
                    entries.append(StoredEntry.from_json(row))
            report = check_log(entries, [note], log_key)
            result.entries_checked = report.entries
            result.problems.extend(str(f) for f in report.findings)
    if result.ok and state_file is not None:
        Seen(size=checkpoint.size, root=checkpoint.root_hash, note=note).save(state_file)
    return result


def _check_consistency(
    http: httpx.Client, previous: Seen, checkpoint: Checkpoint, result: Inspection
) -> None:
    old_size, old_root = previous.size, previous.root
    if checkpoint.size < old_size:
        result.problems.append(
            f"the log shrank: it served size {checkpoint.size} after size {old_size} (rollback)"
        )
        return
    if checkpoint.size == old_size:
        if checkpoint.root_hash != old_root:
            result.problems.append(f"two different roots for size {old_size}: the log forked")
        return
    proof = _get(http, "/audit/proof/consistency", params={"old": old_size, "new": checkpoint.size})
    try:
        verify_consistency(
            old_size,
            checkpoint.size,
            old_root,
            checkpoint.root_hash,
            [_b64(h) for h in proof["proof"]],
        )
    except VerificationError as exc:
        result.problems.append(
            f"size {checkpoint.size} is not an append-only extension of size {old_size}: {exc}"
        )


def _get(http: httpx.Client, path: str, params: Mapping[str, int] | None = None) -> Any:
    response = http.get(path, params=params)
    raise_unless_ok(response, path)
    return response.json()


def raise_unless_ok(response: httpx.Response, shown: str) -> None:
    """Refuse an answer other than 200, saying the server's error code and message (or the
    start of its body) and which GET (``shown``) it answered."""
    if response.status_code == 200:
        return
    try:
        body = response.json()
        message = f"{body.get('code')}: {body.get('message')}"
    except ValueError:
        message = response.text[:200]
    raise httpx.HTTPStatusError(
        f"GET {shown} answered {response.status_code} ({message})",
        request=response.request,
        response=response,
    )
