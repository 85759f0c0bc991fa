"""What an item is: upstream STIX objects cut into the items Garante shares.

Garante decides and logs per item, so how upstream objects are cut into items decides what a
partner receives together and what a revocation recalls. The rule (DESIGN.md "Sources"):

- a ``report`` or ``grouping`` with the objects in its ``object_refs`` is one item, whatever
  the source's rule: its producer said those objects belong together;
- every other object follows the source's rule: one item per object (``PER_OBJECT``), or one
  item per upstream bundle (``PER_BUNDLE``) for what no report or grouping claims.

An item carries the marking and extension definitions its objects reference, so its markings
can be read and delivered with it. Objects a report names but the upstream did not send are
listed in ``missing_refs``: the caller decides whether to wait for them or ingest without.

Pure: plain JSON in, frozen values out.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from garante.canonical import Json
from garante.domain.errors import ValidationError
from garante.stix.markings import StixObject, normalise_timestamp

# Objects that describe other objects rather than being intelligence: never an item alone,
# carried by the items whose objects reference them.
_DEFINITIONS = frozenset({"marking-definition", "extension-definition"})
_CONTAINERS = frozenset({"report", "grouping"})


class Grouping(StrEnum):
    """How a source cuts the objects no report or grouping claims into items."""

    PER_OBJECT = "per-object"
    PER_BUNDLE = "per-bundle"


@dataclass(frozen=True, kw_only=True)
class UpstreamItem:
    """One item as the upstream has it.

    ``upstream_id`` is the report's or grouping's id, the object's id, or the bundle's id;
    ``version`` is its ``modified`` (else ``created``) exactly as the upstream wrote it (for a
    bundle, the latest of its objects'; empty for an object without one, as a STIX Cyber
    Observable, whose id already names its content). ``objects`` are the item's objects in
    upstream order, definitions they reference included. ``revoked`` says the upstream
    revoked it (for a bundle: every object in it that can be revoked is).
    """

    upstream_id: str
    version: str
    title: str
    objects: tuple[StixObject, ...]
    revoked: bool
    missing_refs: tuple[str, ...] = ()


def group_objects(
    objects: Sequence[StixObject], rule: Grouping, *, bundle_id: str | None = None
) -> list[UpstreamItem]:
    """The items in ``objects`` (one upstream bundle or page), in upstream order.

    An object sent in several versions is read in its latest. An object in two reports is in
    both items. ``bundle_id`` names the item ``PER_BUNDLE`` makes of unclaimed objects and is
    required for that rule.
    """
    latest = _latest_versions(objects)
    definitions = {oid: obj for oid, obj in latest.items() if _kind(obj) in _DEFINITIONS}
    claimed: set[str] = set()
    items: list[tuple[int, UpstreamItem]] = []
    order = {oid: index for index, oid in enumerate(latest)}
    for oid, obj in latest.items():
        if _kind(obj) not in _CONTAINERS:
            continue
        refs = _string_list(obj.get("object_refs"))
        members = [obj] + [latest[ref] for ref in dict.fromkeys(refs) if ref in latest]
        claimed.update(ref for ref in refs if ref in latest)
        missing = tuple(ref for ref in dict.fromkeys(refs) if ref not in latest)
        items.append(
            (
                order[oid],
                UpstreamItem(
                    upstream_id=oid,
                    version=_version(obj),
                    title=_title(obj),
                    objects=_with_definitions(members, definitions),
                    revoked=obj.get("revoked") is True,
                    missing_refs=missing,
                ),
            )
        )
    containers = {oid for oid, obj in latest.items() if _kind(obj) in _CONTAINERS}
    unclaimed = [
        obj
        for oid, obj in latest.items()
        if oid not in claimed and oid not in containers and _kind(obj) not in _DEFINITIONS
    ]
    if rule is Grouping.PER_OBJECT:
        for obj in unclaimed:
            oid = str(obj["id"])
            items.append(
                (
                    order[oid],
                    UpstreamItem(
                        upstream_id=oid,
                        version=_version(obj),
                        title=_title(obj),
                        objects=_with_definitions([obj], definitions),
                        revoked=obj.get("revoked") is True,
                    ),
                )
            )
    elif unclaimed:
        if bundle_id is None:
            raise ValidationError(
                "grouping per bundle needs the bundle's id",
                field="bundle_id",
                hint="pass the id of the upstream bundle the objects came in",
            )
        versions = [_version(obj) for obj in unclaimed if _version(obj)]
        revocable = [obj for obj in unclaimed if "created" in obj]
        items.append(
            (
                order[str(unclaimed[0]["id"])],
                UpstreamItem(
                    upstream_id=bundle_id,
                    version=max(versions, key=_instant) if versions else "",
                    title=f"{bundle_id} ({len(unclaimed)} objects)",
                    objects=_with_definitions(unclaimed, definitions),
                    revoked=bool(revocable) and all(o.get("revoked") is True for o in revocable),
                ),
            )
        )
    return [item for _, item in sorted(items, key=lambda pair: pair[0])]


def _latest_versions(objects: Sequence[StixObject]) -> dict[str, StixObject]:
    """Each object once, in its latest version, in the order ids first appear."""
    latest: dict[str, StixObject] = {}
    for obj in objects:
        oid = obj.get("id")
        if not isinstance(oid, str):
            raise ValidationError(
                "an upstream object has no id", field="objects", hint=f"object: {str(obj)[:200]}"
            )
        held = latest.get(oid)
        if held is None or _instant(_version(obj)) > _instant(_version(held)):
            latest[oid] = obj
    return latest


def _with_definitions(
    members: Sequence[StixObject], definitions: Mapping[str, StixObject]
) -> tuple[StixObject, ...]:
    """The members followed by the definitions any of them references (markings and
    extensions, and the markings of those definitions), each once."""
    out = {str(obj["id"]): obj for obj in members}
    pending = deque(members)
    while pending:
        obj = pending.popleft()
        for ref in _referenced_definitions(obj):
            if ref in definitions and ref not in out:
                out[ref] = definitions[ref]
                pending.append(definitions[ref])
    return tuple(out.values())


def _referenced_definitions(obj: StixObject) -> list[str]:
    refs = _string_list(obj.get("object_marking_refs"))
    granular = obj.get("granular_markings")
    if isinstance(granular, list):
        refs += [
            str(g["marking_ref"])
            for g in granular
            if isinstance(g, Mapping) and isinstance(g.get("marking_ref"), str)
        ]
    extensions = obj.get("extensions")
    if isinstance(extensions, Mapping):
        refs += [key for key in extensions if key.startswith("extension-definition--")]
    return refs


def _kind(obj: StixObject) -> str:
    """The object's ``type``; empty when the upstream sent something else there."""
    kind = obj.get("type")
    return kind if isinstance(kind, str) else ""


def _string_list(value: Json) -> list[str]:
    return [ref for ref in value if isinstance(ref, str)] if isinstance(value, list) else []


def _version(obj: StixObject) -> str:
    value = obj.get("modified") or obj.get("created")
    return value if isinstance(value, str) else ""


def _instant(version: str) -> str:
    """A version comparable as an instant, whatever precision the upstream wrote."""
    try:
        return normalise_timestamp(version) if version else ""
    except ValueError:
        return version


def _title(obj: StixObject) -> str:
    name = obj.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    value = obj.get("value")
    if isinstance(value, str) and value.strip():
        return f"{obj.get('type')} {value.strip()}"
    return str(obj["id"])
