"""Every release's group commit first asks which of its callers' tokens are revoked or gone
(``store.tokens.unusable``), in the transaction that writes: those callers are refused, the
others decided."""

from __future__ import annotations

from sqlalchemy.orm import Session

from garante.service.app import Garante
from garante.store import tokens


def _tokens(world: Garante, count: int) -> list[str]:
    return [world.create_token(role="analyst", agency_id="dipol")[0].id for _ in range(count)]


def test_no_token_of_those_in_force_is_unusable(world: Garante) -> None:
    ids = _tokens(world, 2)
    with Session(world.engine) as session, session.begin():
        assert tokens.unusable(session, ids) == set()


def test_a_revoked_token_is_unusable(world: Garante) -> None:
    kept, revoked = _tokens(world, 2)
    world.revoke_token(revoked)
    with Session(world.engine) as session, session.begin():
        assert tokens.unusable(session, [kept, revoked]) == {revoked}


def test_a_token_id_that_names_no_token_is_unusable(world: Garante) -> None:
    [kept] = _tokens(world, 1)
    with Session(world.engine) as session, session.begin():
        assert tokens.unusable(session, [kept, "0000000000000000"]) == {"0000000000000000"}


def test_more_tokens_than_a_statement_shape_holds_are_each_checked(world: Garante) -> None:
    ids = _tokens(world, 5)  # named in a statement for 8, the last repeated
    world.revoke_token(ids[0])
    world.revoke_token(ids[4])
    with Session(world.engine) as session, session.begin():
        assert tokens.unusable(session, ids) == {ids[0], ids[4]}


def test_no_token_asks_nothing(world: Garante) -> None:
    with Session(world.engine) as session, session.begin():
        assert tokens.unusable(session, []) == set()
