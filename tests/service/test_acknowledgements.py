"""Partners' signed acknowledgements of deliveries and of recalls, and what they write back
through the service: verified against the partner's key, accepted once, logged."""

from __future__ import annotations

import pytest

from garante.domain.acknowledgement import Acknowledgement, SignedWrite
from garante.domain.errors import SignatureError, SignatureRequired
from garante.domain.order import Scope
from garante.domain.outcome import OutcomeReport
from garante.domain.roles import Principal, Role
from garante.scenarios.keys import demo_key
from garante.service.acknowledgements import AcknowledgedReleaseNotFound, NothingToAcknowledge
from garante.service.app import Garante
from garante.service.writeback import StatusNotFound
from garante.signatures import sign_statement
from garante.store.feed import FeedQuery
from tests.service.orders import issue


def _partner(world: Garante, agency: str) -> Garante:
    return world.acting_as(Principal(token_id=f"t-{agency}", role=Role.PARTNER, agency_id=agency))


def _released(world: Garante, to: str = "nca", *, fetch: bool = True) -> int:
    decided = world.request_release("lead", recipient=to, purpose="seizure")
    if fetch:
        _partner(world, to).feed_page(FeedQuery(partner_id=to))
    return decided.request


def _ack(
    world: Garante, release: int, of: str = "delivery", agency: str = "nca"
) -> Acknowledgement:
    return Acknowledgement(
        id=f"ack-{of}-{release}",
        kind=of,
        request_id=release,
        agency_id=agency,
        acknowledged_at=world.clock.now(),
    )


def _signed(ack: Acknowledgement, agency: str = "nca") -> bytes:
    return sign_statement(demo_key(agency), ack.statement())


def test_a_delivery_acknowledged_is_recorded_and_logged(world: Garante) -> None:
    release = _released(world)
    before = world.ledger_size()
    ack = _ack(world, release)
    done = _partner(world, "nca").acknowledge(ack, signature=_signed(ack))
    assert done.new and done.acknowledgement.of == "delivery"
    kinds = [e.kind for e in world.entries(before, world.ledger_size())]
    assert kinds == ["release.acknowledged"]


def test_the_same_acknowledgement_twice_is_recorded_once(world: Garante) -> None:
    release = _released(world)
    ack = _ack(world, release)
    nca = _partner(world, "nca")
    nca.acknowledge(ack, signature=_signed(ack))
    before = world.ledger_size()
    again = nca.acknowledge(ack, signature=_signed(ack))
    assert not again.new and again.acknowledgement.id == ack.id
    assert world.ledger_size() == before


def test_an_acknowledgement_signed_by_another_key_is_refused_and_not_logged(
    world: Garante,
) -> None:
    release = _released(world)
    before = world.ledger_size()
    ack = _ack(world, release)
    with pytest.raises(SignatureError):
        _partner(world, "nca").acknowledge(ack, signature=_signed(ack, "dea"))
    assert world.ledger_size() == before
    assert world.acknowledgements() == []


def test_a_partner_without_a_key_cannot_acknowledge(world: Garante) -> None:
    release = _released(world, "dea")
    with pytest.raises(SignatureRequired):
        _partner(world, "dea").acknowledge(_ack(world, release, agency="dea"), signature=None)


def test_a_delivery_not_yet_made_cannot_be_acknowledged(world: Garante) -> None:
    release = _released(world, fetch=False)
    ack = _ack(world, release)
    with pytest.raises(NothingToAcknowledge):
        _partner(world, "nca").acknowledge(ack, signature=_signed(ack))


def _refused(world: Garante, release: int) -> str:
    """What the NCA hears acknowledging ``release`` as a release that does not exist, with the
    release's number written N."""
    with pytest.raises(AcknowledgedReleaseNotFound) as raised:
        ack = _ack(world, release)
        _partner(world, "nca").acknowledge(ack, signature=_signed(ack))
    return raised.value.message.replace(str(release), "N")


def test_another_partners_release_is_refused_as_one_that_does_not_exist(world: Garante) -> None:
    theirs = _released(world, "dea")
    heard = _refused(world, theirs)
    assert "dea" not in heard
    assert heard == _refused(world, 10**6)


def test_a_release_an_order_withholds_before_delivery_is_refused_as_one_that_does_not_exist(
    world: Garante,
) -> None:
    release = _released(world, fetch=False)
    issue(world, scope=Scope(countries=frozenset({"GB"})))  # withholds it: never fetched
    # Not "not delivered yet": that the release exists, withheld, is not the partner's to know.
    assert _refused(world, release) == _refused(world, 10**6)


def test_a_recall_is_unacknowledged_until_its_partner_acknowledges_it(world: Garante) -> None:
    release = _released(world)
    world.recall(release, reason="source compromised")
    [waiting] = world.unacknowledged_recalls()
    assert (waiting.release, waiting.agency, waiting.delivered) == (release, "nca", True)
    assert _partner(world, "dea").unacknowledged_recalls() == []
    ack = _ack(world, release, "recall")
    _partner(world, "nca").acknowledge(ack, signature=_signed(ack))
    assert world.unacknowledged_recalls() == []


def test_a_recall_of_a_release_never_delivered_is_not_the_partners_to_see(
    world: Garante,
) -> None:
    release = _released(world, fetch=False)
    world.recall(release, reason="sent in error")
    assert [r.release for r in world.unacknowledged_recalls()] == [release]
    assert _partner(world, "nca").unacknowledged_recalls() == []
    ack = _ack(world, release, "recall")
    with pytest.raises(AcknowledgedReleaseNotFound):
        _partner(world, "nca").acknowledge(ack, signature=_signed(ack))


def test_a_signed_outcome_written_twice_is_recorded_once(world: Garante) -> None:
    release = _released(world)
    report = OutcomeReport(
        request_id=release, agency_id="nca", kind="seizure", occurred_at=world.clock.now()
    )
    write = SignedWrite(
        object_id="note--1",
        version="v",
        content=report,
        signature=sign_statement(demo_key("nca"), report.statement()),
    )
    nca = _partner(world, "nca")
    first = nca.write_back([write])
    again = nca.write_back([write])
    assert (first.success_count, again.success_count) == (1, 1)
    assert again.successes[0].message.startswith("already recorded outcome")
    assert len(world.outcomes("nca")) == 1


def test_a_write_status_is_the_writers_alone(world: Garante) -> None:
    status = _partner(world, "nca").write_back(
        [SignedWrite(object_id="x", version="", problem="not a note")]
    )
    assert status.failures[0].message == "writeback.malformed: not a note"
    assert _partner(world, "nca").write_status(status.id) == status
    with pytest.raises(StatusNotFound):
        _partner(world, "dea").write_status(status.id)
