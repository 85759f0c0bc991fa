"""Standing agreements, and what the fan-out reads: agreements in force, requests that exist,
items added since a date."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Row, Text, cast, func, select
from sqlalchemy.orm import Session

from garante.canonical import Json
from garante.domain.agreement import (
    Agreement,
    AgreementScope,
    statement_ack_within,
    statement_onward,
)
from garante.domain.vocabulary import Tlp
from garante.store.generation import Generation
from garante.store.paging import Keyset, paged
from garante.store.schema import AgreementRow, ItemRow, RequestRow


def get(session: Session, agreement_id: str) -> AgreementRow | None:
    return session.get(AgreementRow, agreement_id)


def ids(session: Session) -> list[str]:
    """Every id, for the hint that names the ones that exist."""
    return list(session.scalars(select(AgreementRow.id)).all())


def count_of(session: Session, partner_id: str) -> int:
    """How many agreements a partner has (ended ones included)."""
    count = session.scalar(
        select(func.count()).select_from(AgreementRow).where(AgreementRow.partner_id == partner_id)
    )
    return int(count or 0)


def add(
    session: Session,
    terms: Agreement,
    *,
    statement: str,
    signature: bytes | None,
    made_by: str,
    at: datetime,
) -> AgreementRow:
    """A new agreement at its first version (written with the next flush)."""
    row = AgreementRow(
        id=terms.id,
        partner_id=terms.partner,
        made_by=made_by,
        made_at=at,
        amended_at=None,
        suspended_at=None,
        ended_at=None,
        reason=None,
    )
    set_terms(row, terms, statement=statement, signature=signature)
    session.add(row)
    return row


def set_terms(
    row: AgreementRow, terms: Agreement, *, statement: str, signature: bytes | None
) -> None:
    """Put ``terms`` (a first version, or an amendment) in ``row``."""
    scope = terms.scope
    row.purposes = sorted(terms.purposes)
    row.categories = sorted(scope.categories)
    row.regions = sorted(scope.regions)
    row.tlp_ceiling = scope.tlp_ceiling.value
    row.originators = sorted(scope.originators)
    row.valid_from = terms.valid_from
    row.valid_until = terms.valid_until
    row.version = terms.version
    row.statement = statement
    row.signature = signature


def page(
    session: Session, page: Keyset | None, *, partner_id: str | None = None
) -> list[AgreementRow]:
    """Agreements by id, of one partner when given."""
    query = select(AgreementRow)
    if partner_id:
        query = query.where(AgreementRow.partner_id == partner_id)
    return list(session.scalars(paged(query, AgreementRow.id, page)))


GENERATION = Generation("agreements_generation")
"""Marked by the use cases that change an agreement (``changed``): readers that keep the
agreements in memory (``service.fanout.standing``) read them again."""


def changed(session: Session) -> None:
    """Mark that an agreement changed, in the transaction that changes it."""
    GENERATION.changed(session)


def generation(session: Session) -> str:
    """What ``changed`` last wrote: equal while no agreement has changed since."""
    return GENERATION.current(session)


def not_ended(session: Session) -> list[Agreement]:
    """Every agreement not ended, by id: those that are, or may yet be, in force. Read as
    plain rows, not ORM objects: a process reads thousands at once (``fanout.standing``), on
    the first item after any agreement changed.

    Equal sets are made once and shared (``_Sets``): thousands of agreements name the same
    few purposes, categories, regions and originators, and a process keeps them all. Six
    sets each made 60,000 objects for 10,000 agreements, 12 MB, and every full pass of the
    garbage collector walked them (150 ms after a fan-out had read them). The set columns are
    read as their stored JSON text, decoded once per distinct text, and each statement once
    (orjson): decoding six JSON values a row was most of the 0.28 s 10,000 agreements took."""
    table = AgreementRow.metadata.tables[AgreementRow.__tablename__]
    columns = [
        cast(column, Text).label(column.name) if column.name in _SET_COLUMNS else column
        for column in table.c
    ]
    query = select(*columns).where(table.c.ended_at.is_(None)).order_by(table.c.id)
    sets = _Sets()
    return [_kept_agreement(row, sets) for row in session.execute(query)]


_SET_COLUMNS = frozenset({"purposes", "categories", "regions", "originators"})
"""The agreement's columns that hold a set, as a JSON array of names."""


