"""Partners' signed statements (acknowledgements, consent requests) are listed in the order they
were received, by the log entry that recorded each, even when they came at the same instant
and their ids, the partner's own, sort the other way; revision 0026 gives the rows already
stored that order from the log. On each store."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import select, update

from garante.domain.acknowledgement import Acknowledgement
from garante.domain.consent import ConsentRequest
from garante.domain.roles import Principal, Role
from garante.scenarios.keys import demo_key
from garante.service.app import Garante
from garante.signatures import sign_statement
from garante.store.database import alembic_config
from garante.store.feed import FeedQuery
from garante.store.schema import AcknowledgementRow, ConsentRequestRow, LedgerEntryRow

# The first received sorts last by id: ordering by id would put them the other way round.
FIRST, SECOND = "zz-first", "aa-second"


def _nca(world: Garante) -> Garante:
    return world.acting_as(Principal(token_id="t-nca", role=Role.PARTNER, agency_id="nca"))


def _delivered(world: Garante) -> int:
    """A release delivered to the NCA (its feed read)."""
    decided = world.request_release("lead", recipient="nca", purpose="seizure")
    _nca(world).feed_page(FeedQuery(partner_id="nca"))
    return decided.request


def _acknowledge(world: Garante, release: int, ack_id: str, kind: str) -> None:
    ack = Acknowledgement(
        id=ack_id,
        kind=kind,
        request_id=release,
        agency_id="nca",
        acknowledged_at=world.clock.now(),
    )
    signature = sign_statement(demo_key("nca"), ack.statement())
    assert _nca(world).acknowledge(ack, signature=signature).new


def _ask(world: Garante, release: int, consent_id: str, recipient: str) -> None:
    consent = ConsentRequest(
        id=consent_id,
        agency_id="nca",
        release=release,
        recipient=recipient,
        country="GB",
        purpose="seizure",
        requested_at=world.clock.now(),
    )
    signature = sign_statement(demo_key("nca"), consent.statement())
    assert _nca(world).request_consent(consent, signature=signature).new


def _two_acknowledgements(world: Garante) -> None:
    release = _delivered(world)
    world.recall(release, reason="source compromised")
    _acknowledge(world, release, FIRST, "delivery")
    _acknowledge(world, release, SECOND, "recall")


def _two_consent_requests(world: Garante) -> None:
    release = _delivered(world)
    _ask(world, release, FIRST, "met-police")
    _ask(world, release, SECOND, "border-force")


def _indices(world: Garante) -> dict[str, int]:
    """Each stored statement's id, with the index of the log entry it is ordered by."""
    with world.engine.connect() as connection:
        rows = [
            *connection.execute(select(AcknowledgementRow.id, AcknowledgementRow.received_index)),
            *connection.execute(select(ConsentRequestRow.id, ConsentRequestRow.received_index)),
        ]
    return {row_id: index for row_id, index in rows}


def test_acknowledgements_received_at_one_instant_are_listed_in_the_order_received(
    world: Garante,
) -> None:
    _two_acknowledgements(world)
    listed = world.acknowledgements()
    assert listed[0].received_at == listed[1].received_at  # the clock is frozen
    assert [a.id for a in listed] == [FIRST, SECOND]
    assert [a.id for a in world.acknowledgements("nca")] == [FIRST, SECOND]


def test_consent_requests_received_at_one_instant_are_listed_in_the_order_received(
    world: Garante,
) -> None:
    _two_consent_requests(world)
    listed = world.consents()
    assert listed[0].received_at == listed[1].received_at  # the clock is frozen
    assert [c.id for c in listed] == [FIRST, SECOND]
    assert [c.id for c in world.consents("nca", status="pending")] == [FIRST, SECOND]


def test_each_statement_keeps_the_index_of_the_entry_that_recorded_its_receipt(
    world: Garante,
) -> None:
    _two_acknowledgements(world)
    _two_consent_requests(world)
    kinds = {"release.acknowledged", "recall.acknowledged", "consent.requested"}
    with world.engine.connect() as connection:
        entries = connection.execute(
            select(LedgerEntryRow.idx).where(LedgerEntryRow.kind.in_(kinds))
        ).scalars()
        acks = connection.scalars(select(AcknowledgementRow.received_index)).all()
        asked = connection.scalars(select(ConsentRequestRow.received_index)).all()
        assert sorted(entries) == sorted([*acks, *asked])


def test_upgrading_to_0026_orders_the_statements_already_stored_by_their_log_entries(
    world: Garante,
) -> None:
    _two_acknowledgements(world)
    _two_consent_requests(world)
    before = _indices(world)
    command.downgrade(alembic_config(world.engine), "0025")
    command.upgrade(alembic_config(world.engine), "head")
    assert _indices(world) == before
    assert [a.id for a in world.acknowledgements()] == [FIRST, SECOND]
    assert [c.id for c in world.consents()] == [FIRST, SECOND]


@pytest.mark.tampers  # the log no longer records the acknowledgement's receipt
def test_upgrading_to_0026_places_a_statement_without_its_entry_by_when_it_came(
    world: Garante,
) -> None:
    _two_acknowledgements(world)
    command.downgrade(alembic_config(world.engine), "0025")
    with world.engine.begin() as connection:
        connection.execute(
            update(LedgerEntryRow)
            .where(LedgerEntryRow.kind == "recall.acknowledged")
            .values(kind="tampered")
        )
        last = connection.scalar(select(LedgerEntryRow.idx).order_by(LedgerEntryRow.idx.desc()))
    command.upgrade(alembic_config(world.engine), "head")
    with world.engine.connect() as connection:
        index = connection.scalar(
            select(AcknowledgementRow.received_index).where(AcknowledgementRow.id == SECOND)
        )
    assert index == last  # the last entry written at or before its receipt
    assert [a.id for a in world.acknowledgements()] == [FIRST, SECOND]
