"""``next`` tokens: a keyset position bound to the caller and to the query's filters.

No paging state lives in any process: a token works on every server behind a load balancer.
It is bound to the partner and the filters it was issued for, so it can never page through
another partner's collection or a different query (TAXII 2.1, appendix B).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import UTC, datetime

from garante.taxii.errors import TaxiiError

_MAX_SEQ = 2**63  # a signed 64-bit integer column, on SQLite and PostgreSQL


def _fingerprint(partner: str, filters: str) -> str:
    return hashlib.sha256(f"{partner}\n{filters}".encode()).hexdigest()[:16]


def encode(partner: str, filters: str, date_added: datetime, seq: int) -> str:
    raw = json.dumps(
        {"d": date_added.isoformat(), "s": seq, "f": _fingerprint(partner, filters)},
        separators=(",", ":"),
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(token: str, partner: str, filters: str) -> tuple[datetime, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode() + b"==="))
        position = (datetime.fromisoformat(data["d"]), int(data["s"]))
        fingerprint = data["f"]
        # The fingerprint binds a token to its query, not to this server: anyone can compute
        # it, so a token's position is checked like any input. A date without a zone, or a
        # sequence number no database column holds, is not one this server wrote.
        if position[0].tzinfo is None or not 0 <= position[1] < _MAX_SEQ:
            raise ValueError("out of range")
        position = (position[0].astimezone(UTC), position[1])
    except (ValueError, KeyError, TypeError, OverflowError, binascii.Error):
        raise TaxiiError(
            400,
            "Invalid next",
            "the next token is not one this server issued",
            code="taxii.bad_next",
        ) from None
    if fingerprint != _fingerprint(partner, filters):
        raise TaxiiError(
            400,
            "Invalid next",
            "the next token belongs to another query; repeat the filters it was issued with",
            code="taxii.bad_next",
        )
    return position
