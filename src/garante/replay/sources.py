"""Where a replay reads the log from: an export directory, or a running server over HTTP.

Both give the entries as stored (bytes, which the checkpoints' hashes cover) and the signed
checkpoints; neither gives a key. The key an inspector replays against is the one the operator
published, got out of band: a key shipped with the log would vouch for whatever it came with.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from garante.ledger.checkpoint import Checkpoint
from garante.ledger.errors import LedgerError
from garante.ledger.logcheck import StoredEntry
from garante.ledger.note import parse_note

PAGE = 1000


class UnreadableLog(ValueError):
    """The export or server does not give a log this replay can read; ``refused`` when the
    server would not show the entries to this caller (no token, or one that may not);
    ``not_read`` when the server could not be read at all (unreachable, refusing, failing),
    which says nothing of the log."""

    def __init__(self, message: str, *, refused: bool = False, not_read: bool = False) -> None:
        super().__init__(message)
        self.refused = refused
        self.not_read = not_read or refused


@dataclass(frozen=True, kw_only=True)
class LogCopy:
    """A log as an inspector holds it: its entries, streamed in order, and its checkpoints."""

    entries: Iterator[StoredEntry]
    checkpoints: list[str]


def from_export(directory: Path) -> LogCopy:
    """``garante audit export``'s files: ``entries.jsonl`` and ``checkpoints.json``.

    ``log.vkey`` beside them is ignored on purpose: it came with the log it would vouch for.
    """
    try:
        notes: list[str] = json.loads((directory / "checkpoints.json").read_text())
        handle = (directory / "entries.jsonl").open()
    except (OSError, ValueError) as exc:
        raise UnreadableLog(f"cannot read the export in {directory}: {exc}") from None
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise UnreadableLog(f"{directory / 'checkpoints.json'} is not a list of signed notes")

    def entries() -> Iterator[StoredEntry]:
        with handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield StoredEntry.from_json(json.loads(line))
                except (ValueError, KeyError, TypeError) as exc:
                    raise UnreadableLog(
                        f"line {number} of {directory / 'entries.jsonl'} is not an entry: {exc}"
                    ) from None

    return LogCopy(entries=entries(), checkpoints=notes)


def from_server(
    base_url: str, *, token: str | None, transport: httpx.BaseTransport | None = None
) -> LogCopy:
    """A running server's latest checkpoint and its entries up to that size, page by page."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    http = httpx.Client(
        base_url=base_url.rstrip("/") + "/api/v1", headers=headers, timeout=60, transport=transport
    )
    try:
        note = str(_get(http, "/audit/checkpoint")["note"])
        # Read, not yet trusted: the replay verifies the note's signature with the key given.
        size = Checkpoint.parse(parse_note(note)[0]).size
    except (KeyError, TypeError, LedgerError) as exc:
        http.close()
        raise UnreadableLog(f"the server's checkpoint cannot be read: {exc}") from None
    except BaseException:
        http.close()
        raise

    def entries() -> Iterator[StoredEntry]:
        try:
            for start in range(0, size, PAGE):
                end = min(start + PAGE, size)
                for row in _get(http, "/audit/entries", {"start": start, "end": end}):
                    yield StoredEntry.from_json(row)
        finally:
            http.close()

    return LogCopy(entries=entries(), checkpoints=[note])


def _get(http: httpx.Client, path: str, params: dict[str, int] | None = None) -> Any:
    shown = str(http.base_url).rstrip("/") + path  # httpx ends a base URL with "/"
    try:
        response = http.get(path, params=params)
    except httpx.HTTPError as exc:
        raise UnreadableLog(f"{shown}: {exc}", not_read=True) from None
    if response.status_code != 200:
        try:
            detail = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            detail = response.text[:200]
        raise UnreadableLog(
            f"{shown} answered {response.status_code}: {detail}",
            refused=response.status_code in (401, 403),
            not_read=True,
        )
    return response.json()
