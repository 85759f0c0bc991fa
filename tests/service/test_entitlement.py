"""Every act entitled: orders answer to their authority, ids and roles belong where they may.

DESIGN.md, "Who may do what". Each refusal is a typed error (``auth.not_entitled``) and leaves
the store and its log as they were.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from garante.domain.errors import NotEntitled
from garante.domain.order import Order, Scope
from garante.domain.outcome import OutcomeReport
from garante.domain.parties import SYSTEM_AUTHORITY
from garante.domain.roles import Principal, Role
from garante.service.app import Garante
from tests.service.orders import issue

PRESIDENCY = Principal(token_id="t-pr", role=Role.AUTHORITY, authority_id="presidency")


def _breach(world: Garante) -> str:
    """A lethal-force outcome on a DEA release: the breach rule's automatic hold, by id."""
    release = world.request_release("lead", recipient="dea", purpose="seizure")
    report = OutcomeReport(
        request_id=release.request,
        agency_id="dea",
        kind="lethal-force",
        occurred_at=world.clock.now(),
    )
    order_id = world.report_outcome(report).value.order
    assert order_id is not None
    return order_id


def test_an_authority_may_not_lift_an_order_another_authority_issued(world: Garante) -> None:
    order = issue(world, "hold").value.id
    before = world.ledger_size()
    with pytest.raises(NotEntitled, match="issued by authority 'presidency'") as refused:
        world.lift_order(order, authority_id="mininterior", reason="not mine", signature=None)
    assert refused.value.field == "authority"
    assert world.order(order).lifted_at is None
    assert world.ledger_size() == before


def test_an_authority_may_not_draft_the_lift_of_another_authoritys_order(world: Garante) -> None:
    order = issue(world, "hold").value.id
    with pytest.raises(NotEntitled):
        world.lift_statement(order, authority_id="mininterior", reason="not mine")


def test_an_authority_may_not_amend_an_order_another_authority_issued(world: Garante) -> None:
    order = issue(world, "hold").value.id
    with pytest.raises(NotEntitled):
        world.draft_amendment(order, authority_id="mininterior", reason="narrowed")


def test_the_issuing_authority_lifts_its_own_order(world: Garante) -> None:
    order = issue(world, "hold").value.id
    world.lift_order(order, authority_id="presidency", reason="over", signature=None)
    assert world.order(order).lifted_at is not None


def test_any_authority_lifts_an_automatic_breach_hold(world: Garante) -> None:
    order = _breach(world)
    world.lift_order(order, authority_id="presidency", reason="reviewed", signature=None)
    assert world.order(order).lifted_at is not None


def test_no_authority_amends_an_automatic_breach_hold(world: Garante) -> None:
    order = _breach(world)
    with pytest.raises(NotEntitled, match="Garante's breach rule"):
        world.draft_amendment(order, authority_id="presidency", reason="narrowed")


def test_no_one_registers_the_system_authority(world: Garante) -> None:
    before = world.ledger_size()
    with pytest.raises(NotEntitled, match="reserved"):
        world.register_authority(SYSTEM_AUTHORITY, name="Impostor")
    assert world.ledger_size() == before


def test_the_breach_rule_still_registers_the_system_authority(world: Garante) -> None:
    _breach(world)
    assert SYSTEM_AUTHORITY in {a.id for a in world.authorities()}


def _hold(world: Garante, authority_id: str, *agencies: str, reason: str) -> Order:
    """A hold on ``agencies`` drafted as ``authority_id``, nothing stored."""
    scope = Scope(agencies=frozenset(agencies))
    return world.draft_order(
        authority_id=authority_id, effect="hold", scope=scope, reason=reason
    ).order


def test_no_one_issues_an_order_as_the_system_authority(world: Garante) -> None:
    _breach(world)  # the system authority is registered, with no key: unsigned would pass
    drafted = _hold(world, "presidency", "nca", reason="posing as the breach rule")
    before, orders = world.ledger_size(), world.orders()
    with pytest.raises(NotEntitled, match="no one may issue an order as") as refused:
        _hold(world, SYSTEM_AUTHORITY, "nca", reason="posing as the breach rule")
    assert refused.value.field == "authority"
    with pytest.raises(NotEntitled, match="no one may issue an order as"):
        world.issue_order(replace(drafted, authority_id=SYSTEM_AUTHORITY), signature=None)
    assert world.orders() == orders
    assert world.ledger_size() == before


