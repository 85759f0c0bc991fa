"""MISP events and feeds read as STIX 2.1, one event one item.

A MISP instance publishes its events as MISP JSON (an export, or a feed: ``manifest.json``
beside one ``<uuid>.json`` per event). Garante shares STIX 2.1, so each event is converted
with misp-stix, the MISP project's own converter, rather than a mapping of Garante's that
would drift from MISP's. What the conversion does not carry as STIX and Garante needs is kept
beside it: the event's uuid and ``timestamp`` (the upstream id and version), whether it is
published or deleted, and its tags and galaxy tags (for ``read_markings`` and the mapping
rules).

Malformed input is refused with a ``ValidationError`` that names what is wrong, before the
converter sees it, and whatever the converter records as an error refuses the event too: an
event is ingested whole or not at all. Reading is pure but for ``read_feed``, which reads
files (or, for a URL, fetches them).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from garante.domain.errors import ValidationError
from garante.sources.grouping import UpstreamItem
from garante.stix.markings import StixObject

_TRUE = frozenset({True, "1", "true", "True"})
_FALSE = frozenset({False, "0", "false", "False", None})


@dataclass(frozen=True, kw_only=True)
class MispConverted:
    """One MISP event as one upstream item: its STIX 2.1 bundle and what MISP said beside it.

    ``version`` is the event's ``timestamp`` as MISP wrote it (seconds since the epoch; it
    changes whenever the event does). ``tags`` are the event's own tags, ``galaxy_tags`` the
    tag names of its galaxy clusters: both go to ``read_markings`` and the mapping rules.
    """

    event_uuid: str
    version: str
    title: str
    published: bool
    deleted: bool
    tags: tuple[str, ...]
    galaxy_tags: tuple[str, ...]
    bundle: StixObject
    warnings: tuple[str, ...] = ()
    # Every object was built by the stix2 library (misp-stix builds them so), none with custom
    # content: building them ran the checks ``stix2.parse`` would run on them again.
    stix_built: bool = False

    @property
    def objects(self) -> tuple[StixObject, ...]:
        objects = self.bundle.get("objects")
        return tuple(o for o in objects if isinstance(o, dict)) if isinstance(objects, list) else ()

    @property
    def marking_tags(self) -> tuple[str, ...]:
        """The tags ``read_markings`` should read for this event."""
        return self.tags + tuple(t for t in self.galaxy_tags if t not in self.tags)

    @property
    def version_time(self) -> datetime:
        return datetime.fromtimestamp(int(self.version), UTC)

    def item(self) -> UpstreamItem:
        """The event as an item: a MISP event is one item, its deletion a revocation."""
        return UpstreamItem(
            upstream_id=self.event_uuid,
            version=self.version,
            title=self.title,
            objects=self.objects,
            revoked=self.deleted,
        )


def load_event(text: str | bytes, *, where: str = "the MISP event") -> Mapping[str, Any]:
    """MISP event JSON text as a mapping, or a ``ValidationError`` saying where it breaks."""
    try:
        loaded = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError(
            f"{where} is not JSON: {exc}",
            field="event",
            hint="a MISP event is a JSON object, as MISP exports it",
        ) from None
    if not isinstance(loaded, dict):
        raise ValidationError(
            f"{where} is JSON but not an object", field="event", hint="export the event as JSON"
        )
    return loaded


def event_to_bundle(event_json: Mapping[str, Any]) -> MispConverted:
    """Convert one MISP event (``{"Event": {...}}`` or the event itself) to STIX 2.1.

    The bundle comes from misp-stix's ``MISPtoSTIX21Parser``: the event becomes a ``report``
    (published) or ``grouping`` (not yet) whose ``object_refs`` hold what its attributes and
    objects became, and its ``tlp:`` tags marking definitions.
    """
    event = _check_event(event_json)
    from misp_stix_converter import MISPtoSTIX21Parser  # a heavy import, paid on first use

    parser = MISPtoSTIX21Parser()
    try:
        parser.parse_misp_event({"Event": event})
        built = parser.bundle  # a property that builds a new Bundle each time it is read
        bundle = json.loads(built.serialize())
    except Exception as exc:  # the converter's own failure, whatever its type: never a trace
        raise ValidationError(
            f"misp-stix could not convert event {event['uuid']}: {exc}",
            field="event",
            hint="check the event's attributes and objects against MISP's types",
        ) from None
    errors = [
        f"{where}: {message}" for where, messages in parser.errors.items() for message in messages
    ]
    if errors:
        raise ValidationError(
            f"misp-stix could not convert all of event {event['uuid']}: " + "; ".join(errors[:5]),
            field="event",
            hint="an event is ingested whole or not at all: correct it upstream",
        )
    warnings = tuple(
        f"{where}: {message}" for where, messages in parser.warnings.items() for message in messages
    )
    return MispConverted(
        event_uuid=str(event["uuid"]),
        version=str(event["timestamp"]),
        title=str(event["info"]),
        published=_flag(event.get("published")) is True,
        deleted=_flag(event.get("deleted")) is True,
        tags=_tag_names(event.get("Tag")),
        galaxy_tags=_galaxy_tags(event.get("Galaxy"), _tag_names(event.get("Tag"))),
        bundle=bundle,
        warnings=warnings,
        stix_built=_built_without_custom(built),
    )


def _built_without_custom(bundle: Any) -> bool:
    """Whether misp-stix's bundle is stix2 objects all through, none with custom content (a
    custom object or property, which ``stix2.parse`` without ``allow_custom`` refuses): then
    constructing them was the validation. Anything else is validated again in full."""
    objects = getattr(bundle, "objects", None)
    if getattr(bundle, "has_custom", True) or not isinstance(objects, list):
        return False
    return all(getattr(obj, "has_custom", True) is False for obj in objects)


def _check_event(event_json: Mapping[str, Any]) -> dict[str, Any]:
    """The event's own mapping, checked for what conversion and ingest rely on."""
    if not isinstance(event_json, Mapping):
        raise ValidationError("a MISP event must be a JSON object", field="event")
    event = event_json.get("Event", event_json)
    if not isinstance(event, Mapping):
        raise ValidationError("'Event' must be a JSON object", field="Event")
    event = dict(event)
    raw_uuid = event.get("uuid")
    if not isinstance(raw_uuid, str) or not _is_uuid(raw_uuid):
        raise ValidationError(
            f"the event's uuid {_short(event.get('uuid'))} is not a UUID",
            field="Event.uuid",
            hint="every MISP event has a uuid: it is the item's upstream id",
        )
    where = f"event {raw_uuid}"
    if not isinstance(event.get("info"), str) or not event["info"].strip():
        raise ValidationError(f"{where} has no info (its title)", field="Event.info")
    timestamp = event.get("timestamp")
    if isinstance(timestamp, bool) or not (
        isinstance(timestamp, int) or (isinstance(timestamp, str) and timestamp.isdigit())
    ):
        raise ValidationError(
            f"{where} has timestamp {_short(timestamp)}, not seconds since the epoch",
            field="Event.timestamp",
            hint="the timestamp is the event's version: without it a change cannot be seen",
        )
    orgc = event.get("Orgc")
    if not isinstance(orgc, Mapping) or not isinstance(orgc.get("name"), str):
        raise ValidationError(
            f"{where} has no creating organisation (Orgc with a name)", field="Event.Orgc"
        )
    for flag in ("published", "deleted"):
        if _flag(event.get(flag)) is None:
            raise ValidationError(
                f"{where} has {flag} {_short(event.get(flag))}, not true or false",
                field=f"Event.{flag}",
            )
    _check_list(event, "Tag", where, lambda tag: isinstance(tag.get("name"), str), "a name")
    _check_list(event, "Galaxy", where, lambda g: _is_list(g.get("GalaxyCluster", [])), "clusters")
    _check_list(
        event,
        "Attribute",
        where,
        lambda a: isinstance(a.get("type"), str) and isinstance(a.get("value"), str | int | float),
        "a type and a value",
    )
    _check_list(
        event,
        "Object",
        where,
        lambda o: isinstance(o.get("name"), str) and _is_list(o.get("Attribute", [])),
        "a name and a list of attributes",
    )
    return event


