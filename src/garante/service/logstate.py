"""The store's state against the state its log records (``garante db check --log-key``).

The log is the record and the store its projection. A row edited behind the log (an order's
scope, a request's outcome, an undertaking's clauses, an agency's key, a token's role, the
entry a partner's statement or a consent's answer was recorded at), a row with no entry or an
entry whose row was deleted: each is a difference between the store and the log replayed from
its entries alone, named by table, key and column.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from garante.canonical import canonical
from garante.domain.timeutil import iso, utc
from garante.replay.entries import instant
from garante.replay.projection import Projection
from garante.service import sources
from garante.service.items import content_commitment
from garante.store.projected import StoredState, stored_state

_Row = Mapping[str, object]
"""A row's values by column, compared only: as the store holds them, or as the log says."""


@dataclass(frozen=True, kw_only=True)
class StateDifference:
    """One value the store holds that its log does not say (or the other way round)."""

    table: str
    key: str
    column: str | None
    stored: str | None
    logged: str | None

    def __str__(self) -> str:
        where = f"{self.table} row {self.key}"
        if self.column is None:
            if self.logged is None:
                return f"{where} is in the store but no entry records it"
            return f"{where} is recorded in the log but missing from the store"
        return f"{where}: {self.column} is {self.stored} in the store but {self.logged} in the log"


def compare(session: Session, replayed: Projection) -> list[StateDifference]:
    """Every difference between the store, read in ``session``, and the replayed log."""
    stored = stored_state(session)
    differences: list[StateDifference] = []
    for table, store_side, log_side in _tables(stored, replayed):
        differences += _differences(table, store_side, log_side)
    return differences


