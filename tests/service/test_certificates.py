"""Partners' client certificates: registered for partners only, once each, rotated and removed
with their entries, and turned into the partner's principal while in use."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from garante.domain.errors import (
    AlreadyExists,
    InvalidState,
    NotEntitled,
    NotFound,
    ValidationError,
)
from garante.domain.roles import Role
from garante.service.app import Garante
from garante.service.tokens import Forbidden, Unauthenticated
from garante.store.schema import AgencyRow

FIRST, SECOND = "a1" * 32, "b2" * 32


def _kinds(world: Garante, since: int) -> list[str]:
    return [entry.kind for entry in world.entries(since, world.ledger_size())]


def test_a_registered_certificate_stands_for_its_partner(world: Garante) -> None:
    world.add_certificate("dea", FIRST, label="feed")
    who = world.authenticate_certificate(FIRST)
    assert (who.role, who.agency_id, who.name) == (Role.PARTNER, "dea", "partner:dea")


def test_a_fingerprint_is_accepted_as_openssl_prints_it(world: Garante) -> None:
    printed = "sha256 Fingerprint=" + ":".join(FIRST[i : i + 2].upper() for i in range(0, 64, 2))
    assert world.add_certificate("dea", printed).value.fingerprint == FIRST


def test_something_that_is_no_sha256_is_refused(world: Garante) -> None:
    with pytest.raises(ValidationError) as refused:
        world.add_certificate("dea", "ab" * 20)  # a SHA-1
    assert refused.value.field == "fingerprint"


def test_a_domestic_agency_gets_no_certificate(world: Garante) -> None:
    before = world.ledger_size()
    with pytest.raises(NotEntitled):
        world.add_certificate("dipol", FIRST)
    assert world.ledger_size() == before


def test_a_fingerprint_is_registered_once_even_after_removal(world: Garante) -> None:
    world.add_certificate("dea", FIRST)
    with pytest.raises(AlreadyExists):
        world.add_certificate("fbi", FIRST)
    world.remove_certificate("dea", FIRST)
    with pytest.raises(AlreadyExists, match="was removed"):
        world.add_certificate("dea", FIRST)


def test_rotation_logs_the_new_certificate_then_the_old_ones_removal(world: Garante) -> None:
    world.add_certificate("dea", FIRST)
    before = world.ledger_size()
    world.rotate_certificate("dea", old=FIRST, new=SECOND)
    assert _kinds(world, before) == ["agency.certificate-added", "agency.certificate-removed"]
    assert world.authenticate_certificate(SECOND).agency_id == "dea"
    with pytest.raises(Unauthenticated):
        world.authenticate_certificate(FIRST)


def test_only_a_certificate_in_use_is_rotated(world: Garante) -> None:
    with pytest.raises(InvalidState):
        world.rotate_certificate("dea", old=FIRST, new=SECOND)


def test_another_agencys_certificate_is_not_removed(world: Garante) -> None:
    world.add_certificate("dea", FIRST)
    with pytest.raises(NotFound):
        world.remove_certificate("fbi", FIRST)
    assert world.authenticate_certificate(FIRST).agency_id == "dea"


def test_removing_a_removed_certificate_logs_nothing(world: Garante) -> None:
    world.add_certificate("dea", FIRST)
    world.remove_certificate("dea", FIRST)
    before = world.ledger_size()
    world.remove_certificate("dea", FIRST)
    assert world.ledger_size() == before


def test_an_unknown_certificate_is_unauthenticated(world: Garante) -> None:
    with pytest.raises(Unauthenticated):
        world.authenticate_certificate(FIRST)


def test_a_deactivated_agencys_certificate_is_forbidden(world: Garante) -> None:
    world.add_certificate("dea", FIRST)
    with world.context.engine.begin() as db:
        db.execute(update(AgencyRow).where(AgencyRow.id == "dea").values(active=False))
    with pytest.raises(Forbidden):
        world.authenticate_certificate(FIRST)