def _flag(value: object) -> bool | None:
    """A MISP boolean (true, "1", 0...) as a bool; None for anything else."""
    if isinstance(value, bool | int | str) or value is None:
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
    return None


def _short(value: object, limit: int = 80) -> str:
    """A value in a message, cut so that hostile input cannot flood it."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _is_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(entry, Mapping) for entry in value)


def _check_list(
    event: Mapping[str, Any],
    key: str,
    where: str,
    valid: Callable[[Mapping[str, Any]], bool],
    needs: str,
) -> None:
    entries = event.get(key)
    if entries is None:
        return
    if not isinstance(entries, list):
        raise ValidationError(f"{where}: {key} must be a list", field=f"Event.{key}")
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping) or not valid(entry):
            raise ValidationError(
                f"{where}: {key}[{index}] needs {needs}", field=f"Event.{key}[{index}]"
            )


def _tag_names(tags: object) -> tuple[str, ...]:
    if not isinstance(tags, list):
        return ()
    names = (tag.get("name") for tag in tags if isinstance(tag, Mapping))
    return tuple(dict.fromkeys(name for name in names if isinstance(name, str)))


def _galaxy_tags(galaxies: object, tags: tuple[str, ...]) -> tuple[str, ...]:
    """The tag names of the event's galaxy clusters: from its ``Galaxy`` list (an export) and
    its ``misp-galaxy:`` tags (a feed carries galaxies as tags only)."""
    names = [tag for tag in tags if tag.startswith("misp-galaxy:")]
    if not isinstance(galaxies, list):
        return tuple(names)
    for galaxy in galaxies:
        clusters = galaxy.get("GalaxyCluster") if isinstance(galaxy, Mapping) else None
        for cluster in clusters if isinstance(clusters, list) else []:
            name = cluster.get("tag_name") if isinstance(cluster, Mapping) else None
            if isinstance(name, str):
                names.append(name)
    return tuple(dict.fromkeys(names))


# --- Feeds -------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FeedEntry:
    """One event a feed's manifest lists: its uuid, version (``timestamp``) and title."""

    uuid: str
    timestamp: str
    info: str