def _tables(
    stored: StoredState, log: Projection
) -> Iterable[tuple[str, Mapping[str, _Row], Mapping[str, _Row]]]:
    yield (
        "agencies",
        {
            r.id: _agency(r.name, r.country, r.domestic, r.requires_undertaking, r.public_key)
            for r in stored.agencies
        },
        {
            a.id: _agency(a.name, a.country, a.domestic, a.requires_undertaking, a.public_key)
            for a in log.agencies.values()
        },
    )
    yield (
        "authorities",
        {r.id: {"name": r.name, "public_key": _key(r.public_key)} for r in stored.authorities},
        {
            a.id: {"name": a.name, "public_key": _key(a.public_key)}
            for a in log.authorities.values()
        },
    )
    yield (
        "items",
        {
            r.id: _item(
                r.category,
                r.region,
                r.tlp,
                r.originator,
                r.releasable_to,
                content_commitment(r.commitment_salt, r.title, r.bundle.encode()),
                r.review or (),
                r.version,
                r.revoked_reason if r.revoked_at is not None else None,
            )
            for r in stored.items
        },
        {
            i.id: _item(
                i.category,
                i.region,
                i.tlp,
                i.originator,
                i.releasable_to,
                log.commitments[i.id],
                i.review,
                log.item_versions.get(i.id, 1),
                i.revoked,
            )
            for i in log.items.values()
        },
    )
    yield from _sources(stored, log)
    yield (
        "undertakings",
        {
            r.id: _undertaking(
                r.agency_id,
                r.permits,
                r.prohibits,
                r.protections,
                r.categories,
                r.valid_from,
                r.valid_until,
                r.revoked_at,
                r.signature is not None,
            )
            for r in stored.undertakings
        },
        {
            u.id: _undertaking(
                u.agency_id,
                u.permits,
                u.prohibits,
                u.protections,
                u.categories,
                u.valid_from,
                u.valid_until,
                u.revoked_at,
                u.signed,
            )
            for u in log.undertakings.values()
        },
    )
    yield (
        "orders",
        {r.id: _order(r, r.scope, r.requires) for r in stored.orders},
        {
            o.order.id: _order(o.order, o.order.scope.to_dict(), o.order.requires.to_dict())
            for o in log.orders.values()
        },
    )
    yield (
        "conditions",
        {
            r.id: {"rule": _scope(r.rule or {}), "manual_active": r.manual_active}
            for r in stored.conditions
        },
        {
            c.id: {
                "rule": _scope(vars(c.rule) if c.rule else {}),
                "manual_active": c.manual_active,
            }
            for c in log.conditions.values()
        },
    )
    yield (
        "events",
        {
            str(r.id): {
                "kind": r.kind,
                "region": r.region,
                "occurred_at": _time(r.occurred_at),
                "agency_id": r.agency_id,
                "signed": r.signature is not None,
            }
            for r in stored.events
        },
        {
            str(i): {
                "kind": e.kind,
                "region": e.region,
                "occurred_at": _time(e.occurred_at),
                "agency_id": log.event_reporters[i][0],
                "signed": log.event_reporters[i][1],
            }
            for i, e in log.events.items()
        },
    )
    yield (
        "release_requests",
        {
            str(r.id): {
                "item_id": r.item_id,
                "recipient_id": r.recipient_id,
                "purpose": r.purpose,
                "outcome": r.outcome,
                "undertaking_id": r.undertaking_id,
                "decisions": stored.decisions.get(r.id, 0),
            }
            for r in stored.requests
        },
        {
            str(q.id): {
                "item_id": q.item,
                "recipient_id": q.recipient,
                "purpose": q.purpose,
                "outcome": None if q.outcome is None else q.outcome.value,
                "undertaking_id": q.undertaking,
                "decisions": q.decisions,
            }
            for q in log.requests.values()
        },
    )
    yield (
        "outcomes",
        {
            str(r.id): {"request_id": r.request_id, "agency_id": r.agency_id, "breach": r.breach}
            for r in stored.outcomes
        },
        {
            str(o.id): {"request_id": o.request, "agency_id": o.agency, "breach": o.breach}
            for o in log.outcomes.values()
        },
    )
    # Settings that change decisions: the pinned clock (logged as settings.changed) and the
    # vocabulary, which no entry records, so the replay decides with the default one.
    yield (
        "settings",
        {
            "clock": {"value": _setting_time(stored.settings.get("clock"))},
            "vocabulary": {"value": "set" if stored.settings.get("vocabulary") else None},
        },
        {
            "clock": {"value": _setting_time(log.settings.get("clock"))},
            "vocabulary": {"value": None},
        },
    )
    yield (
        "api_tokens",
        {
            r.id: {
                "role": r.role,
                "agency_id": r.agency_id,
                "authority_id": r.authority_id,
                "revoked": r.revoked_at is not None,
            }
            for r in stored.tokens
        },
        {
            t.id: {
                "role": t.role,
                "agency_id": t.agency,
                "authority_id": t.authority,
                "revoked": t.revoked,
            }
            for t in log.tokens.values()
        },
    )
    yield from _certificates(stored, log)
    yield from _passkeys(stored, log)
    yield from _acknowledgements(stored, log)


# -- client certificates of partners ---------------------------------------------------------


def _certificates(
    stored: StoredState, log: Projection
) -> Iterable[tuple[str, Mapping[str, _Row], Mapping[str, _Row]]]:
    yield (
        "agency_certificates",
        {
            r.fingerprint: {"agency_id": r.agency_id, "removed": r.removed_at is not None}
            for r in stored.certificates
        },
        {
            c.fingerprint: {"agency_id": c.agency, "removed": c.removed}
            for c in log.certificates.values()
        },
    )


# -- passkeys of authorities (WebAuthn) -------------------------------------------------------


def _passkeys(
    stored: StoredState, log: Projection
) -> Iterable[tuple[str, Mapping[str, _Row], Mapping[str, _Row]]]:
    yield (
        "authority_passkeys",
        {
            r.credential_id: {
                "authority_id": r.authority_id,
                "public_key": r.public_key,
                "rp_id": r.rp_id,
                "origin": r.origin,
                "sign_count": r.sign_count,
            }
            for r in stored.passkeys
        },
        {
            p.credential_id: {
                "authority_id": p.authority,
                "public_key": p.public_key,
                "rp_id": p.rp_id,
                "origin": p.origin,
                "sign_count": p.sign_count,
            }
            for p in log.passkeys.values()
        },
    )


