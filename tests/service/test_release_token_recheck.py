"""A release re-checks its caller's token in the transaction that stores it.

The API answers ``POST /releases`` from principals it authenticated before (``api.auth.
TokenCache``), so the write itself must refuse a token revoked since: nothing is stored for it,
and whoever shares its transaction is not held back.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from sqlalchemy import update

from garante.domain.roles import Principal, Role
from garante.service.app import Garante
from garante.service.tokens import Unauthenticated
from garante.store.schema import TokenRow


def analyst(world: Garante) -> Principal:
    """A principal authenticated from a new analyst token, as the API authenticates one."""
    _, secret = world.create_token(role="analyst", agency_id="dipol")
    return world.authenticate(secret)


def revoke(world: Garante, who: Principal) -> None:
    world.revoke_token(who.token_id)


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.005)


def test_a_principal_from_a_token_says_so(world: Garante) -> None:
    assert analyst(world).by_token
    assert not Principal.operator("cli").by_token


def test_a_release_by_a_token_revoked_since_it_was_authenticated_is_refused(
    world: Garante,
) -> None:
    who = analyst(world)
    revoke(world, who)
    with pytest.raises(Unauthenticated) as refused:
        world.acting_as(who).request_release("lead", recipient="dea", purpose="seizure")
    assert refused.value.code == "auth.unauthenticated"


def test_a_refused_release_stores_and_logs_nothing(world: Garante) -> None:
    who = analyst(world)
    revoke(world, who)
    before = world.ledger_size()
    with pytest.raises(Unauthenticated):
        world.acting_as(who).request_release("lead", recipient="dea", purpose="seizure")
    assert world.requests() == []
    assert world.ledger_size() == before


def test_a_queued_release_by_a_revoked_token_hears_the_refusal_through_its_future(
    world: Garante,
) -> None:
    who = analyst(world)
    revoke(world, who)
    future = world.acting_as(who).request_release_soon("lead", recipient="dea", purpose="seizure")
    assert isinstance(future.exception(timeout=30), Unauthenticated)
    assert world.requests() == []


def test_a_token_revoked_while_its_release_waits_for_the_writer_is_refused(
    world: Garante,
) -> None:
    """The revocation commits after the release was queued, before its transaction begins:
    what the check at the door could not see, the transaction does."""
    who = analyst(world)
    with world.sessions() as session, session.begin():
        session.connection()  # the writer lock: the release waits in the queue
        future = world.acting_as(who).request_release_soon(
            "lead", recipient="dea", purpose="seizure"
        )
        wait_until(lambda: world.context.releases.waiting == 1, "the release never queued")
        # Another process revokes the token (as `garante tokens revoke` would, in its own
        # transaction: here the one holding the lock, so it commits first).
        session.execute(
            update(TokenRow).where(TokenRow.id == who.token_id).values(revoked_at=world.clock.now())
        )
    assert isinstance(future.exception(timeout=30), Unauthenticated)
    assert world.requests() == []


def test_others_sharing_the_transaction_of_a_refused_token_are_released(world: Garante) -> None:
    who, other = analyst(world), analyst(world)
    revoke(world, who)
    with world.sessions() as session, session.begin():
        session.connection()
        futures = [
            world.acting_as(p).request_release_soon("lead", recipient=r, purpose="seizure")
            for p, r in ((other, "dea"), (who, "nca"), (other, "fbi"))
        ]
        wait_until(lambda: world.context.releases.waiting == 3, "the releases never queued")
    assert isinstance(futures[1].exception(timeout=30), Unauthenticated)
    decided = [futures[i].result(timeout=30) for i in (0, 2)]
    assert [(d.recipient, d.outcome) for d in decided] == [("dea", "released"), ("fbi", "released")]
    assert sorted(r.recipient for r in world.requests()) == ["dea", "fbi"]


def test_a_principal_not_from_a_token_is_not_rechecked(world: Garante) -> None:
    """The CLI's operator, a console session: no token row stands behind them."""
    named = Principal(token_id="oidc:ana", role=Role.ANALYST, agency_id="dipol")
    decided = world.acting_as(named).request_release("lead", recipient="dea", purpose="seizure")
    assert decided.outcome == "released"
