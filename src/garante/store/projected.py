"""The rows a replayed log is compared with (``garante db check --log-key``).

Every table whose state the log records, read whole in one snapshot, with the count of
decisions per request. A store is as large as its log, and the replay that this is compared
with has already held the log's state in memory, so reading the rows whole costs no more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from garante.store.schema import (
    AcknowledgementRow,
    AgencyCertificateRow,
    AgencyRow,
    AuthorityPasskeyRow,
    AuthorityRow,
    ConditionRow,
    ConsentRequestRow,
    DecisionRow,
    EventRow,
    ItemRow,
    OrderRow,
    OutcomeRow,
    RequestRow,
    SettingRow,
    SourceIngestRow,
    SourceRow,
    TokenRow,
    UndertakingRow,
)


@dataclass(frozen=True, kw_only=True)
class StoredState:
    agencies: Sequence[AgencyRow]
    authorities: Sequence[AuthorityRow]
    items: Sequence[ItemRow]
    undertakings: Sequence[UndertakingRow]
    orders: Sequence[OrderRow]
    conditions: Sequence[ConditionRow]
    events: Sequence[EventRow]
    requests: Sequence[RequestRow]
    decisions: dict[int, int]
    outcomes: Sequence[OutcomeRow]
    tokens: Sequence[TokenRow]
    settings: dict[str, Any]
    sources: Sequence[SourceRow] = ()
    ingests: Sequence[SourceIngestRow] = ()
    certificates: Sequence[AgencyCertificateRow] = ()
    passkeys: Sequence[AuthorityPasskeyRow] = ()
    acknowledgements: Sequence[AcknowledgementRow] = ()
    consent_requests: Sequence[ConsentRequestRow] = ()


def stored_state(session: Session) -> StoredState:
    decisions = session.execute(
        select(DecisionRow.request_id, func.count()).group_by(DecisionRow.request_id)
    )
    return StoredState(
        agencies=list(session.scalars(select(AgencyRow))),
        authorities=list(session.scalars(select(AuthorityRow))),
        items=list(session.scalars(select(ItemRow))),
        undertakings=list(session.scalars(select(UndertakingRow))),
        orders=list(session.scalars(select(OrderRow))),
        conditions=list(session.scalars(select(ConditionRow))),
        events=list(session.scalars(select(EventRow))),
        requests=list(session.scalars(select(RequestRow))),
        decisions={int(request): int(count) for request, count in decisions},
        outcomes=list(session.scalars(select(OutcomeRow))),
        tokens=list(session.scalars(select(TokenRow))),
        settings={row.key: row.value for row in session.scalars(select(SettingRow))},
        sources=list(session.scalars(select(SourceRow))),
        ingests=list(session.scalars(select(SourceIngestRow))),
        certificates=list(session.scalars(select(AgencyCertificateRow))),
        passkeys=list(session.scalars(select(AuthorityPasskeyRow))),
        acknowledgements=list(session.scalars(select(AcknowledgementRow))),
        consent_requests=list(session.scalars(select(ConsentRequestRow))),
    )
