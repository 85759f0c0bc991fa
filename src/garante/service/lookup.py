"""Finding named objects, or refusing with a hint that names the ones that exist."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from garante.domain.errors import (
    AgencyNotFound,
    AgreementNotFound,
    AuthorityNotFound,
    ConditionNotFound,
    ItemNotFound,
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
    row = agencies.get(session, agency_id)
    if row is None:
        known = agencies.ids(session)
        raise AgencyNotFound(
            f"no agency '{agency_id}'", field=field, hint=suggest(agency_id, known)
        )
    return row


def authority(session: Session, authority_id: str, *, field: str = "authority") -> AuthorityRow:
    row = authorities.get(session, authority_id)
    if row is None:
        known = authorities.ids(session)
        raise AuthorityNotFound(
            f"no authority '{authority_id}'", field=field, hint=suggest(authority_id, known)
        )
    return row


def item(session: Session, item_id: str, *, field: str = "item") -> ItemRow:
    row = items.get(session, item_id)
    if row is None:
        known = items.ids(session)
        raise ItemNotFound(f"no item '{item_id}'", field=field, hint=suggest(item_id, known))
    return row


def undertaking(session: Session, undertaking_id: str) -> UndertakingRow:
    row = undertakings.get(session, undertaking_id)
    if row is None:
        known = undertakings.ids(session)
        raise UndertakingNotFound(
            f"no undertaking '{undertaking_id}'",
            field="undertaking",
            hint=suggest(undertaking_id, known),
        )
    return row


def order(session: Session, order_id: str, *, field: str = "order") -> OrderRow:
    row = orders.get(session, order_id)
    if row is None:
        known = orders.ids(session)
        raise OrderNotFound(f"no order '{order_id}'", field=field, hint=suggest(order_id, known))
    return row


def condition(session: Session, condition_id: str, *, field: str = "condition") -> ConditionRow:
    row = conditions.get(session, condition_id)
    if row is None:
        known = conditions.ids(session)
        raise ConditionNotFound(
            f"no condition '{condition_id}'", field=field, hint=suggest(condition_id, known)
        )
    return row


def agreement(session: Session, agreement_id: str, *, field: str = "agreement") -> AgreementRow:
    row = agreements.get(session, agreement_id)
    if row is None:
        known = agreements.ids(session)
        raise AgreementNotFound(
            f"no agreement '{agreement_id}'", field=field, hint=suggest(agreement_id, known)
        )
    return row
