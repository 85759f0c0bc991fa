"""Builders for the decision tests: a small world that reads like the brief's scenario.

Every builder returns a frozen domain value with sensible defaults, so each test states only
what its rule is about. ``AT`` is the moment every snapshot is taken; times are given as days
relative to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from garante.domain import (
    Agency,
    Decision,
    Item,
    Order,
    ReleaseRequest,
    Requirement,
    Scope,
    Undertaking,
    Vocabulary,
)
from garante.policy import PolicyState, decide

AT = datetime(2025, 11, 13, 12, 0, tzinfo=UTC)


def days(n: float) -> datetime:
    """The instant ``n`` days after ``AT`` (negative: before)."""
    return AT + timedelta(days=n)


def agency(
    id: str = "dea",
    *,
    country: str = "US",
    domestic: bool = False,
    requires_undertaking: bool = False,
    active: bool = True,
) -> Agency:
    return Agency(
        id=id,
        name=id.upper(),
        country=country,
        domestic=domestic,
        requires_undertaking=requires_undertaking,
        active=active,
    )


def domestic(id: str = "dipol", **kwargs: object) -> Agency:
    return agency(id, country="CO", domestic=True, **kwargs)  # type: ignore[arg-type]


def foreign(id: str = "dea", *, country: str = "US", **kwargs: object) -> Agency:
    return agency(id, country=country, domestic=False, **kwargs)  # type: ignore[arg-type]


def item(
    id: str = "intel-1",
    *,
    category: str = "drug-trafficking",
    region: str = "caribbean",
    tlp: str = "amber",
    originator: str = "dipol",
    releasable_to: Iterable[str] = (),
    embargo_until: datetime | None = None,
    expires_at: datetime | None = None,
    review: tuple[str, ...] = (),
) -> Item:
    return Item(
        id=id,
        title=f"Report {id}",
        category=category,
        region=region,
        tlp=tlp,
        originator=originator,
        releasable_to=frozenset(releasable_to),
        embargo_until=embargo_until,
        expires_at=expires_at,
        review=review,
    )


def undertaking(
    id: str = "dea-ut-1",
    *,
    agency_id: str = "dea",
    permits: Iterable[str] = ("seizure", "arrest"),
    prohibits: Iterable[str] = ("lethal-force",),
    protections: Iterable[str] = ("protection-of-life",),
    categories: Iterable[str] = (),
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    revoked_at: datetime | None = None,
) -> Undertaking:
    return Undertaking(
        id=id,
        agency_id=agency_id,
        permits=frozenset(permits),
        prohibits=frozenset(prohibits),
        protections=frozenset(protections),
        categories=frozenset(categories),
        valid_from=valid_from if valid_from is not None else days(-30),
        valid_until=valid_until,
        revoked_at=revoked_at,
        signed=True,
    )


def scope(
    *,
    agencies: Iterable[str] = (),
    countries: Iterable[str] = (),
    categories: Iterable[str] = (),
    regions: Iterable[str] = (),
) -> Scope:
    return Scope(
        agencies=frozenset(agencies),
        countries=frozenset(countries),
        categories=frozenset(categories),
        regions=frozenset(regions),
    )


def order(
    id: str = "o-1",
    *,
    effect: str = "hold",
    scope: Scope | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    while_condition: str | None = None,
    exempts: Iterable[str] = (),
    requires: Requirement | None = None,
    lifted_at: datetime | None = None,
    sequence: int = 0,
    authority_id: str = "presidency",
) -> Order:
    return Order(
        id=id,
        authority_id=authority_id,
        effect=effect,
        scope=scope if scope is not None else Scope(),
        valid_from=valid_from if valid_from is not None else days(-1),
        valid_until=valid_until,
        while_condition=while_condition,
        exempts=frozenset(exempts),
        requires=requires if requires is not None else Requirement(),
        reason=f"reason for {id}",
        lifted_at=lifted_at,
        sequence=sequence,
    )


def requirement(*, prohibits: Iterable[str] = (), protections: Iterable[str] = ()) -> Requirement:
    return Requirement(prohibits=frozenset(prohibits), protections=frozenset(protections))


def request(
    item_id: str = "intel-1",
    recipient_id: str = "dea",
    purpose: str = "seizure",
    *,
    id: int = 1,
) -> ReleaseRequest:
    return ReleaseRequest(
        id=id,
        item_id=item_id,
        recipient_id=recipient_id,
        purpose=purpose,
        requested_by="analyst",
        requested_at=AT,
    )


def state(
    *,
    agencies: Iterable[Agency] | None = None,
    items: Iterable[Item] | None = None,
    undertakings: Iterable[Undertaking] = (),
    orders: Iterable[Order] = (),
    conditions: Mapping[str, bool] | None = None,
    at: datetime = AT,
    version: int = 7,
    vocabulary: Vocabulary | None = None,
) -> PolicyState:
    """A snapshot with DIPOL (domestic, CO) and DEA (foreign, US) and one amber item by default."""
    return PolicyState.build(
        at=at,
        version=version,
        agencies=list(agencies) if agencies is not None else [domestic(), foreign()],
        items=list(items) if items is not None else [item()],
        undertakings=undertakings,
        orders=orders,
        conditions=dict(conditions or {}),
        vocabulary=vocabulary,
    )


def decide_for(
    recipient_id: str = "dea",
    purpose: str = "seizure",
    *,
    item_id: str = "intel-1",
    **state_kwargs: object,
) -> Decision:
    """Decide one request against a snapshot built from ``state_kwargs``."""
    return decide(request(item_id, recipient_id, purpose), state(**state_kwargs))  # type: ignore[arg-type]


def rule_ids(decision: Decision) -> list[str]:
    return [hit.rule for hit in decision.rules]


def cited(decision: Decision) -> list[str]:
    return [hit.cites for hit in decision.rules]
