"""Sources: where items come from, and taking one upstream version as an item.

A source is added, paused, resumed and removed by an analyst of its originating agency (or the
operator), each change logged. Each upstream version a pull takes is one transaction: the item
(added as ``garante items add`` adds one, validated and committed to, and fanned out to the
standing agreements in force), its provenance row and both entries commit together, or none of
them does; there is no half-ingested item.

What an upstream version becomes:
- a version never taken of an upstream id never taken: a new item (``item.added`` then
  ``item.ingested``), held for review if its markings could not be read without loss;
- the same (source, upstream id, version) again: nothing (a unique key says so);
- a later version of an upstream id that already made an item: the item's next version
  (``item.revised``, its content, TLP, review reasons, and the category and region the
  source's mapping gives it the item's now, the version's
  opening kept as its history); each standing release of the item is decided again at it:
  still released, the partner's feed gets the new versions of the objects (and revoked
  versions of those the new version dropped); held now (held for review, an order), it is
  kept, withheld: the partner keeps what it fetched, and gets the new version once a later
  change releases it; denied now (TLP:RED), it is recalled from that partner, with why;
- a revoked version (STIX ``revoked``, a MISP event's ``deleted`` flag): the item is revoked
  (``item.revoked``), recalled from every partner with the source as the reason, and denied
  from then on (rule ``2.revoked``);
- a version older than the item's current one (a page read out of order), or any version of
  a revoked item: recorded with its content (``source.version-seen``), never applied.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from garante.domain.decision import Outcome
from garante.domain.errors import (
    AlreadyExists,
    InvalidKey,
    InvalidState,
    NotEntitled,
    SourceNotAllowed,
    SourceNotFound,
    UpstreamFailed,
    ValidationError,
)
from garante.domain.events import (
    ItemIngested,
    ItemRevised,
    ItemRevoked,
    SourceAdded,
    SourcePaused,
    SourceRemoved,
    SourceResumed,
    UpstreamVersionSeen,
)
from garante.domain.numbers import MAX_INTERVAL, MIN_INTERVAL
from garante.domain.roles import Principal, Role
from garante.domain.timeutil import utc
from garante.domain.vocabulary import Tlp, suggest
from garante.ledger.errors import LedgerError
from garante.ledger.note import VerifierKey
from garante.policy.decide import decide
from garante.service import fanout, feed, items, lookup
from garante.service.releases import DecidedRequest, as_request, redecide_held
from garante.service.transaction import Reading, Transaction
from garante.signatures import canonical, encode_public_key, public_key_bytes
from garante.sources.grouping import Grouping
from garante.sources.mapping import MappingRule, check_rules
from garante.stix.markings import StixObject
from garante.store import feed as stored_feed
from garante.store import items as stored_items
from garante.store import requests as stored_requests
from garante.store import sources as store
from garante.store.schema import ItemRow, SourceIngestRow, SourceRow
from garante.store.session import flush
from garante.upstream.reach import Reach


class SourceKind(StrEnum):
    TAXII = "taxii"  # a TAXII 2.1 collection (url: its API root)
    MISP_FEED = "misp-feed"  # a MISP feed (url: its directory, or its http(s) URL)
    FOLDER = "folder"  # a directory of STIX 2.1 bundle files (url: the directory)
    GARANTE = "garante"  # another Garante's partner feed (url: the server; log_key required)


class SourceAuth(StrEnum):
    NONE = "none"
    BASIC = "basic"
    BEARER = "bearer"


MAX_ID = 32  # an item a source makes is "<source>-<24 hex>", within an id's 64 characters


def credentials_commitment(
    salt: bytes | None, username: str | None, secret: str | None
) -> str | None:
    """SHA-256 over salt, username and secret: the log can show credentials were set and
    changed, never what they are. None for a source without credentials."""
    if salt is None:
        return None
    digest = hashlib.sha256()
    digest.update(salt)
    digest.update(canonical({"username": username, "secret": secret}))
    return digest.hexdigest()


def source(tx: Reading, source_id: str) -> SourceRow:
    row = store.get(tx.session, source_id)
    if row is None:
        raise SourceNotFound(
            f"no source '{source_id}'",
            field="source",
            hint=suggest(source_id, store.ids(tx.session)),
        )
    return row


def managed_by(who: Principal, row: SourceRow) -> None:
    """An analyst manages and pulls the sources of its own agency only."""
    if who.role == Role.ANALYST and who.agency_id != row.originator:
        raise NotEntitled(
            f"source '{row.id}' brings items of agency '{row.originator}', not of "
            f"'{who.agency_id}'",
            field="source",
        )


def add_source(
    tx: Transaction,
    who: Principal,
    *,
    source_id: str,
    kind: str,
    url: str,
    collection: str | None,
    auth: str,
    username: str | None,
    secret: str | None,
    originator: str | None,
    interval: int,
    grouping: str,
    category: str,
    region: str,
    tlp: str,
    mapping: Mapping[str, Any] | None,
    log_key: str | None = None,
    signing_key: str | None = None,
) -> SourceRow:
    """A new source. ``signing_key`` (a ``garante`` source only): the node agency's Ed25519
    private key in PEM, with which the node acknowledges its upstream by itself; kept in the
    store as the secret is, never logged, never shown."""
    session = tx.session
    lookup.slug(source_id, field="id")
    if len(source_id) > MAX_ID:
        raise ValidationError(
            f"a source id has at most {MAX_ID} characters", field="id", hint="shorten it"
        )
    if store.get(session, source_id) is not None:
        raise AlreadyExists(
            f"source '{source_id}' already exists (or existed: a removed id is not reused, "
            "since its items name it)",
            field="id",
        )
    kind = _member(SourceKind, kind, "kind")
    auth = _member(SourceAuth, auth, "auth")
    grouping = _member(Grouping, grouping, "grouping")
    _check_location(kind, url, collection)
    log_key = _check_log_key(kind, auth, log_key)
    if signing_key is not None:
        if kind != SourceKind.GARANTE:
            raise ValidationError(
                f"a {kind} source acknowledges nothing upstream: it takes no signing key",
                field="signing_key",
                hint="leave it out; only a garante source signs acknowledgements",
            )
        ack_key: str | None = encode_public_key(
            public_key_bytes(private_key(signing_key).public_key())
        )
    else:
        ack_key = None
    if _is_directory(kind, url) and auth != SourceAuth.NONE:
        raise ValidationError(
            "a directory is read as files: it takes no authentication",
            field="auth",
            hint="--auth none",
        )
    if auth == SourceAuth.NONE and (username or secret):
        raise ValidationError(
            "credentials given for a source without authentication",
            field="auth",
            hint="--auth basic or --auth bearer",
        )
    if auth == SourceAuth.BASIC and not (username and secret):
        raise ValidationError(
            "basic authentication needs a username and a password", field="secret"
        )
    if auth == SourceAuth.BEARER and (not secret or username):
        raise ValidationError("bearer authentication needs a token and no username", field="secret")
    if who.role == Role.ANALYST:
        if originator is not None and originator != who.agency_id:
            raise NotEntitled(
                f"this token adds sources for agency '{who.agency_id}', not '{originator}'",
                field="originator",
            )
        originator = who.agency_id
    if originator is None:
        raise ValidationError(
            "name the agency whose items the source brings",
            field="originator",
            hint="--originator ID",
        )
    lookup.agency(session, originator, field="originator")
    if interval < MIN_INTERVAL:
        raise ValidationError(f"pull at most every {MIN_INTERVAL} seconds", field="interval")
    if interval > MAX_INTERVAL:
        raise ValidationError(
            f"pull at least every {MAX_INTERVAL} seconds (366 days)", field="interval"
        )
    tx.vocabulary.check("categories", [category], field_name="category")
    tx.vocabulary.check("regions", [region], field_name="region")
    if tlp not in set(Tlp):
        raise ValidationError(
            f"unknown TLP marking '{tlp}'", field="tlp", hint=suggest(tlp, [t.value for t in Tlp])
        )
    plain_mapping = dict(mapping or {})
    check_rules(mapping_rules(plain_mapping), tx.vocabulary)
    salt = os.urandom(16) if auth != SourceAuth.NONE else None
    row = store.add(
        session,
        source_id=source_id,
        kind=kind,
        url=url,
        collection=collection,
        auth=auth,
        username=username,
        secret=secret,
        credentials_salt=salt,
        originator=originator,
        interval=interval,
        grouping=grouping,
        category=category,
        region=region,
        tlp=tlp,
        mapping=plain_mapping,
        added_by=tx.actor,
        at=tx.now,
    )
    row.log_key = log_key
    row.signing_key = signing_key
    tx.audit(
        SourceAdded(
            source=source_id,
            kind=kind,
            url=url,
            collection=collection,
            auth=auth,
            credentials=credentials_commitment(salt, username, secret),
            originator=originator,
            interval=interval,
            grouping=grouping,
            category=category,
            region=region,
            tlp=tlp,
            mapping=plain_mapping,
            log_key=log_key,
            acknowledges=(signing_key is not None) if kind == SourceKind.GARANTE else None,
            ack_key=ack_key,
        )
    )
    return row


def private_key(pem: str) -> Ed25519PrivateKey:
    """A source's signing key (PEM) as a key, or why it is not one."""
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise InvalidKey(
            f"the signing key cannot be read: {exc}",
            field="signing_key",
            hint="give the agency's Ed25519 private key in PEM (as `garante keys generate` writes)",
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidKey(
            "the signing key is not an Ed25519 private key",
            field="signing_key",
            hint="give the agency's Ed25519 private key in PEM",
        )
    return key


def _check_log_key(kind: str, auth: str, log_key: str | None) -> str | None:
    """A Garante upstream is trusted through its log's verifier key, and read as a partner
    with a bearer token; no other source takes a log key."""
    if kind != SourceKind.GARANTE:
        if log_key:
            raise ValidationError(
                f"a {kind} source takes no log key", field="log_key", hint="leave it out"
            )
        return None
    if not log_key:
        raise ValidationError(
            "a Garante upstream is verified with its log's verifier key",
            field="log_key",
            hint="--log-key KEY (got from the upstream's operator out of band)",
        )
    try:
        VerifierKey.parse(log_key.strip())
    except LedgerError as exc:
        raise ValidationError(
            f"the log key is not a note verifier key: {exc.message}",
            field="log_key",
            hint="the verifier key line the upstream published (`garante audit key`)",
        ) from None
    if auth != SourceAuth.BEARER:
        raise ValidationError(
            "a Garante upstream is read with the partner token it issued this agency",
            field="auth",
            hint="--auth bearer --secret TOKEN",
        )
    return log_key.strip()


def _check_location(kind: str, url: str, collection: str | None) -> None:
    """Where a source of ``kind`` is: a TAXII API root and collection, a MISP feed's URL or
    directory, or a folder of bundles (a directory on the machine that pulls)."""
    web = url.startswith(("http://", "https://"))
    if kind in (SourceKind.TAXII, SourceKind.GARANTE):
        if not web:
            raise ValidationError(
                f"'{url}' is not an http(s) URL", field="url", hint="give the TAXII API root's URL"
            )
        if not collection:
            raise ValidationError(
                "a TAXII source names its collection", field="collection", hint="--collection ID"
            )
        return
    if collection:
        raise ValidationError(
            f"a {kind} source has no collection", field="collection", hint="leave it out"
        )
    if kind == SourceKind.MISP_FEED and web:
        return
    what = (
        "a MISP feed's directory or http(s) URL"
        if kind == SourceKind.MISP_FEED
        else ("the directory of bundle files")
    )
    if not os.path.isabs(url):
        raise ValidationError(
            f"'{url}' is not an absolute path",
            field="url",
            hint=f"give {what}, as an absolute path",
        )
    if not os.path.isdir(url):
        raise ValidationError(f"{url} is not a directory", field="url", hint=f"give {what}")


def _is_directory(kind: str, url: str) -> bool:
    return kind == SourceKind.FOLDER or (
        kind == SourceKind.MISP_FEED and not url.startswith(("http://", "https://"))
    )


def check_reach(reach: Reach, kind: str, url: str) -> None:
    """Refuse a source pointing where the operator has not let sources point (see
    ``garante.upstream.reach``): a directory outside the roots, a web address that is or
    resolves to a non-public address not allowed. What is malformed is left to
    ``add_source`` to refuse."""
    if url.startswith(("http://", "https://")):
        if kind in set(SourceKind):
            reach.check_url(url)
    elif _is_directory(kind, url) and os.path.isabs(url):
        reach.check_directory(url)


def check_directory_at_pull(reach: Reach, kind: str, url: str) -> None:
    """A directory source is checked again when pulled (the roots, or a symbolic link on the
    way, may have changed since it was added): a failed pull, recorded, if it is refused."""
    if not _is_directory(kind, url):
        return
    try:
        reach.check_directory(url)
    except SourceNotAllowed as exc:
        raise UpstreamFailed(exc.message, field="url", hint=exc.hint) from None


def mapping_rules(mapping: Mapping[str, Any]) -> list[MappingRule]:
    """A source's mapping rules, as its configuration states them: ``{"rules": [{"on":
    "stix-label", "pattern": "drug*", "category": "drug-trafficking"}, ...]}``, in order."""
    unknown = set(mapping) - {"rules"}
    if unknown:
        raise ValidationError(
            f"a source's mapping has rules only, not {', '.join(sorted(unknown))}",
            field="mapping",
            hint='{"rules": [{"on": "stix-label", "pattern": "...", "category": "..."}]}',
        )
    rules = mapping.get("rules", [])
    if not isinstance(rules, list) or not all(isinstance(r, Mapping) for r in rules):
        raise ValidationError("a source's mapping rules are a list of objects", field="mapping")
    return [MappingRule.from_dict(rule) for rule in rules]


def _member(enum: type[StrEnum], value: str, name: str) -> str:
    known = [m.value for m in enum]
    if value not in known:
        raise ValidationError(f"unknown {name} '{value}'", field=name, hint=suggest(value, known))
    return value


def pause_source(tx: Transaction, who: Principal, *, source_id: str, reason: str) -> SourceRow:
    row = _to_change(tx, who, source_id, reason, "paused")
    if row.paused_at is not None:
        raise InvalidState(f"source '{row.id}' is already paused", field="id")
    row.paused_at = tx.now
    row.reason = reason.strip()
    tx.audit(SourcePaused(source=row.id, reason=reason.strip()))
    return row


def resume_source(tx: Transaction, who: Principal, *, source_id: str, reason: str) -> SourceRow:
    row = _to_change(tx, who, source_id, reason, "resumed")
    if row.paused_at is None:
        raise InvalidState(f"source '{row.id}' is not paused", field="id")
    row.paused_at = None
    row.reason = reason.strip()
    tx.audit(SourceResumed(source=row.id, reason=reason.strip()))
    return row


def remove_source(tx: Transaction, who: Principal, *, source_id: str, reason: str) -> SourceRow:
    """The source is never pulled again; the items it gave, and where they came from, stay.
    Its credentials are forgotten."""
    row = _to_change(tx, who, source_id, reason, "removed")
    row.removed_at = tx.now
    row.reason = reason.strip()
    row.secret = None
    tx.audit(SourceRemoved(source=row.id, reason=reason.strip()))
    return row


def _to_change(
    tx: Transaction, who: Principal, source_id: str, reason: str, what: str
) -> SourceRow:
    if not reason.strip():
        raise ValidationError(f"say why the source is {what}", field="reason", hint="--reason TEXT")
    row = source(tx, source_id)
    managed_by(who, row)
    if row.removed_at is not None:
        raise InvalidState(f"source '{row.id}' was removed", field="id")
    return row


# -- taking one upstream version -----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Candidate:
    """One upstream version, ready to take: its objects validated as a bundle (before the
    writer lock, as ``items add`` does), with the fields its markings and mapping gave."""

    upstream_id: str
    version: str
    title: str
    content: StixObject
    tlp: str
    category: str
    region: str
    review: tuple[str, ...] = ()
    revoked: bool = False
    terms: Mapping[str, Any] | None = None  # from a Garante upstream: what it was released under


@dataclass(kw_only=True)
class Taken:
    """What taking one candidate did."""

    item: str | None = None  # the new item's id
    held: bool = False
    duplicate: bool = False
    version_seen: bool = False
    revised: str | None = None  # the item a later version revised
    revoked: str | None = None  # the item a revocation revoked
    recalled: list[int] = field(default_factory=list)  # the releases either recalled
    skipped: str | None = None  # why nothing was taken (a revocation of what never came)
    started: list[DecidedRequest] = field(default_factory=list)


def item_id(source_id: str, upstream_id: str) -> str:
    """The id of the item an upstream object makes: stable, so a retried pull finds it."""
    return f"{source_id}-{hashlib.sha256(upstream_id.encode()).hexdigest()[:24]}"


def bundle(
    source_id: str, upstream_id: str, version: str, objects: Sequence[StixObject]
) -> StixObject:
    """The STIX bundle an upstream version's objects make; its id derived from what it is,
    so the same version always makes the same bundle."""
    name = f"garante:{source_id}:{upstream_id}:{version}"
    return {
        "type": "bundle",
        "id": f"bundle--{uuid.uuid5(uuid.NAMESPACE_URL, name)}",
        "objects": list(objects),
    }


def take(tx: Transaction, row: SourceRow, candidate: Candidate) -> Taken:
    """Take one upstream version in this transaction (see the module's docstring)."""
    session = tx.session
    if row.removed_at is not None:  # removed while the pull ran: it takes nothing more
        raise InvalidState(f"source '{row.id}' was removed", field="source")
    if store.ingest(session, row.id, candidate.upstream_id, candidate.version) is not None:
        return Taken(duplicate=True)
    first = store.first_ingest(session, row.id, candidate.upstream_id)
    if first is not None:
        return _next_version(tx, row, candidate, first)
    if candidate.revoked:
        return Taken(skipped=f"{candidate.upstream_id}: revoked upstream before it was taken")
    made = items.add_item(
        tx,
        item_id=item_id(row.id, candidate.upstream_id),
        title=candidate.title,
        category=candidate.category,
        region=candidate.region,
        tlp=candidate.tlp,
        originator=row.originator,
        releasable_to=[],
        content=candidate.content,
        review=candidate.review,
    )
    commitment = _commitment(made)
    store.add_ingest(
        session,
        source_id=row.id,
        upstream_id=candidate.upstream_id,
        upstream_version=candidate.version,
        item_id=made.id,
        status=store.INGESTED,
        content_commitment=commitment,
        commitment_salt=None,
        bundle=None,
        tlp=candidate.tlp,
        terms=dict(candidate.terms) if candidate.terms is not None else None,
        ingested_by=tx.actor,
        at=tx.now,
    )
    tx.audit(
        ItemIngested(
            source=row.id,
            upstream_id=candidate.upstream_id,
            upstream_version=candidate.version,
            content_commitment=commitment,
            item=made.id,
            terms=dict(candidate.terms) if candidate.terms is not None else None,
        )
    )
    started = fanout.fan_out(tx, made)
    return Taken(item=made.id, held=bool(candidate.review), started=started)


# -- versions and revocations --------------------------------------------------------------


def version_key(version: str) -> tuple[int, float, str]:
    """How upstream versions order: a MISP timestamp as a number, a STIX ``modified`` as an
    instant (whatever precision it was written with), anything else as text."""
    if version.isdigit():
        return (0, float(int(version)), version)
    try:
        return (1, utc(datetime.fromisoformat(version.replace("Z", "+00:00"))).timestamp(), "")
    except ValueError:
        return (2, 0.0, version)


def _next_version(
    tx: Transaction, row: SourceRow, candidate: Candidate, first: SourceIngestRow
) -> Taken:
    item = stored_items.get(tx.session, first.item_id)
    current = store.current_ingest(tx.session, row.id, candidate.upstream_id) or first
    if item is None or item.revoked_at is not None:
        _version_seen(tx, row, candidate, first)
        return Taken(version_seen=True)
    if candidate.revoked:
        return _revoke(tx, row, candidate, item)
    if version_key(candidate.version) <= version_key(current.upstream_version):
        _version_seen(tx, row, candidate, first)  # older than what the item is at: not applied
        return Taken(version_seen=True)
    return _revise(tx, row, candidate, item)


def _revise(tx: Transaction, row: SourceRow, candidate: Candidate, item: ItemRow) -> Taken:
    """The candidate becomes the item's next version; its standing releases decided again."""
    session = tx.session
    before = json.loads(item.bundle)["objects"]
    body = canonical(candidate.content)
    salt = os.urandom(16)
    title = candidate.title.strip() or item.title
    commitment = items.content_commitment(salt, title, body)
    item.version += 1
    item.title, item.bundle, item.tlp = title, body.decode(), candidate.tlp
    # The source's mapping read the new version: another category or region is the item's now.
    category = candidate.category if candidate.category != item.category else None
    region = candidate.region if candidate.region != item.region else None
    item.category, item.region = candidate.category, candidate.region
    item.content_sha256 = hashlib.sha256(body).hexdigest()
    item.commitment_salt = salt
    item.review = list(candidate.review) or None
    store.add_ingest(
        session,
        source_id=row.id,
        upstream_id=candidate.upstream_id,
        upstream_version=candidate.version,
        item_id=item.id,
        status=store.REVISED,
        content_commitment=commitment,
        commitment_salt=salt,
        title=title,
        bundle=body.decode(),
        item_version=item.version,
        tlp=candidate.tlp,
        ingested_by=tx.actor,
        at=tx.now,
    )
    flush(session)
    standing = stored_feed.standing_of_item(session, item.id)
    requests = {
        r.request_id: as_request(found)
        for r in standing
        if (found := stored_requests.get(session, r.request_id)) is not None
    }
    state = tx.policy_state(
        item_ids=[item.id], agency_ids={r.recipient_id for r in requests.values()}
    )
    decisions = {request_id: decide(request, state) for request_id, request in requests.items()}
    kept = [r for r in standing if decisions[r.request_id].outcome == Outcome.RELEASED]
    tx.audit(
        ItemRevised(
            source=row.id,
            upstream_id=candidate.upstream_id,
            upstream_version=candidate.version,
            content_commitment=commitment,
            item=item.id,
            version=item.version,
            tlp=candidate.tlp,
            review=tuple(candidate.review),
            kept=tuple(r.request_id for r in kept),
            category=category,
            region=region,
        )
    )
    recalled = []
    trigger = f"item {item.id} revised to version {item.version}"
    for release in standing:
        decision = decisions[release.request_id]
        delivered = release.delivered_at is not None
        waiting = delivered and release.status == stored_feed.WITHHELD
        if waiting and decision.outcome != Outcome.DENIED:
            continue  # its partner waits for a version it may hold: enforced below, at this one
        if decision.outcome == Outcome.RELEASED:
            feed.revise(tx, release, item, before)
        elif decision.outcome == Outcome.HELD and delivered:
            request = requests[release.request_id]
            feed.withhold_version(tx, release, request, decision, trigger)
        elif decision.outcome == Outcome.HELD:  # never fetched: its objects wait, withheld
            feed.revise(tx, release, item, before)
            feed.enforce(tx, release, requests[release.request_id], state, trigger)
        else:
            reason = (
                f"item {item.id} version {item.version} from source {row.id} is not released "
                f"to {release.partner_id}: {decision.explanation}"
            )
            feed.recall(tx, release.request_id, reason, also=[str(o["id"]) for o in before])
            recalled.append(release.request_id)
    started = _after_change(tx, item, trigger)
    return Taken(revised=item.id, held=bool(candidate.review), recalled=recalled, started=started)


def _revoke(tx: Transaction, row: SourceRow, candidate: Candidate, item: ItemRow) -> Taken:
    """The upstream revoked the item: recalled from every partner, denied from now on."""
    reason = f"source {row.id} revoked {candidate.upstream_id} (version {candidate.version})"
    return _revoked(
        tx, row, item, candidate.upstream_id, candidate.version, candidate.title,
        candidate.content, reason,
    )  # fmt: skip


def revoke_gone(tx: Transaction, row: SourceRow, upstream_id: str) -> Taken:
    """An event that left a MISP feed's manifest: MISP deleted it (its feed generator lists
    every event it still publishes), so its item is revoked as a STIX revocation is."""
    first = store.first_ingest(tx.session, row.id, upstream_id)
    item = stored_items.get(tx.session, first.item_id) if first is not None else None
    if item is None or item.revoked_at is not None:
        return Taken()
    reason = f"source {row.id} no longer publishes {upstream_id} (deleted from the MISP feed)"
    version = f"deleted-{tx.now.strftime('%Y%m%dT%H%M%S.%fZ')}"
    return _revoked(tx, row, item, upstream_id, version, item.title, {}, reason)


def revoke_recalled(
    tx: Transaction, row: SourceRow, item_id: str, upstream_id: str, request: int
) -> Taken:
    """A Garante upstream recalled the release this item came from: the node withdraws it as
    a revocation does (revoked, recalled from each of its own partners, denied from then on).
    An item revoked already is left as it is."""
    item = stored_items.get(tx.session, item_id)
    if item is None or item.revoked_at is not None:
        return Taken()
    reason = f"source {row.id}: the upstream recalled release {request}"
    version = f"recalled-{request}"
    return _revoked(tx, row, item, upstream_id, version, item.title, {}, reason)


def _revoked(
    tx: Transaction,
    row: SourceRow,
    item: ItemRow,
    upstream_id: str,
    version: str,
    title: str,
    content: StixObject,
    reason: str,
) -> Taken:
    body = canonical(content)
    salt = os.urandom(16)
    commitment = items.content_commitment(salt, title, body)
    item.revoked_at, item.revoked_reason = tx.now, reason
    store.add_ingest(
        tx.session,
        source_id=row.id,
        upstream_id=upstream_id,
        upstream_version=version,
        item_id=item.id,
        status=store.REVOKED,
        content_commitment=commitment,
        commitment_salt=salt,
        title=title,
        bundle=body.decode(),
        ingested_by=tx.actor,
        at=tx.now,
    )
    flush(tx.session)
    tx.audit(
        ItemRevoked(
            source=row.id,
            upstream_id=upstream_id,
            upstream_version=version,
            content_commitment=commitment,
            item=item.id,
            reason=reason,
        )
    )
    recalled = []
    for release in stored_feed.standing_of_item(tx.session, item.id):
        feed.recall(tx, release.request_id, reason)
        recalled.append(release.request_id)
    _after_change(tx, item, f"item {item.id} revoked upstream: {reason}")
    return Taken(revoked=item.id, recalled=recalled)


def _after_change(tx: Transaction, item: ItemRow, trigger: str) -> list[DecidedRequest]:
    """What waits on the item is decided again at its new state: its held requests, and the
    standing agreements that have not asked for it yet (a review the new version lifted)."""
    redecide_held(tx, trigger=trigger, affects=lambda _agency, it: it.id == item.id)
    if item.revoked_at is not None:
        return []
    return fanout.fan_out(tx, item)


def _commitment(row: ItemRow) -> str:
    return items.content_commitment(row.commitment_salt, row.title, row.bundle.encode())


def _version_seen(
    tx: Transaction, row: SourceRow, candidate: Candidate, first: SourceIngestRow
) -> None:
    body = canonical(candidate.content)
    salt = os.urandom(16)
    commitment = items.content_commitment(salt, candidate.title, body)
    store.add_ingest(
        tx.session,
        source_id=row.id,
        upstream_id=candidate.upstream_id,
        upstream_version=candidate.version,
        item_id=first.item_id,
        status=store.VERSION_SEEN,
        content_commitment=commitment,
        commitment_salt=salt,
        title=candidate.title,
        bundle=body.decode(),
        ingested_by=tx.actor,
        at=tx.now,
    )
    tx.audit(
        UpstreamVersionSeen(
            source=row.id,
            upstream_id=candidate.upstream_id,
            upstream_version=candidate.version,
            content_commitment=commitment,
            item=first.item_id,
        )
    )
