"""A consent's answer from a Garante upstream, proven before a node takes it (issue 21).

The upstream logs its answer to a consent request (``consent.granted`` / ``consent.refused``,
with the partner's signed statement it answers). The node takes the answer only when that
entry is proven included in a checkpoint signed by the upstream's log key (the trust anchor of
the source) and it answers exactly the statement this node signed and sent: the same consent
id, release, recipient and purpose. Anything else (the answer to another request, a copy
re-targeted at another recipient) is ``ConsentNotProven``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from garante.domain.consent import ConsentAnswer
from garante.domain.errors import ValidationError
from garante.domain.events import EventKind
from garante.ledger.checkpoint import open_checkpoint
from garante.ledger.errors import LedgerError
from garante.ledger.note import VerifierKey
from garante.ledger.verify import VerificationError, verify_inclusion

_ANSWERS = {
    EventKind.CONSENT_GRANTED.value: ConsentAnswer.GRANTED,
    EventKind.CONSENT_REFUSED.value: ConsentAnswer.REFUSED,
}


class ConsentNotProven(ValidationError):
    code = "consent.not_proven"


@dataclass(frozen=True, kw_only=True)
class ProvenAnswer:
    """An answer proven: granted or refused, and the upstream checkpoint's size."""

    answer: ConsentAnswer
    size: int


def verify_answer(
    *,
    consent_id: str,
    statement: dict[str, Any],
    index: int,
    entry: str,
    proof: tuple[str, ...],
    checkpoint: str,
    log_key: str,
    origin: str | None,
) -> ProvenAnswer:
    """The answer ``entry`` gives to the statement this node sent, proven; else
    ``ConsentNotProven`` saying what does not hold."""
    try:
        key = VerifierKey.parse(log_key)
        opened, _ = open_checkpoint(checkpoint, [key])
    except LedgerError as exc:
        raise _not_proven(
            f"its checkpoint is not signed by the upstream's log key: {exc}"
        ) from None
    if origin is not None and opened.origin != origin:
        raise _not_proven(f"its checkpoint is of log {opened.origin}, not of {origin}")
    try:
        hashes = [base64.b64decode(h, validate=True) for h in proof]
        leaf = hashlib.sha256(b"\x00" + entry.encode()).digest()
        verify_inclusion(leaf, index, opened.size, hashes, opened.root_hash)
    except (ValueError, VerificationError) as exc:
        raise _not_proven(f"entry {index} is not proven in the signed tree: {exc}") from None
    try:
        parsed = json.loads(entry)
        kind, data = parsed["kind"], parsed["data"]
    except (ValueError, KeyError, TypeError):
        raise _not_proven(f"entry {index} is not an audit entry") from None
    answer = _ANSWERS.get(kind)
    if answer is None or not isinstance(data, dict):
        raise _not_proven(f"entry {index} is a {kind}, not the answer to a consent request")
    if data.get("consent") != consent_id:
        raise _not_proven(
            f"entry {index} answers consent request {data.get('consent')}, not {consent_id}"
        )
    if data.get("statement") != statement:
        raise _not_proven(
            f"entry {index} answers another request than the one this node sent as "
            f"{consent_id} (another release, recipient or purpose)"
        )
    return ProvenAnswer(answer=answer, size=opened.size)


def _not_proven(why: str) -> ConsentNotProven:
    return ConsentNotProven(
        f"the consent's answer is not taken: {why}",
        field="receipt",
        hint="fetch the answer of this node's own request from its upstream "
        "(`garante consents fetch`)",
    )
