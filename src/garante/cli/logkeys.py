"""The log's verifier key as a person gives it on the command line: the text, or ``@FILE``.

``audit verify``, ``audit replay`` and ``db check`` take it alike, and refuse alike what is not
one; each then says for itself where a key must not come from (inside an export, beside a store).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from garante.domain.errors import ValidationError
from garante.textfile import read_text

if TYPE_CHECKING:
    from garante.ledger.note import VerifierKey


def key_text(value: str) -> str:
    """The key's text: ``value`` itself, or the contents of the file ``@FILE`` names."""
    if value.startswith("@"):
        return read_text(Path(value[1:]), field="log_key", what="log key").strip()
    return value.strip()


def verifier_key(text: str) -> VerifierKey:
    """The verifier key ``text`` holds, or a refusal naming the field and what to give."""
    from garante.ledger.errors import LedgerError
    from garante.ledger.note import VerifierKey

    try:
        return VerifierKey.parse(text)
    except LedgerError as exc:
        raise ValidationError(
            f"the log key cannot be read: {exc}",
            field="log_key",
            hint="give the verifier key line the operator published (`garante audit key`)",
        ) from None
