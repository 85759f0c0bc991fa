"""Rows to domain values: the only place that knows both shapes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from garante.domain.condition import Condition, ConditionRule, Event
from garante.domain.item import Item
from garante.domain.order import Order, Requirement, Scope
from garante.domain.parties import Agency, Authority
from garante.domain.undertaking import Undertaking
from garante.store.schema import (
    AgencyRow,
    AuthorityRow,
    ConditionRow,
    EventRow,
    ItemRow,
    OrderRow,
    UndertakingRow,
)


def agency(row: AgencyRow | Row[Any]) -> Agency:
    return Agency(
        id=row.id,
        name=row.name,
        country=row.country,
        domestic=row.domestic,
        requires_undertaking=row.requires_undertaking,
        public_key=row.public_key,
        active=row.active,
    )


def authority(row: AuthorityRow) -> Authority:
    return Authority(id=row.id, name=row.name, public_key=row.public_key, active=row.active)


def item(row: ItemRow) -> Item:
    return Item(
        id=row.id,
        title=row.title,
        category=row.category,
        region=row.region,
        tlp=row.tlp,
        originator=row.originator,
        releasable_to=frozenset(row.releasable_to),
        content_sha256=row.content_sha256,
        embargo_until=row.embargo_until,
        expires_at=row.expires_at,
        review=tuple(row.review or ()),
        revoked=row.revoked_reason if row.revoked_at is not None else None,
    )


def undertaking(row: UndertakingRow | Row[Any]) -> Undertaking:
    return Undertaking(
        id=row.id,
        agency_id=row.agency_id,
        permits=frozenset(row.permits),
        prohibits=frozenset(row.prohibits),
        protections=frozenset(row.protections),
        categories=frozenset(row.categories),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        revoked_at=row.revoked_at,
        signed=row.signature is not None,
    )


def order(row: OrderRow) -> Order:
    return Order(
        id=row.id,
        authority_id=row.authority_id,
        effect=row.effect,
        scope=Scope.from_dict(row.scope),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        while_condition=row.while_condition,
        exempts=frozenset(row.exempts),
        requires=Requirement.from_dict(row.requires),
        reason=row.reason,
        version=row.version,
        lifted_at=row.lifted_at,
        sequence=row.sequence,
    )


def condition(row: ConditionRow) -> Condition:
    rule = ConditionRule(**row.rule) if row.rule else None
    return Condition(
        id=row.id,
        description=row.description,
        rule=rule,
        manual_active=row.manual_active,
        evidence=row.evidence,
    )


def event(row: EventRow) -> Event:
    return Event(
        kind=row.kind,
        region=row.region,
        occurred_at=row.occurred_at,
        source=row.source,
        note=row.note,
    )
