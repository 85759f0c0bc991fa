"""Proving what you received: one delivered STIX object checked against its receipt.

Pure: no network, no store. The caller (``garante verify-delivery``, ``Client.verify_delivery``)
fetches each object's receipt from ``/api/v1/receipts/{index}`` and passes it here with the
log's public key, which it got out of band.

A release's ``release.marked`` entry, logged right after the decision that releases, names the
partner, the release's trace token and, for each object it puts in the feed, the object's id and
the SHA-256 of its content (``stix.markings.content_digest``: the object without
``object_marking_refs`` and the trace extension, which a release adds). Not the decision's entry:
that one cites the rules and orders that spoke, which a partner may not see, and a receipt gives
the entry whole. Each delivered copy's trace extension names that entry back
(``log_index``) and the log (``log_origin``). So an object is verified when

1. the receipt's checkpoint is signed by the log key, and is of the log the object names;
2. the receipt's entry is leaf ``log_index`` of that checkpoint's tree (RFC 9162 inclusion);
3. that entry released the object: its trace token is the object's, and it names the object's
   id with the digest of the object's content.

The checkpoint is not in the object: stored bodies are written once, when released, and the
receipt gives the latest signed checkpoint (published on demand if none covers the entry yet),
which covers the entry as well as the first one that did.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from garante.ledger.checkpoint import open_checkpoint
from garante.ledger.errors import LedgerError
from garante.ledger.note import VerifierKey as VerifierKey
from garante.ledger.verify import VerificationError, verify_inclusion
from garante.records import DeliveryCheck
from garante.stix import markings
from garante.stix.markings import StixObject

_MARKED = "release.marked"


@dataclass(frozen=True, kw_only=True)
class ServedReceipt:
    """A receipt as ``/api/v1/receipts/{index}`` serves it (``records.EncodedReceipt``)."""

    index: int
    size: int
    entry: str
    proof: tuple[bytes, ...]
    checkpoint: str


class _Failed(Exception):
    def __init__(self, problem: str, hint: str) -> None:
        super().__init__(problem)
        self.problem, self.hint = problem, hint


def delivered_objects(document: object) -> list[StixObject]:
    """The objects to check in a STIX object (itself), or a bundle, a TAXII envelope or a list
    (those a release traced: not the support objects, the operator's identity, the markings
    and definitions, that come with them)."""
    if isinstance(document, dict) and isinstance(document.get("objects"), list):
        found = document["objects"]
    elif isinstance(document, list):
        found = document
    else:
        return [document] if isinstance(document, dict) and "id" in document else []
    return [
        obj
        for obj in found
        if isinstance(obj, dict)
        and isinstance(obj.get("id"), str)
        and markings.trace_of(obj) is not None
    ]


def wanted_index(obj: StixObject) -> int | None:
    """The log entry an object names, whose receipt proves it (None: it names none)."""
    entry = markings.entry_of(obj)
    return entry.index if entry is not None else None


def unproven(obj: StixObject, problem: str, hint: str) -> DeliveryCheck:
    """A check that failed before any receipt was looked at (none found, say)."""
    return DeliveryCheck(
        object_id=markings.object_id(obj),
        index=wanted_index(obj),
        checkpoint_size=None,
        verified=False,
        problem=problem,
        hint=hint,
    )


def no_entry(obj: StixObject) -> DeliveryCheck:
    """The check of an object that names no log entry (delivered before receipts, or never
    traced)."""
    if markings.trace_of(obj) is None:
        return unproven(
            obj,
            "the object carries no Garante trace extension",
            "only objects a Garante feed delivered can be verified",
        )
    return unproven(
        obj,
        "the object names no log entry: it was delivered before receipts existed",
        "ask the operator to trace it (`garante trace FILE`); there is no receipt to check",
    )


def verify(
    obj: StixObject, receipt: ServedReceipt, log_key: VerifierKey, *, token: str | None = None
) -> DeliveryCheck:
    """Check ``obj`` against ``receipt`` with the log's public key (and, given ``token``, that
    the object carries that trace token)."""
    entry = markings.entry_of(obj)
    if entry is None:
        return no_entry(obj)
    object_id = markings.object_id(obj)
    try:
        size = _check(obj, entry, receipt, log_key, token)
    except _Failed as failed:
        return DeliveryCheck(
            object_id=object_id,
            index=entry.index,
            checkpoint_size=None,
            verified=False,
            problem=failed.problem,
            hint=failed.hint,
        )
    return DeliveryCheck(
        object_id=object_id, index=entry.index, checkpoint_size=size, verified=True
    )


def _check(
    obj: StixObject,
    entry: markings.LogEntryRef,
    receipt: ServedReceipt,
    log_key: VerifierKey,
    token: str | None,
) -> int:
    trace = markings.trace_of(obj) or {}
    carried = trace.get(markings.TRACE_PROPERTY)
    if token is not None and carried != token:
        raise _Failed(
            f"the object carries trace token {carried}, not {token}",
            "check that this is the copy you were given",
        )
    if receipt.index != entry.index:
        raise _Failed(
            f"the receipt is of entry {receipt.index}, not {entry.index}",
            "fetch the receipt the object names",
        )
    # 1. The checkpoint: signed by the log key, of the log the object names.
    try:
        checkpoint, _ = open_checkpoint(receipt.checkpoint, [log_key])
    except LedgerError as exc:
        raise _Failed(
            f"the receipt's checkpoint is not signed by log key {log_key.name}: {exc}",
            "check that --log-key is the log's public key, got from the operator out of band",
        ) from None
    if entry.origin is not None and checkpoint.origin != entry.origin:
        raise _Failed(
            f"the object names log {entry.origin}, but the checkpoint is of {checkpoint.origin}",
            "ask the server that delivered the object for its receipt",
        )
    # 2. The entry is in the signed tree.
    leaf = hashlib.sha256(b"\x00" + receipt.entry.encode()).digest()
    try:
        verify_inclusion(leaf, entry.index, checkpoint.size, receipt.proof, checkpoint.root_hash)
    except VerificationError as exc:
        raise _Failed(
            f"entry {entry.index} is not proven in the signed tree of {checkpoint.size}: {exc}",
            "the receipt's entry or proof was altered; fetch it again and, if it still "
            "fails, report it to the operator",
        ) from None
    # 3. The entry released this object.
    _released(obj, entry.index, receipt.entry, carried)
    return checkpoint.size


def _released(obj: StixObject, index: int, text: str, carried: object) -> None:
    try:
        parsed = json.loads(text)
        data = parsed["data"]
        kind = parsed["kind"]
    except (ValueError, KeyError, TypeError):
        raise _Failed(f"entry {index} is not an audit entry", "report it to the operator") from None
    if kind != _MARKED or not isinstance(data, dict):
        raise _Failed(
            f"entry {index} is a {kind}, not a release's",
            "the object's log_index was altered; this copy is not the one delivered",
        )
    if data.get("trace") != carried:
        raise _Failed(
            f"entry {index} released trace token {data.get('trace')}, not the object's {carried}",
            "the object's trace extension was altered; this copy is not the one delivered",
        )
    object_id = markings.object_id(obj)
    named = {o.get("id"): o.get("digest") for o in data.get("objects") or [] if isinstance(o, dict)}
    if object_id not in named:
        raise _Failed(
            f"entry {index} released no object of its id",
            "the object's id was altered; this copy is not the one delivered",
        )
    if obj.get("revoked") is True:
        raise _Failed(
            "it is a revoked version: its release was recalled",
            "stop using it; the feed's revoked version says so",
        )
    if named[object_id] != markings.content_digest(obj):
        raise _Failed(
            f"its content differs from what entry {index} released",
            "the object was changed after delivery; fetch it from the feed again",
        )
