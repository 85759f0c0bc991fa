"""What a delivered STIX object carries: TLP 2.0, the undertaking's terms, a trace token.

Pure functions over plain JSON dicts. Objects were validated with the stix2 library once, when
their item was added; here they are only copied and marked, never parsed again.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias, TypeVar

from garante.canonical import Json, canonical
from garante.domain.undertaking import Undertaking
from garante.domain.vocabulary import Tlp

# A STIX 2.1 object as JSON: what a bundle holds and a feed serves.
StixObject: TypeAlias = dict[str, Json]

# The TLP 2.0 marking definitions of the OASIS "TLP 2.0 marking definition" property extension;
# the same UUIDs are the official TLPv2 markings of CACAO (oasis-tcs/cacao, Data-Markings).
TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_MARKING_IDS = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
_TLP2_CREATED = "2022-10-01T00:00:00.000Z"

# The four TLP 1.0 marking definitions of the STIX 2.1 specification (section 7.2.1.4).
TLP1_MARKING_IDS: dict[str, Tlp] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": Tlp.CLEAR,  # TLP:WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": Tlp.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": Tlp.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": Tlp.RED,
}
# What a stand-in states in place of a definition the validators cannot read (see below).
_STAND_IN = {"statement": "a marking definition that Garante reads itself"}

# Garante's own names: a fixed namespace, so ids are the same on every server and replay.
_NAMESPACE = uuid.UUID("8a5c1f0e-6a3b-5d8e-9b0c-67617261e7e1")
TRACE_EXTENSION_ID = f"extension-definition--{uuid.uuid5(_NAMESPACE, 'trace-extension/v1')}"
TRACE_PROPERTY = "trace_token"
_O = TypeVar("_O")
_NOT_MARKED = frozenset({"marking-definition", "extension-definition", "language-content"})


def stix_time(value: datetime) -> str:
    """STIX timestamp with millisecond precision, as most producers write it."""
    value = value.astimezone(UTC)
    return f"{value.year:04d}-{value:%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}Z"


def taxii_time(value: datetime) -> str:
    """TAXII date_added: microsecond precision, so that resuming from one never skips another."""
    at = value.astimezone(UTC)
    return f"{at.year:04d}-{at:%m-%dT%H:%M:%S.%f}Z"  # %Y would not pad a year before 1000


def tlp_marking(tlp: Tlp) -> StixObject:
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP2_MARKING_IDS[tlp],
        "created": _TLP2_CREATED,
        "name": f"TLP:{tlp.value.upper()}",
        "extensions": {
            TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": tlp.value}
        },
    }


def operator_identity(name: str) -> StixObject:
    """The operator that marks and delivers, named as the creator of Garante's definitions."""
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": f"identity--{uuid.uuid5(_NAMESPACE, 'operator:' + name)}",
        "created": "2025-01-01T00:00:00.000Z",
        "modified": "2025-01-01T00:00:00.000Z",
        "name": name,
        "identity_class": "organization",
    }


def trace_extension_definition(identity_id: str) -> StixObject:
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": TRACE_EXTENSION_ID,
        "created_by_ref": identity_id,
        "created": "2025-01-01T00:00:00.000Z",
        "modified": "2025-01-01T00:00:00.000Z",
        "name": "Garante release trace",
        "description": "A token that names the release a copy of this object was delivered "
        "under; `garante trace FILE` resolves it to the partner, item and undertaking.",
        "schema": "https://garante.invalid/schemas/trace-extension-v1.json",
        "version": "1.0.0",
        "extension_types": ["property-extension"],
    }


@functools.lru_cache(maxsize=16_384)
def statement_marking_id(undertaking_id: str) -> str:
    """The id of an undertaking's statement marking (``statement_marking``), from its id alone.

    Kept per undertaking: a fan-out asks it twice per release, and a UUIDv5 is a SHA-1."""
    return f"marking-definition--{uuid.uuid5(_NAMESPACE, 'undertaking:' + undertaking_id)}"


def statement_marking(undertaking: Undertaking, identity_id: str) -> StixObject:
    """The undertaking's terms as a statement marking, so they travel with every object."""
    terms = [f"permits {', '.join(sorted(undertaking.permits))}"]
    if undertaking.prohibits:
        terms.append(f"never for {', '.join(sorted(undertaking.prohibits))}")
    if undertaking.protections:
        terms.append(f"with {', '.join(sorted(undertaking.protections))}")
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": statement_marking_id(undertaking.id),
        "created": stix_time(undertaking.valid_from),
        "created_by_ref": identity_id,
        "name": f"Use undertaking {undertaking.id}",
        "definition_type": "statement",
        "definition": {
            "statement": f"Released under use undertaking {undertaking.id} of "
            f"{undertaking.agency_id}: " + "; ".join(terms) + "."
        },
    }


def object_id(obj: StixObject) -> str:
    """The object's ``id`` (every STIX object has one; the bundle was validated on entry)."""
    return str(obj["id"])


def is_marked(obj: StixObject) -> bool:
    """Whether a release marks ``obj`` (and puts its trace token on it): definitions are not."""
    return obj.get("type") not in _NOT_MARKED


def mark(
    obj: StixObject,
    marking_ids: list[str],
    trace_token: str,
    entry: LogEntryRef | None = None,
) -> StixObject:
    """A copy of ``obj`` carrying the release's markings and its trace token, and ``entry``,
    the log entry that released it (``LOG_INDEX``, ``LOG_ORIGIN``)."""
    if not is_marked(obj):
        return dict(obj)
    marked = dict(obj)
    listed = obj.get("object_marking_refs")
    refs = [ref for ref in listed if isinstance(ref, str)] if isinstance(listed, list) else []
    marked["object_marking_refs"] = refs + [m for m in marking_ids if m not in refs]
    given = obj.get("extensions")
    extensions: dict[str, Json] = dict(given) if isinstance(given, dict) else {}
    trace: dict[str, Json] = {"extension_type": "property-extension", TRACE_PROPERTY: trace_token}
    if entry is not None:
        trace[LOG_INDEX] = entry.index
        if entry.origin is not None:
            trace[LOG_ORIGIN] = entry.origin
    extensions[TRACE_EXTENSION_ID] = trace
    marked["extensions"] = extensions
    return marked