@dataclass(frozen=True, kw_only=True)
class MispFeed:
    """A MISP feed's manifest, and a way to read each event it lists.

    The manifest says which events changed (a newer ``timestamp``) without reading them, so a
    pull converts only those; an event that left the manifest is one the upstream no longer
    publishes.
    """

    location: str
    entries: tuple[FeedEntry, ...]
    _read: Callable[[str], bytes] = field(repr=False, compare=False)

    def event(self, event_uuid: str) -> MispConverted:
        """The event ``event_uuid`` of the feed, converted."""
        where = f"{self.location}/{event_uuid}.json"
        converted = event_to_bundle(load_event(self._read(f"{event_uuid}.json"), where=where))
        if converted.event_uuid != event_uuid:
            raise ValidationError(
                f"{where} holds event {converted.event_uuid}, not {event_uuid}",
                field="Event.uuid",
            )
        return converted

    def events(self) -> Iterator[MispConverted]:
        for entry in self.entries:
            yield self.event(entry.uuid)


def read_feed(location: str | Path, *, fetch: Callable[[str], bytes] | None = None) -> MispFeed:
    """Read a MISP feed's manifest from a directory or from an http(s) URL.

    A directory is read as files. A URL is read with ``fetch`` (a URL's bytes: the caller's
    HTTP client, with its credentials, timeouts and retries, as ``http_fetch`` makes one);
    its failures (``httpx.HTTPError``) are the caller's to report and retry, as they are for
    any upstream that does not answer.
    """
    text = str(location)
    if text.startswith(("http://", "https://")):
        if fetch is None:
            raise ValidationError(
                f"reading the feed at {text} needs an HTTP client",
                field="location",
                hint="pass fetch=http_fetch(client)",
            )
        base, get = text.rstrip("/"), fetch

        def read(name: str) -> bytes:
            return get(f"{base}/{name}")
    else:
        directory = Path(location)
        if not directory.is_dir():
            raise ValidationError(
                f"{directory} is not a directory", field="location", hint="a MISP feed's folder"
            )

        def read(name: str) -> bytes:
            try:
                return (directory / name).read_bytes()
            except FileNotFoundError:
                raise ValidationError(
                    f"{directory} has no {name}",
                    field="location",
                    hint="a MISP feed holds manifest.json and one <uuid>.json per event",
                ) from None

    manifest = load_event(read("manifest.json"), where=f"{text}/manifest.json")
    return MispFeed(location=text, entries=_entries(manifest, text), _read=read)


def http_fetch(client: httpx.Client) -> Callable[[str], bytes]:
    """``fetch`` for ``read_feed`` over ``client``: a URL's body, or ``httpx.HTTPError`` (no
    answer, or an answer other than 200)."""

    def fetch(url: str) -> bytes:
        response = client.get(url)
        response.raise_for_status()
        return response.content

    return fetch


def _entries(manifest: Mapping[str, Any], where: str) -> tuple[FeedEntry, ...]:
    entries: list[FeedEntry] = []
    for key, entry in manifest.items():
        if not _is_uuid(key):
            raise ValidationError(
                f"{where}/manifest.json lists {key!r}, which is not an event uuid",
                field="manifest",
            )
        timestamp = entry.get("timestamp") if isinstance(entry, Mapping) else None
        if isinstance(timestamp, bool) or not (
            isinstance(timestamp, int) or (isinstance(timestamp, str) and timestamp.isdigit())
        ):
            raise ValidationError(
                f"{where}/manifest.json gives event {key} no timestamp", field="manifest"
            )
        info = entry.get("info") if isinstance(entry, Mapping) else None
        entries.append(FeedEntry(uuid=key, timestamp=str(timestamp), info=str(info or "")))
    return tuple(entries)
