"""Who may do what is the service's to decide: each use case declares its roles, once."""

from __future__ import annotations

import inspect

import pytest
from sqlalchemy import text

from garante.domain.errors import NotFound
from garante.domain.order import Scope
from garante.domain.roles import Principal, Role
from garante.ledger.logcheck import StoredEntry
from garante.ledger.note import VerifierKey
from garante.replay.run import replay_log
from garante.service.access import roles_of
from garante.service.app import Garante
from garante.service.tokens import Forbidden, Unauthenticated

DEA = Principal(token_id="t-dea", role=Role.PARTNER, agency_id="dea")
ANALYST = Principal(token_id="t-an", role=Role.ANALYST, agency_id="dipol")
PRESIDENCY = Principal(token_id="t-pr", role=Role.AUTHORITY, authority_id="presidency")

# What anyone may read: the log's public key and checkpoints, its size, the vocabulary; and
# what is not a use case but the service's own plumbing.
UNDECLARED = {
    "acting_as",
    "open",
    "close",
    "authenticate",
    "log_verifier_key",
    "latest_checkpoint",
    "checkpoints",
    "ledger_size",
    "vocabulary",
    "log_tile",  # the checkpoint's tiles of hashes (c2sp.org/tlog-tiles), public like it
    "authenticate_certificate",  # as authenticate: it makes the principal the roles are of
    "witnesses",  # the log's registered witnesses, public like the cosignatures they make
    "take_cosignature",  # a cosignature authenticates itself against the registered keys
}


def test_every_use_case_declares_the_roles_that_may_call_it() -> None:
    undeclared = []
    for name, member in inspect.getmembers(Garante, inspect.isfunction):
        if name.startswith("_") or name in UNDECLARED:
            continue
        try:
            roles_of(member)
        except TypeError:
            undeclared.append(name)
    assert not undeclared, f"declare roles with @entitled: {undeclared}"


def test_a_partner_may_not_issue_an_order(world: Garante) -> None:
    with pytest.raises(Forbidden, match="a partner token may not do this"):
        world.acting_as(DEA).draft_order(
            authority_id="presidency", effect="hold", scope=Scope(), everything=True, reason="no"
        )


def test_an_analyst_may_not_register_an_agency(world: Garante) -> None:
    with pytest.raises(Forbidden) as refused:
        world.acting_as(ANALYST).register_agency("cia", name="CIA", country="US")
    assert refused.value.hint == "allowed roles: liaison"
    assert "cia" not in {a.id for a in world.agencies()}


def test_an_authority_may_not_request_a_release(world: Garante) -> None:
    with pytest.raises(Forbidden):
        world.acting_as(PRESIDENCY).request_release("lead", recipient="dea", purpose="seizure")
    assert world.requests() == []


def test_the_operator_may_do_what_only_the_operator_may(world: Garante) -> None:
    record, _secret = world.create_token(role="overseer", agency_id="dipol")
    assert record.role == "overseer"
    with pytest.raises(Forbidden):
        world.acting_as(ANALYST).create_token(role="overseer", agency_id="dipol")


def test_an_analyst_may_request_a_release(world: Garante) -> None:
    decided = world.acting_as(ANALYST).request_release("lead", recipient="dea", purpose="seizure")
    assert decided.outcome == "released"


def test_a_token_whose_stored_role_was_edited_to_operator_is_refused(world: Garante) -> None:
    """The operator may do everything, so no token may stand for it, even an edited one."""
    record, secret = world.create_token(role="analyst", agency_id="dipol")
    with world.sessions() as session, session.begin():
        session.execute(
            text("UPDATE api_tokens SET role = 'operator' WHERE id = :id"), {"id": record.id}
        )
    with pytest.raises(Unauthenticated):
        world.authenticate(secret)


LIAISON = Principal(token_id="t-li", role=Role.LIAISON)


def test_a_liaison_may_register_and_remove_a_witness_and_the_log_replays(world: Garante) -> None:
    liaison = world.acting_as(LIAISON)

    added = liaison.add_witness(world.log_verifier_key())
    removed = liaison.remove_witness_with_id(added.id, "rotated")

    assert removed.removed_at is not None and world.witnesses() == []
    world.publish_checkpoint()
    entries = (
        StoredEntry(index=r.index, entry=r.entry.encode())
        for r in world.entries(0, world.ledger_size())
    )
    replayed = replay_log(
        entries, [c.note for c in world.checkpoints()], VerifierKey.parse(world.log_verifier_key())
    )
    assert replayed.ok, [str(d) for d in replayed.replay.disagreements]


@pytest.mark.parametrize("who", [ANALYST, DEA, PRESIDENCY], ids=lambda p: p.role.value)
def test_only_a_liaison_or_the_operator_may_register_a_witness(
    world: Garante, who: Principal
) -> None:
    with pytest.raises(Forbidden) as refused:
        world.acting_as(who).add_witness(world.log_verifier_key())
    assert refused.value.hint == "allowed roles: liaison"
    assert world.witnesses() == []


def test_a_witness_not_registered_cannot_be_removed_by_its_id(world: Garante) -> None:
    with pytest.raises(NotFound) as refused:
        world.acting_as(LIAISON).remove_witness_with_id("no-such-witness", "")
    assert refused.value.field == "witness_id"