# -- receipts -------------------------------------------------------------------------------

LOG_INDEX = "log_index"  # the trace extension's property naming the release's log entry
LOG_ORIGIN = "log_origin"  # and the origin line of the log's checkpoints


@dataclass(frozen=True, slots=True)
class LogEntryRef:
    """The log entry that released a delivered object: its index, in the log of ``origin``."""

    index: int
    origin: str | None


def trace_of(obj: StixObject) -> dict[str, Json] | None:
    """The object's trace extension, if it carries one."""
    given = obj.get("extensions")
    found = given.get(TRACE_EXTENSION_ID) if isinstance(given, dict) else None
    return found if isinstance(found, dict) else None


def entry_of(obj: StixObject) -> LogEntryRef | None:
    """The log entry a delivered object names (None for objects delivered before receipts)."""
    trace = trace_of(obj)
    index = trace.get(LOG_INDEX) if trace is not None else None
    if trace is None or type(index) is not int:
        return None
    origin = trace.get(LOG_ORIGIN)
    return LogEntryRef(index, origin if isinstance(origin, str) else None)


def content_digest(obj: StixObject) -> str:
    """SHA-256 (hex) of the object's content as its originator shared it: its canonical JSON
    without what a release adds or changes (``object_marking_refs`` and the trace extension).
    The same for the item's object and for every copy of it a release delivers, so a release's
    entry can name it before its copies are marked, and a marking changed later (restored under
    another undertaking) leaves it as it was."""
    content = {k: v for k, v in obj.items() if k != "object_marking_refs"}
    given = obj.get("extensions")
    if isinstance(given, dict):
        kept = {k: v for k, v in given.items() if k != TRACE_EXTENSION_ID}
        if kept:
            content["extensions"] = kept
        else:
            del content["extensions"]
    return hashlib.sha256(canonical(content)).hexdigest()


def revoked_version(obj: StixObject, at: datetime) -> StixObject:
    """The next version of ``obj``, revoked (STIX 2.1 versioning: a later ``modified``)."""
    revoked = dict(obj)
    revoked["revoked"] = True
    previous = datetime.fromisoformat(version_of(obj).replace("Z", "+00:00"))
    # Never a version that sorts before the one it replaces, whatever the clock says.
    revoked["modified"] = stix_time(max(at, previous + timedelta(milliseconds=1)))
    return revoked


def version_of(obj: StixObject) -> str:
    """The object's version (``modified``, else ``created``) as a fixed-width UTC timestamp.

    Fixed width (microseconds, Z) so that versions compare as instants whatever precision the
    producer wrote: ``2025-10-20T12:00:00Z`` and ``2025-10-20T12:00:00.000Z`` are one version.
    """
    return normalise_timestamp(
        str(obj.get("modified") or obj.get("created") or "1970-01-01T00:00:00Z")
    )


def normalise_timestamp(text: str) -> str:
    """An RFC 3339 timestamp as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (ValueError if not one)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return taxii_time(value)


def find_trace_tokens(document: Any) -> list[str]:
    """Every trace token in a STIX document (object, bundle, TAXII envelope, or list)."""
    found: list[str] = []
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            extension = (
                node.get("extensions", {}).get(TRACE_EXTENSION_ID)
                if isinstance(node.get("extensions"), dict)
                else None
            )
            if isinstance(extension, dict) and isinstance(extension.get(TRACE_PROPERTY), str):
                found.append(extension[TRACE_PROPERTY])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return sorted(set(found))


def needs_stand_in(obj: StixObject) -> bool:
    """Whether ``obj`` is a marking definition the STIX validators refuse that Garante reads.

    The ``stix2`` library builds only ``statement`` definitions and the four TLP 1.0 ones
    under their own ids; the OASIS validator refuses a ``tlp`` definition under any other id.
    Upstreams send others all the same (a ``PAP`` definition, a TLP definition under their
    own id, ``{"TLP": "TLP:AMBER+STRICT"}``), and STIX 2.1 allows any ``definition_type``.
    Refusing them would drop the item with its markings; taking them is what lets
    ``sources.markings`` map them, or hold the item for review when it cannot.
    """
    return (
        obj.get("type") == "marking-definition"
        and isinstance(obj.get("definition_type"), str)
        and isinstance(obj.get("definition"), dict)
        and obj["definition_type"] != "statement"
        and not (obj["definition_type"] == "tlp" and obj.get("id") in TLP1_MARKING_IDS)
    )


def validation_view(objects: Sequence[_O]) -> Sequence[_O | StixObject]:
    """``objects`` as the validators are to check them: each marking definition that
    ``needs_stand_in`` replaced by a stand-in, a ``statement`` definition with every other
    property of it (its id, dates, name, references, extensions), so those are checked as
    they would be. Only the check sees the stand-in: the item keeps the original, delivered
    as it came. The list itself is returned when nothing needs standing in."""
    if not any(isinstance(o, dict) and needs_stand_in(o) for o in objects):
        return objects
    return [
        {**o, "definition_type": "statement", "definition": dict(_STAND_IN)}
        if isinstance(o, dict) and needs_stand_in(o)
        else o
        for o in objects
    ]
