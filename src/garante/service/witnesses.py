"""Witnesses of the log: the operator (or a liaison, who keeps the registry) registers those
it trusts, and the log takes their cosignatures of its checkpoints (c2sp.org/tlog-cosignature)
and serves them with each one.

A cosignature authenticates itself: it is taken only if it verifies with the key of a witness
registered (and not removed), over a checkpoint this log published, byte for byte. Taking one is
not a policy act, so it is not logged: the cosignature is kept with its checkpoint, where any
reader can check it; logging it would append an entry, hence a new checkpoint for witnesses to
cosign, without end. Registering and removing a witness is the operator's or a liaison's act,
and is logged.
"""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from garante.domain.errors import AlreadyExists, CosignatureRefused, NotFound, ValidationError
from garante.domain.events import WitnessAdded, WitnessRemoved
from garante.ledger.checkpoint import Checkpoint
from garante.ledger.errors import LedgerError
from garante.ledger.note import (
    SIG_COSIGNATURE_V1,
    SIG_ED25519,
    NoteSignature,
    VerifierKey,
    parse_note,
)
from garante.service.audit import PublishedCheckpoint
from garante.service.transaction import Transaction
from garante.store import ledger
from garante.store import witnesses as stored
from garante.store.schema import LogWitnessRow

_REGISTER = "ask the log's operator to register it: garante witnesses add KEY"


def cosigner_key(text: str, *, field: str = "key") -> VerifierKey:
    """A witness's cosigner verifier key (type 0x04) from ``text``. A type 0x01 key (a log's
    own key: a partner node cosigns with it) stands for its cosigner key, same name and key."""
    try:
        key = VerifierKey.parse(text.strip())
    except LedgerError as exc:
        raise ValidationError(
            f"not a note verifier key: {exc}",
            field=field,
            hint="give it as <name>+<hex key ID>+<base64 key>, e.g. witness.vkey of "
            "`garante witness init`, or a partner node's `garante audit key`",
        ) from None
    if key.sig_type == SIG_ED25519:
        key = VerifierKey.from_public_key(key.name, key.public_key, SIG_COSIGNATURE_V1)
    return key


def add_witness(tx: Transaction, key_text: str) -> LogWitnessRow:
    """Register the witness whose verifier key is ``key_text``; logged (``witness.added``)."""
    key = cosigner_key(key_text)
    if stored.active_named(tx.session, key.name) is not None:
        raise AlreadyExists(
            f"a witness named {key.name} is registered already",
            field="key",
            hint=f"remove it first (garante witnesses remove {key.name}) to change its key",
        )
    row = stored.add(
        tx.session,
        witness_id=secrets.token_hex(8),
        name=key.name,
        verifier_key=key.to_text(),
        at=tx.now,
    )
    tx.audit(WitnessAdded(witness=row.id, name=row.name, key=row.verifier_key))
    return row


def remove_witness(tx: Transaction, name: str, reason: str) -> LogWitnessRow:
    """Stop taking ``name``'s cosignatures; those taken stay. Logged (``witness.removed``)."""
    row = stored.active_named(tx.session, name)
    if row is None:
        raise NotFound(
            f"no witness named {name} is registered",
            field="name",
            hint="see them with: garante witnesses list",
        )
    return _removed(tx, row, reason)


def remove_witness_with_id(tx: Transaction, witness_id: str, reason: str) -> LogWitnessRow:
    """As ``remove_witness``, the witness named by its id: the API's path names it so, since
    a key name may hold a slash (``garante.example/log-1``)."""
    row = stored.active_with_id(tx.session, witness_id)
    if row is None:
        raise NotFound(
            f"no witness with id {witness_id} is registered (or it was removed)",
            field="witness_id",
            hint="see the ids with GET /api/v1/audit/witnesses",
        )
    return _removed(tx, row, reason)


def _removed(tx: Transaction, row: LogWitnessRow, reason: str) -> LogWitnessRow:
    row.removed_at = tx.now
    tx.audit(WitnessRemoved(witness=row.id, reason=reason))
    return row


def take_cosignature(session: Session, note: str, log_key: VerifierKey) -> PublishedCheckpoint:
    """Keep each cosignature line of ``note`` with the checkpoint it cosigns, one per witness
    (the newest), after checking every one; refuse the whole note if one line fails."""
    try:
        text, signatures = parse_note(note)
        checkpoint = Checkpoint.parse(text)
    except LedgerError as exc:
        raise CosignatureRefused(
            f"not a signed checkpoint: {exc}",
            field="note",
            hint="post the log's checkpoint note as it was served, with the witness's "
            "cosignature line appended to its signatures",
        ) from None
    row = ledger.checkpoint(session, checkpoint.size)
    if row is None or parse_note(row.note)[0] != text:
        raise CosignatureRefused(
            f"this log published no checkpoint of origin {checkpoint.origin}, size "
            f"{checkpoint.size} and that root: a witness may cosign only this log's checkpoints",
            field="note",
            hint="cosign a checkpoint the log served (GET /api/v1/audit/checkpoint)",
        )
    own = (log_key.name, log_key.key_id)
    lines = [s for s in signatures if (s.name, s.key_id) != own]
    if not lines:
        raise CosignatureRefused(
            "the note carries no cosignature, only the log's own signature",
            field="note",
            hint="append the witness's cosignature line (type 0x04) to the note's signatures",
        )
    registered = {
        (key.name, key.key_id): key
        for key in (VerifierKey.parse(w.verifier_key) for w in stored.active(session))
    }
    taken = [_checked(text, line, registered) for line in lines]
    kept = {_signer(line): line for line in row.cosignatures}
    for signature in taken:
        signer = (signature.name, signature.key_id)
        older = kept.get(signer)
        if older is None or _time(NoteSignature.parse_line(older.rstrip("\n"))) < _time(signature):
            kept[signer] = signature.to_line()
    row.cosignatures = list(kept.values())
    return PublishedCheckpoint.from_row(row)


def _checked(
    text: str, signature: NoteSignature, registered: dict[tuple[str, bytes], VerifierKey]
) -> NoteSignature:
    who = f"{signature.name}+{signature.key_id.hex()}"
    key = registered.get((signature.name, signature.key_id))
    if key is None:
        raise CosignatureRefused(
            f"the cosignature by {who} is not by a witness this log registered",
            field="note",
            hint=_REGISTER,
        )
    try:
        key.verify(text, signature.signature)
    except LedgerError as exc:
        raise CosignatureRefused(
            f"the cosignature by {who} does not verify over this checkpoint: {exc}",
            field="note",
            hint="cosign the checkpoint's text as served, with the witness's registered key",
        ) from None
    return signature


def _signer(line: str) -> tuple[str, bytes]:
    try:
        signature = NoteSignature.parse_line(line.rstrip("\n"))
    except LedgerError:  # a line kept before lines were checked: kept as it is
        return (line, b"")
    return (signature.name, signature.key_id)


def _time(signature: NoteSignature) -> int:
    return int.from_bytes(signature.signature[:8], "big") if len(signature.signature) == 72 else 0
