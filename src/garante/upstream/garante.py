"""Another Garante as an upstream: what a partner node checks before it takes anything.

A node reads its partner collection on the upstream as any TAXII source does; in addition
each delivered object must verify against its receipt (``/api/v1/receipts/{index}``: the
entry that released it, proven included in a checkpoint signed by the upstream's log key,
the trust anchor the operator configured), and every checkpoint it sees must be consistent
with the last one it verified (an RFC 9162 consistency proof from the upstream). The node
witnesses what it verified: it cosigns each checkpoint with its own log key (C2SP
tlog-cosignature, ``ledger.witness``), keeps the cosignature with the source's state and posts
it to the upstream (``POST /api/v1/audit/cosignatures``), which serves it with its checkpoint.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any, Literal, Self

from garante.client import GaranteAPIError, GaranteClient
from garante.domain.errors import UpstreamFailed, UpstreamForked
from garante.ledger import delivery
from garante.ledger.checkpoint import Checkpoint
from garante.ledger.errors import LedgerError
from garante.ledger.note import NoteSigner, VerifierKey, open_note, parse_note
from garante.ledger.verify import VerificationError, verify_consistency
from garante.ledger.witness import (
    WitnessError,
    WitnessFork,
    WitnessRollback,
    WitnessState,
    witness_checkpoint,
)
from garante.records import DeliveryCheck, Request, UnacknowledgedRecall
from garante.stix.markings import StixObject

TAXII_ROOT = "/taxii2/api/"


def taxii_root(url: str) -> str:
    """The TAXII API root of a Garante at ``url``."""
    return url.rstrip("/") + TAXII_ROOT


@dataclass(frozen=True, kw_only=True)
class Verified:
    """The last upstream checkpoint a node verified, and its cosignature of it: ``posted``
    once the upstream took it, ``post_error`` why it did not, while it has not."""

    size: int
    root_hash: str  # base64
    origin: str
    note: str
    cosignature: str
    posted: bool = False
    post_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "root_hash": self.root_hash,
            "origin": self.origin,
            "note": self.note,
            "cosignature": self.cosignature,
            "posted": self.posted,
            "post_error": self.post_error,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Verified | None:
        if not data:
            return None
        return cls(
            size=int(data["size"]),
            root_hash=str(data["root_hash"]),
            origin=str(data["origin"]),
            note=str(data["note"]),
            cosignature=str(data["cosignature"]),
            posted=bool(data.get("posted", False)),
            post_error=data.get("post_error"),
        )

    def state(self) -> WitnessState:
        return WitnessState.from_dict(
            {"origin": self.origin, "size": self.size, "root_hash": self.root_hash}
        )


class Upstream:
    """A connection to an upstream Garante, as partner ``token``, trusting ``log_key``."""

    def __init__(self, url: str, token: str | None, log_key: str, *, timeout: float) -> None:
        self.url = url
        self.key = VerifierKey.parse(log_key)
        self._client = GaranteClient(url, token, timeout=timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self._client.close()

    @property
    def client(self) -> GaranteClient:
        """The typed client this connection talks through, as the partner: what a pull does
        beside the feed (fetching the answers to this node's consent requests) uses it."""
        return self._client

    def latest(self) -> str:
        """The upstream's latest signed checkpoint (its note)."""
        try:
            return self._client.checkpoint().note
        except (GaranteAPIError, OSError) as exc:
            raise self._failed(f"gave no checkpoint: {exc}") from None
        except Exception as exc:  # httpx errors: unreachable, timed out
            raise self._failed(f"could not be read: {exc}") from None

    def verify(self, obj: StixObject) -> tuple[DeliveryCheck, str | None, int | None]:
        """``obj`` checked against its receipt, the checkpoint note the receipt gave and the
        release request its entry names."""
        index = delivery.wanted_index(obj)
        if index is None:
            return delivery.no_entry(obj), None, None
        try:
            served = self._client.receipt(index)
        except GaranteAPIError as exc:
            return delivery.unproven(
                obj, f"the upstream gives no receipt for entry {index}: {exc.message}",
                "the object was not released to this node by this upstream",
            ), None, None  # fmt: skip
        try:
            proof = tuple(base64.b64decode(h, validate=True) for h in served.proof)
        except ValueError:
            problem = f"the receipt for entry {index} is not base64"
            return delivery.unproven(obj, problem, ""), None, None
        receipt = delivery.ServedReceipt(
            index=served.index,
            size=served.size,
            entry=served.entry,
            proof=proof,
            checkpoint=served.checkpoint,
        )
        return delivery.verify(obj, receipt, self.key), served.checkpoint, _request(served.entry)

    def release(self, request: int) -> Request:
        """The upstream's release request ``request`` (this node's own, as its partner)."""
        try:
            return self._client.get_release(request)
        except GaranteAPIError as exc:
            raise self._failed(f"gave no release {request}: {exc.message}") from None

    def advance(
        self, last: Verified | None, note: str, witness: NoteSigner, *, latest: bool = False
    ) -> Verified:
        """``note`` verified with the log key and proven consistent with ``last`` (the first
        one is trusted on first use), cosigned by ``witness``; a fork is ``UpstreamForked``.
        A ``latest`` checkpoint smaller than ``last`` is a rollback (a fork); a receipt's may
        be older, and must then lead to ``last``."""
        proof: list[bytes] = []
        state = last.state() if last is not None else None
        try:
            size = _size(note)
            if last is not None and size < last.size and not latest:
                return self._older(last, note)
            if last is not None and size > last.size:
                encoded = self._client.consistency_proof(last.size, new=size)
                proof = [base64.b64decode(h, validate=True) for h in encoded.proof]
        except GaranteAPIError as exc:
            raise self._failed(f"gave no consistency proof: {exc.message}") from None
        except ValueError as exc:
            raise self._failed(f"gave a checkpoint that cannot be read: {exc}") from None
        try:
            new_state, line = witness_checkpoint(
                state, note, proof, self.key, witness, int(time.time())
            )
        except (WitnessFork, WitnessRollback) as exc:
            was = last.size if last is not None else 0
            raise UpstreamForked(
                f"the upstream log forked: {exc.message} (last verified: size {was}, root "
                f"{last.root_hash if last is not None else '-'}; now: size {size})",
                field="url",
                hint="nothing of this pull was taken; keep both signed checkpoints as "
                "evidence and ask the upstream's operator",
            ) from None
        except WitnessError as exc:
            raise self._failed(f"gave a checkpoint that does not verify: {exc.message}") from None
        described = new_state.to_dict()
        return Verified(
            size=new_state.size,
            root_hash=str(described["root_hash"]),
            origin=new_state.origin,
            note=note,
            cosignature=line,
        )

    def post_cosignature(self, verified: Verified) -> str | None:
        """Give the upstream this node's cosignature of ``verified``: its checkpoint with the
        log's own signature and the cosignature line. None once taken, else why not: a witness
        whose cosignature the upstream does not take (yet) still verified what it took."""
        try:
            text, signatures = parse_note(verified.note)
            own = "".join(
                s.to_line()
                for s in signatures
                if (s.name, s.key_id) == (self.key.name, self.key.key_id)
            )
            self._client.add_cosignature(f"{text}\n{own}{verified.cosignature}")
        except GaranteAPIError as exc:
            return f"the upstream refused this node's cosignature: {exc.code}: {exc.message}"
        except LedgerError as exc:
            return f"the kept checkpoint cannot be read: {exc}"
        except Exception as exc:  # httpx errors: unreachable, timed out
            return f"the upstream could not be reached to give it this node's cosignature: {exc}"
        return None

    def _older(self, last: Verified, note: str) -> Verified:
        """A checkpoint older than ``last`` (a receipt's, signed before): it must be signed
        with the log key and lead to ``last`` by a consistency proof; ``last`` stays."""
        try:
            text, _ = open_note(note, [self.key])
            older = Checkpoint.parse(text)
        except LedgerError as exc:
            raise self._failed(f"gave a checkpoint that does not verify: {exc}") from None
        encoded = self._client.consistency_proof(older.size, new=last.size)
        proof = [base64.b64decode(h, validate=True) for h in encoded.proof]
        try:
            verify_consistency(
                older.size, last.size, older.root_hash, base64.b64decode(last.root_hash), proof
            )
        except VerificationError as exc:
            raise UpstreamForked(
                f"the upstream log forked: its checkpoint at size {older.size} does not lead to "
                f"the one verified at size {last.size}, root {last.root_hash} ({exc})",
                field="url",
                hint="nothing of this pull was taken; keep both signed checkpoints as "
                "evidence and ask the upstream's operator",
            ) from None
        return last

    def unacknowledged_recalls(self) -> list[UnacknowledgedRecall]:
        """The upstream's recalls of releases it delivered to this node that the node has not
        acknowledged yet (the partner's own: ``/api/v1/recalls/unacknowledged``)."""
        try:
            return self._client.unacknowledged_recalls()
        except GaranteAPIError as exc:
            raise self._failed(f"gave no list of recalls: {exc.message}") from None
        except Exception as exc:  # httpx errors: unreachable, timed out
            raise self._failed(f"gave no list of recalls: {exc}") from None

    def acknowledge(
        self, *, ack_id: str, of: str, release: int, agency: str, at: str, signature: str
    ) -> str | None:
        """Send one signed acknowledgement through the upstream's write path: None once it is
        accepted (the same id and statement again is accepted once, so a retry after a lost
        answer is harmless), else what went wrong, to keep it for the next pull."""
        kind: Literal["delivery", "recall"] = "recall" if of == "recall" else "delivery"
        try:
            self._client.acknowledge(
                release, of=kind, agency=agency, signature=signature, ack_id=ack_id,
                acknowledged_at=at,
            )  # fmt: skip
        except GaranteAPIError as exc:
            return f"the upstream refused it: {exc.status} {exc.code}: {exc.message}"
        except Exception as exc:  # httpx errors: unreachable, timed out
            return f"the upstream could not be reached: {exc}"
        return None

    def _failed(self, what: str) -> UpstreamFailed:
        return UpstreamFailed(f"the upstream Garante at {self.url} {what}", field="url")


def _request(entry: str) -> int | None:
    """The release request a ``release.marked`` entry names."""
    try:
        request = json.loads(entry)["data"]["request"]
    except (ValueError, KeyError, TypeError):
        return None
    return request if type(request) is int else None


def _size(note: str) -> int:
    lines = note.split("\n")
    if len(lines) < 2 or not lines[1].isdigit():
        raise ValueError("its second line is not a tree size")
    return int(lines[1])
