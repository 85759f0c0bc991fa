"""A token is looked up in the store by every request, in any process: nothing about it is
kept in a process, so a revocation committed by one instance holds at the next request another
instance authenticates."""

from __future__ import annotations

import pytest

from garante.service.app import Garante
from garante.service.tokens import Unauthenticated


def test_a_token_revoked_through_one_instance_is_refused_by_another_at_the_next_request(
    world: Garante, db_url: str
) -> None:
    record, secret = world.create_token(role="analyst", agency_id="dipol", label="two")
    other = Garante.open(db_url, actor="test")
    try:
        assert other.authenticate(secret).token_id == record.id
        world.revoke_token(record.id)
        with pytest.raises(Unauthenticated):
            other.authenticate(secret)
    finally:
        other.close()


def test_a_token_is_found_by_its_hash_with_its_role_and_agency(world: Garante) -> None:
    record, secret = world.create_token(role="liaison", agency_id="dipol", label="one")
    who = world.authenticate(secret)
    assert (who.token_id, who.role, who.agency_id, who.authority_id) == (
        record.id,
        "liaison",
        "dipol",
        None,
    )
