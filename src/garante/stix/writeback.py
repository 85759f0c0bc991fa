"""What partners write back, in STIX 2.1: a ``note`` carrying Garante's write-back extension.

The extension (a property extension, like the trace extension) holds the signed ``statement``
(an acknowledgement, ``garante.acknowledgement/v1``, or an outcome report,
``garante.outcome/v1``) and the partner's Ed25519 ``signature`` (base64) over its RFC 8785
canonical bytes. The note's ``object_refs`` name the STIX objects it is about and its
``content`` says the same in words; only the statement counts, and only if it verifies.

Pure functions over plain JSON: ``note`` builds one, ``read`` reads one back as a
``SignedWrite`` (with ``problem`` saying what is wrong and what to do when it cannot).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from garante.canonical import Json
from garante.domain.acknowledgement import STATEMENT_TYPE as ACK_TYPE
from garante.domain.acknowledgement import Acknowledgement, SignedWrite
from garante.domain.consent import STATEMENT_TYPE as CONSENT_TYPE
from garante.domain.consent import ConsentRequest
from garante.domain.errors import GaranteError
from garante.domain.outcome import OutcomeReport
from garante.domain.timeutil import parse_time
from garante.signatures import decode_signature
from garante.stix.markings import StixObject, stix_time

WRITEBACK_EXTENSION_ID = "extension-definition--8dca5142-0ace-5718-a638-20303c5dc163"
OUTCOME_TYPE = "garante.outcome/v1"
_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_STIX_ID = re.compile(f"^[a-z0-9][a-z0-9-]*--{_UUID}$")
_HOW = (
    "write a STIX 2.1 note whose extensions hold "
    f"{WRITEBACK_EXTENSION_ID} with a statement and its signature (docs/taxii.md)"
)


def writeback_extension_definition(identity_id: str) -> StixObject:
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": WRITEBACK_EXTENSION_ID,
        "created_by_ref": identity_id,
        "created": "2025-01-01T00:00:00.000Z",
        "modified": "2025-01-01T00:00:00.000Z",
        "name": "Garante write-back",
        "description": "A partner's signed acknowledgement of a delivery or a recall, or its "
        "signed outcome report: `statement` (RFC 8785 canonical JSON is what is signed) and "
        "`signature` (base64 Ed25519 by the partner's registered key).",
        "schema": "https://garante.invalid/schemas/writeback-extension-v1.json",
        "version": "1.0.0",
        "extension_types": ["property-extension"],
    }


def note_id() -> str:
    return f"note--{uuid.uuid4()}"


def acknowledgement_statement(
    *, note: str, of: str, release: int, agency: str, at: datetime
) -> dict[str, Json]:
    """The statement a partner signs to acknowledge a delivery or a recall, carried by
    the note ``note``."""
    return Acknowledgement(
        id=note, kind=of, request_id=release, agency_id=agency, acknowledged_at=at
    ).statement()


def note(
    *,
    statement: Mapping[str, Json],
    signature: str,
    object_refs: Sequence[str],
    created: datetime,
    note_id: str | None = None,
    content: str | None = None,
) -> StixObject:
    """The note that carries a signed statement; an acknowledgement's note has the id its
    statement names."""
    stated = statement.get("id")
    oid = note_id or (stated if isinstance(stated, str) else None) or f"note--{uuid.uuid4()}"
    if content is None:
        if statement.get("type") == ACK_TYPE:
            content = f"{statement.get('agency')} acknowledges the {statement.get('of')} of "
            content += f"release {statement.get('release')}."
        else:
            content = f"{statement.get('agency')} reports the outcome of release "
            content += f"{statement.get('release')}: {statement.get('kind')}."
    when = stix_time(created)
    return {
        "type": "note",
        "spec_version": "2.1",
        "id": oid,
        "created": when,
        "modified": when,
        "content": content,
        "object_refs": list(object_refs),
        "extensions": {
            WRITEBACK_EXTENSION_ID: {
                "extension_type": "property-extension",
                "statement": dict(statement),
                "signature": signature,
            }
        },
    }


def read(obj: Any) -> SignedWrite:
    """One object of a write, as what it states and its signature, or what is wrong with it."""
    if not isinstance(obj, dict):
        return SignedWrite(object_id="", version="", problem=f"not a STIX object; {_HOW}")
    oid = obj.get("id") if isinstance(obj.get("id"), str) else ""
    version = obj.get("modified") if isinstance(obj.get("modified"), str) else ""
    problem = _problem(obj)
    if problem is not None:
        return SignedWrite(object_id=str(oid), version=str(version), problem=problem)
    extension = obj["extensions"][WRITEBACK_EXTENSION_ID]
    statement = extension["statement"]
    try:
        signature = decode_signature(extension["signature"], field="signature")
        content = _content(statement, str(oid))
    except GaranteError as exc:
        return SignedWrite(
            object_id=str(oid), version=str(version), problem=f"{exc.message}; {_HOW}"
        )
    if isinstance(content, str):
        return SignedWrite(object_id=str(oid), version=str(version), problem=content)
    return SignedWrite(
        object_id=str(oid), version=str(version), content=content, signature=signature
    )


def _problem(obj: dict[str, Any]) -> str | None:
    if obj.get("type") != "note":
        return f"type {obj.get('type')!r} is not taken here; {_HOW}"
    if obj.get("spec_version") != "2.1":
        return "spec_version must be 2.1"
    oid = obj.get("id")
    if not isinstance(oid, str) or not _STIX_ID.match(oid) or not oid.startswith("note--"):
        return "id must be note-- followed by a UUID"
    for name in ("created", "modified"):
        if not isinstance(obj.get(name), str):
            return f"{name} must be an RFC 3339 timestamp"
    if not isinstance(obj.get("content"), str):
        return "content must be text"
    refs = obj.get("object_refs")
    if (
        not isinstance(refs, list)
        or not refs
        or not all(isinstance(r, str) and _STIX_ID.match(r) for r in refs)
    ):
        return "object_refs must list the STIX ids the note is about (at least one)"
    extensions = obj.get("extensions")
    extension = extensions.get(WRITEBACK_EXTENSION_ID) if isinstance(extensions, dict) else None
    if not isinstance(extension, dict):
        return f"the note carries no Garante write-back extension; {_HOW}"
    if extension.get("extension_type") != "property-extension":
        return "the extension's extension_type must be property-extension"
    if not isinstance(extension.get("statement"), dict):
        return "the extension's statement must be a JSON object"
    if not isinstance(extension.get("signature"), str):
        return "the extension's signature must be base64 of the Ed25519 signature"
    return None


def _content(
    statement: dict[str, Any], oid: str
) -> Acknowledgement | OutcomeReport | ConsentRequest | str:
    """The statement as an acknowledgement, outcome report or consent request, or what is
    wrong with it."""
    kind = statement.get("type")
    fields: tuple[str, ...]
    if kind == CONSENT_TYPE:
        return _consent(statement)
    if kind == ACK_TYPE:
        fields = ("type", "id", "of", "release", "agency", "acknowledged_at")
    elif kind == OUTCOME_TYPE:
        fields = (
            "type", "release", "agency", "kind", "occurred_at", "casualties", "persons",
            "quantities", "place", "note",
        )  # fmt: skip
    else:
        return f"statement type {kind!r} is none of {ACK_TYPE}, {OUTCOME_TYPE}, {CONSENT_TYPE}"
    if sorted(statement) != sorted(fields):
        return f"a {kind} statement has exactly the fields {', '.join(fields)}"
    release = statement["release"]
    if type(release) is not int:
        return "the statement's release must be the release's number"
    if not isinstance(statement["agency"], str):
        return "the statement's agency must be your agency's id"
    content: Acknowledgement | OutcomeReport
    if kind == ACK_TYPE:
        if statement["id"] != oid:
            return "an acknowledgement's statement names the note that carries it (its id)"
        if not isinstance(statement["of"], str) or not isinstance(
            statement["acknowledged_at"], str
        ):
            return "the statement's of and acknowledged_at must be text"
        content = Acknowledgement(
            id=oid,
            kind=statement["of"],
            request_id=release,
            agency_id=statement["agency"],
            acknowledged_at=parse_time(statement["acknowledged_at"], field="acknowledged_at"),
        )
    else:
        problem = _outcome_problem(statement)
        if problem is not None:
            return problem
        content = OutcomeReport(
            request_id=release,
            agency_id=statement["agency"],
            kind=statement["kind"],
            occurred_at=parse_time(statement["occurred_at"], field="occurred_at"),
            casualties=statement["casualties"],
            persons=statement["persons"],
            quantities={k: float(v) for k, v in statement["quantities"].items()},
            place=statement["place"],
            note=statement["note"],
        )
    if content.statement() != statement:
        return (
            "the statement is not in its one form (times as 2025-11-11T21:00:00Z, to the "
            "second); sign the form docs/taxii.md shows"
        )
    return content


def _consent(statement: dict[str, Any]) -> ConsentRequest | str:
    """A consent request to share onward (issue 21), or what is wrong with it."""
    fields = ("type", "id", "agency", "release", "recipient", "country", "purpose", "requested_at")
    if sorted(statement) != sorted(fields):
        return f"a {CONSENT_TYPE} statement has exactly the fields {', '.join(fields)}"
    if type(statement["release"]) is not int:
        return "the statement's release must be the release's number"
    texts = [n for n in fields if n != "release" and not isinstance(statement[n], str)]
    if texts:
        return f"the statement's {texts[0]} must be text"
    content = ConsentRequest(
        id=statement["id"],
        agency_id=statement["agency"],
        release=statement["release"],
        recipient=statement["recipient"],
        country=statement["country"],
        purpose=statement["purpose"],
        requested_at=parse_time(statement["requested_at"], field="requested_at"),
    )
    if content.statement() != statement:
        return (
            "the statement is not in its one form (times as 2025-11-11T21:00:00Z, to the "
            "second); sign the form docs/taxii.md shows"
        )
    return content


def _outcome_problem(statement: dict[str, Any]) -> str | None:
    for name in ("kind", "occurred_at", "place", "note"):
        if not isinstance(statement[name], str):
            return f"the statement's {name} must be text"
    for name in ("casualties", "persons"):
        if type(statement[name]) is not int:
            return f"the statement's {name} must be a whole number"
    quantities = statement["quantities"]
    if not isinstance(quantities, dict) or not all(
        type(v) in (int, float) for v in quantities.values()
    ):
        return "the statement's quantities must map names to numbers"
    return None