# -- partners writing back -------------------------------------------------------------------


def _acknowledgements(
    stored: StoredState, log: Projection
) -> Iterable[tuple[str, Mapping[str, _Row], Mapping[str, _Row]]]:
    yield (
        "acknowledgements",
        {
            r.id: {
                "kind": r.kind,
                "request_id": r.request_id,
                "agency_id": r.agency_id,
                "received_index": r.received_index,
            }
            for r in stored.acknowledgements
        },
        {
            a.id: {
                "kind": a.kind,
                "request_id": a.request,
                "agency_id": a.agency,
                "received_index": a.received_index,
            }
            for a in log.acknowledgements.values()
        },
    )
    yield (
        "consent_requests",
        {
            r.id: {
                "agency_id": r.agency_id,
                "request_id": r.request_id,
                "recipient": r.recipient,
                "purpose": r.purpose,
                "status": r.status,
                "received_index": r.received_index,
                "answer_index": r.answer_index,
            }
            for r in stored.consent_requests
        },
        {
            c.id: {
                "agency_id": c.agency,
                "request_id": c.request,
                "recipient": c.recipient,
                "purpose": c.purpose,
                "status": c.status,
                "received_index": c.received_index,
                "answer_index": c.answer_index,
            }
            for c in log.consent_requests.values()
        },
    )


def _differences(
    table: str, stored: Mapping[str, _Row], logged: Mapping[str, _Row]
) -> list[StateDifference]:
    found: list[StateDifference] = []
    for key in sorted(stored.keys() | logged.keys(), key=_natural):
        row, entry = stored.get(key), logged.get(key)
        if row is None or entry is None:
            found.append(
                StateDifference(
                    table=table,
                    key=key,
                    column=None,
                    stored=None if row is None else "present",
                    logged=None if entry is None else "present",
                )
            )
            continue
        for column, value in row.items():
            if entry[column] != value:
                found.append(
                    StateDifference(
                        table=table,
                        key=key,
                        column=column,
                        stored=_shown(value),
                        logged=_shown(entry[column]),
                    )
                )
    return found


def _natural(key: str) -> tuple[int, str]:
    return (int(key), "") if key.isdigit() else (0, key)


def _agency(name: str, country: str, domestic: bool, requires: bool, key: bytes | None) -> _Row:
    return {
        "name": name,
        "country": country,
        "domestic": bool(domestic),
        "requires_undertaking": bool(requires),
        "public_key": _key(key),
    }


def _item(
    category: str,
    region: str,
    tlp: str,
    originator: str,
    releasable_to: Iterable[str],
    commitment: str,
    review: Iterable[str],
    version: int,
    revoked: str | None,
) -> _Row:
    return {
        "version": version,
        "revoked": revoked,
        "category": category,
        "region": region,
        "tlp": tlp,
        "originator": originator,
        "releasable_to": _set(releasable_to),
        "content": commitment,
        "review": tuple(review),
    }


