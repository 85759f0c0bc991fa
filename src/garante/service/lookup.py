"""Finding named objects, or refusing with a hint that names the ones that exist."""

from __future__ import annotations

import re
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from garante.domain.errors import (
    AgencyNotFound,
    AgreementNotFound,
    AuthorityNotFound,
    ConditionNotFound,
    ItemNotFound,
    NotFound,
    OrderNotFound,
    UndertakingNotFound,
    ValidationError,
)
from garante.domain.vocabulary import suggest
from garante.store import (
    agencies,
    agreements,
    authorities,
    conditions,
    items,
    orders,
    undertakings,
)
from garante.store.schema import (
    AgencyRow,
    AgreementRow,
    AuthorityRow,
    ConditionRow,
    ItemRow,
    OrderRow,
    UndertakingRow,
)

_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")

R_co = TypeVar("R_co", covariant=True)


def slug(value: str, *, field: str) -> str:
    """Ids are lowercase slugs so that they read the same in URLs, logs and orders."""
    if not _SLUG.match(value):
        raise ValidationError(
            f"'{value}' is not a valid id",
            field=field,
            hint="use lowercase letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    return value


def country(value: str, *, field: str = "country") -> str:
    if not _COUNTRY.match(value):
        raise ValidationError(
            f"'{value}' is not an ISO 3166-1 alpha-2 country code",
            field=field,
            hint="use two capital letters, such as CO, US or GB",
        )
    return value


def agency(session: Session, agency_id: str, *, field: str = "agency") -> AgencyRow:
    return _found(session, agencies, AgencyNotFound, "agency", agency_id, field)


def authority(session: Session, authority_id: str, *, field: str = "authority") -> AuthorityRow:
    return _found(session, authorities, AuthorityNotFound, "authority", authority_id, field)


def item(session: Session, item_id: str, *, field: str = "item") -> ItemRow:
    return _found(session, items, ItemNotFound, "item", item_id, field)


def undertaking(session: Session, undertaking_id: str) -> UndertakingRow:
    return _found(
        session, undertakings, UndertakingNotFound, "undertaking", undertaking_id, "undertaking"
    )


def order(session: Session, order_id: str, *, field: str = "order") -> OrderRow:
    return _found(session, orders, OrderNotFound, "order", order_id, field)


def condition(session: Session, condition_id: str, *, field: str = "condition") -> ConditionRow:
    return _found(session, conditions, ConditionNotFound, "condition", condition_id, field)


class _Rows(Protocol[R_co]):
    """A store module's reads by id: ``store.agencies``, ``store.orders``..."""

    def get(self, session: Session, key: str, /) -> R_co | None: ...

    def ids(self, session: Session, /) -> list[str]: ...


def _found(
    session: Session,
    store: _Rows[R_co],
    missing: type[NotFound],
    what: str,
    key: str,
    field: str,
) -> R_co:
    """The row stored under ``key``, or ``missing`` with a hint naming the nearest ids."""
    row = store.get(session, key)
    if row is None:
        known = store.ids(session)
        raise missing(f"no {what} '{key}'", field=field, hint=suggest(key, known))
    return row


def agreement(session: Session, agreement_id: str, *, field: str = "agreement") -> AgreementRow:
    row = agreements.get(session, agreement_id)
    if row is None:
        known = agreements.ids(session)
        raise AgreementNotFound(
            f"no agreement '{agreement_id}'", field=field, hint=suggest(agreement_id, known)
        )
    return row