class _Sets:
    """Frozen sets made once per distinct content, for one read of many agreements: by the
    JSON text a column stores, or by their sorted names."""

    def __init__(self) -> None:
        self._by_text: dict[str, frozenset[str]] = {}
        self._by_names: dict[tuple[str, ...], frozenset[str]] = {}

    def stored(self, text: str) -> frozenset[str]:
        """The set a column's JSON array ``text`` names."""
        found = self._by_text.get(text)
        if found is None:
            found = self._by_text[text] = self.named(orjson.loads(text))
        return found

    def named(self, names: Iterable[str]) -> frozenset[str]:
        """The set of ``names``, shared with every equal one made here."""
        key = tuple(sorted(names))
        found = self._by_names.get(key)
        if found is None:
            found = self._by_names[key] = frozenset(key)
        return found


def _kept_agreement(row: Row[Any], sets: _Sets) -> Agreement:
    """The agreement a row of ``not_ended`` holds (its set columns as JSON text), its sets
    shared through ``sets``."""
    statement = orjson.loads(row.statement) if row.statement else {}
    return _agreement(row, statement, sets.stored, sets.named)


def as_agreement(row: AgreementRow | Row[Any]) -> Agreement:
    """The agreement a row holds."""
    text = getattr(row, "statement", None)
    return _agreement(row, json.loads(text) if text else {}, frozenset, frozenset)


def _agreement(
    row: AgreementRow | Row[Any],
    statement: Mapping[str, Json],
    column_set: Callable[[Any], frozenset[str]],
    named_set: Callable[[Iterable[str]], frozenset[str]],
) -> Agreement:
    """The agreement of ``row`` and its decoded ``statement`` (the terms in force, which say
    its onward consent and recall deadline): ``column_set`` makes a set column's value into
    its set, ``named_set`` the onward names."""
    onward_to, onward_purposes = statement_onward(statement)
    return Agreement(
        id=row.id,
        partner=row.partner_id,
        purposes=column_set(row.purposes),
        scope=AgreementScope(
            categories=column_set(row.categories),
            regions=column_set(row.regions),
            tlp_ceiling=Tlp(row.tlp_ceiling),
            originators=column_set(row.originators),
        ),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        version=row.version,
        suspended_at=row.suspended_at,
        ended_at=row.ended_at,
        recall_ack_within=statement_ack_within(statement),
        onward_to=named_set(onward_to),
        onward_purposes=named_set(onward_purposes),
    )


def of_partner_in_force(session: Session, partner_id: str, at: datetime) -> list[Agreement]:
    """A partner's agreements in force at ``at``, by id."""
    query = (
        select(AgreementRow)
        .where(AgreementRow.partner_id == partner_id, AgreementRow.ended_at.is_(None))
        .order_by(AgreementRow.id)
    )
    found = (as_agreement(row) for row in session.scalars(query))
    return [agreement for agreement in found if agreement.in_force(at)]


def requested(session: Session, item_ids: Iterable[str]) -> set[tuple[str, str, str]]:
    """The (item, recipient, purpose) of every request for ``item_ids``, however decided."""
    wanted = sorted(set(item_ids))
    found: set[tuple[str, str, str]] = set()
    for start in range(0, len(wanted), 500):  # bound the parameters of one statement
        rows = session.execute(
            select(RequestRow.item_id, RequestRow.recipient_id, RequestRow.purpose)
            .where(RequestRow.item_id.in_(wanted[start : start + 500]))
            .distinct()
        )
        found.update((item, recipient, purpose) for item, recipient, purpose in rows)
    return found


def items_added_between(session: Session, since: datetime, until: datetime) -> list[ItemRow]:
    """Items added in [since, until], oldest first."""
    query = (
        select(ItemRow)
        .where(ItemRow.created_at >= since, ItemRow.created_at <= until)
        .order_by(ItemRow.created_at, ItemRow.id)
    )
    return list(session.scalars(query))