def test_no_one_amends_an_order_as_the_system_authority(world: Garante) -> None:
    order = _breach(world)
    before = world.ledger_size()
    with pytest.raises(NotEntitled, match="no one may amend an order as") as refused:
        world.draft_amendment(order, authority_id=SYSTEM_AUTHORITY, reason="widened")
    assert refused.value.field == "authority"
    # The next version of the hold, built as a draft would be: refused when it is signed too.
    amended = replace(
        _hold(world, "presidency", "dea", "fbi", reason="widened"),
        id=order,
        authority_id=SYSTEM_AUTHORITY,
        version=2,
    )
    with pytest.raises(NotEntitled, match="no one may amend an order as"):
        world.amend_order(amended, authority_id=SYSTEM_AUTHORITY, signature=None)
    assert world.order(order).version == 1
    assert world.ledger_size() == before


def test_no_one_lifts_an_order_as_the_system_authority(world: Garante) -> None:
    order = _breach(world)
    before = world.ledger_size()
    with pytest.raises(NotEntitled, match="no one may lift an order as") as refused:
        world.lift_statement(order, authority_id=SYSTEM_AUTHORITY, reason="self-lifted")
    assert refused.value.field == "authority"
    assert refused.value.hint == "lift it as an authority of your own, signed"
    with pytest.raises(NotEntitled, match="no one may lift an order as"):
        world.lift_order(order, authority_id=SYSTEM_AUTHORITY, reason="self-lifted", signature=None)
    assert world.order(order).lifted_at is None
    assert world.ledger_size() == before
    # Any authority of its own still lifts it.
    world.lift_order(order, authority_id="presidency", reason="reviewed", signature=None)
    assert world.order(order).lifted_at is not None


def test_no_one_sets_a_condition_as_the_system_authority(world: Garante) -> None:
    _breach(world)  # the system authority is registered, with no key: unsigned would pass
    world.define_condition("talks", description="talks go on", active=True, evidence="opened")
    before = world.ledger_size()
    with pytest.raises(NotEntitled, match="no one may set a condition as") as refused:
        world.condition_statement(
            "talks", active=False, evidence="ended", authority_id=SYSTEM_AUTHORITY
        )
    assert refused.value.field == "authority"
    with pytest.raises(NotEntitled, match="no one may set a condition as"):
        world.set_condition("talks", active=False, evidence="ended", authority_id=SYSTEM_AUTHORITY)
    assert world.ledger_size() == before


def test_no_token_acts_for_the_system_authority(world: Garante) -> None:
    _breach(world)
    before = world.ledger_size()
    with pytest.raises(NotEntitled, match="no token acts for") as refused:
        world.create_token(role="authority", authority_id=SYSTEM_AUTHORITY)
    assert refused.value.field == "authority"
    assert world.tokens() == []
    assert world.ledger_size() == before


def test_no_one_registers_an_agency_with_the_system_authoritys_id(world: Garante) -> None:
    before = world.ledger_size()
    with pytest.raises(NotEntitled, match="reserved") as refused:
        world.register_agency(SYSTEM_AUTHORITY, name="Impostor", country="CO", domestic=True)
    assert refused.value.field == "id"
    assert SYSTEM_AUTHORITY not in {a.id for a in world.agencies()}
    assert world.ledger_size() == before


def test_an_authority_token_signs_for_its_own_authority_only(world: Garante) -> None:
    order = issue(world, "hold").value.id
    with pytest.raises(NotEntitled, match="acts for authority 'presidency'"):
        world.acting_as(PRESIDENCY).lift_statement(
            order, authority_id="mininterior", reason="posing"
        )


@pytest.mark.parametrize("role", ["analyst", "liaison"])
def test_an_originator_role_is_not_given_to_a_partner_agency(world: Garante, role: str) -> None:
    with pytest.raises(NotEntitled, match="'dea' is a partner agency"):
        world.create_token(role=role, agency_id="dea")
    assert world.tokens() == []


def test_a_partner_token_is_not_given_to_a_domestic_agency(world: Garante) -> None:
    with pytest.raises(NotEntitled, match="'dipol' is a domestic agency"):
        world.create_token(role="partner", agency_id="dipol")
    assert world.tokens() == []


def test_an_analyst_recalls_only_releases_of_items_its_agency_originated(world: Garante) -> None:
    world.register_agency("dijin", name="DIJIN", country="CO", domestic=True)
    release = world.request_release("lead", recipient="dea", purpose="seizure").request
    dijin = Principal(token_id="t-dj", role=Role.ANALYST, agency_id="dijin")
    with pytest.raises(NotEntitled, match="dijin may not recall it"):
        world.acting_as(dijin).recall(release, reason="not ours")
    dipol = Principal(token_id="t-dp", role=Role.ANALYST, agency_id="dipol")
    assert world.acting_as(dipol).recall(release, reason="ours").status == "withdrawn"