def _sources(
    stored: StoredState, log: Projection
) -> Iterable[tuple[str, Mapping[str, _Row], Mapping[str, _Row]]]:
    """Sources (their terms, paused and removed, a commitment to their credentials) and
    what each gave. Their pull state is not logged, so not compared."""
    yield (
        "sources",
        {
            r.id: {
                "kind": r.kind,
                "url": r.url,
                "collection": r.collection,
                "auth": r.auth,
                # A removed source's secret is forgotten: its commitment no longer opens.
                "credentials": sources.credentials_commitment(
                    r.credentials_salt, r.username, r.secret
                )
                if r.removed_at is None
                else "forgotten",
                "originator": r.originator,
                "interval": r.interval,
                "grouping": r.grouping,
                "category": r.category,
                "region": r.region,
                "tlp": r.tlp,
                "log_key": r.log_key,
                "paused": r.paused_at is not None,
                "removed": r.removed_at is not None,
            }
            for r in stored.sources
        },
        {
            s.id: {
                "kind": s.kind,
                "url": s.url,
                "collection": s.collection,
                "auth": s.auth,
                "credentials": s.credentials if not s.removed else "forgotten",
                "originator": s.originator,
                "interval": s.interval,
                "grouping": s.grouping,
                "category": s.category,
                "region": s.region,
                "tlp": s.tlp,
                "log_key": s.log_key,
                "paused": s.paused,
                "removed": s.removed,
            }
            for s in log.sources.values()
        },
    )
    yield (
        "source_ingests",
        {
            f"{r.source_id}/{r.upstream_id}/{r.upstream_version}": {
                "item_id": r.item_id,
                "status": r.status,
                "content": r.content_commitment,
                "terms": _terms(r.terms),
            }
            for r in stored.ingests
        },
        {
            f"{i.source}/{i.upstream_id}/{i.upstream_version}": {
                "item_id": i.item,
                "status": i.status,
                "content": i.content_commitment,
                "terms": _terms(i.terms),
            }
            for i in log.ingests.values()
        },
    )


def _terms(terms: Mapping[str, object] | None) -> str | None:
    """What an item from a Garante upstream was released under, as canonical JSON, so the
    store's and the log's compare whatever order their keys came in."""
    return None if terms is None else canonical(terms).decode()


def _undertaking(
    agency: str,
    permits: Iterable[str],
    prohibits: Iterable[str],
    protections: Iterable[str],
    categories: Iterable[str],
    valid_from: datetime,
    valid_until: datetime | None,
    revoked_at: datetime | None,
    signed: bool,
) -> _Row:
    return {
        "agency_id": agency,
        "permits": _set(permits),
        "prohibits": _set(prohibits),
        "protections": _set(protections),
        "categories": _set(categories),
        "valid_from": _time(valid_from),
        "valid_until": _time(valid_until),
        "revoked_at": _time(revoked_at),
        "signed": signed,
    }


class _OrderTerms(Protocol):
    """What an order's row and the order the log rebuilds both say, alike but for the scope
    and the requirement (a mapping in the row, a value in the log)."""

    @property
    def authority_id(self) -> str: ...
    @property
    def effect(self) -> str: ...
    @property
    def exempts(self) -> Iterable[str]: ...
    @property
    def valid_from(self) -> datetime: ...
    @property
    def valid_until(self) -> datetime | None: ...
    @property
    def while_condition(self) -> str | None: ...
    @property
    def reason(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def lifted_at(self) -> datetime | None: ...


def _order(order: _OrderTerms, scope: Mapping[str, object], requires: Mapping[str, object]) -> _Row:
    return {
        "authority_id": order.authority_id,
        "effect": order.effect,
        "scope": _scope(scope),
        "requires": _scope(requires),
        "exempts": _set(order.exempts),
        "valid_from": _time(order.valid_from),
        "valid_until": _time(order.valid_until),
        "while_condition": order.while_condition,
        "reason": order.reason,
        "version": order.version,
        "lifted_at": _time(order.lifted_at),
    }


def _key(value: bytes | None) -> str | None:
    return None if value is None else base64.b64encode(value).decode()


def _set(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(values))


def _time(value: datetime | None) -> str | None:
    return None if value is None else iso(utc(value))


def _scope(value: Mapping[str, object]) -> tuple[tuple[str, object], ...]:
    """A JSON object of lists or scalars, compared whatever order or empty lists it was
    written with."""
    return tuple(
        sorted(
            (
                name,
                tuple(sorted(item)) if isinstance(item, list | tuple | set | frozenset) else item,
            )
            for name, item in value.items()
            if item not in ([], (), None)
        )
    )


def _setting_time(value: object) -> str | None:
    """A stored or logged instant (``...+00:00`` or ``...Z``) in one form."""
    return None if not value else iso(instant(str(value)))


def _shown(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    return "null" if value is None else str(value)
