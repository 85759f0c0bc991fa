"""Standing agreements: made, countersigned, amended, suspended, resumed and ended by a liaison;
each change logged with its reason; a partner sees its own only."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from garante.domain.agreement import Agreement
from garante.domain.errors import (
    AgencyNotFound,
    AgreementNotFound,
    AlreadyExists,
    InvalidState,
    SignatureError,
    UnknownValue,
    ValidationError,
)
from garante.domain.roles import Principal, Role
from garante.scenarios.keys import demo_key
from garante.service.app import Garante
from garante.service.clock import FixedClock
from garante.service.tokens import Forbidden
from garante.signatures import sign_statement
from garante.store import agreements as store_agreements
from tests.support.scenario import scenario_bundle

LIAISON = Principal(token_id="t-li", role=Role.LIAISON, agency_id="dipol")
ANALYST = Principal(token_id="t-an", role=Role.ANALYST, agency_id="dipol")
DEA = Principal(token_id="t-dea", role=Role.PARTNER, agency_id="dea")
NCA = Principal(token_id="t-nca", role=Role.PARTNER, agency_id="nca")


def make(garante: Garante, partner: str = "dea", **terms: Any) -> str:
    terms.setdefault("purposes", ["seizure"])
    terms.setdefault("tlp_ceiling", "amber")
    backfill_from = terms.pop("backfill_from", None)
    drafted = garante.draft_agreement(partner, **terms)
    return garante.make_agreement(drafted, backfill_from=backfill_from).value.id


def logged(garante: Garante, kind: str) -> list[dict[str, Any]]:
    entries = [json.loads(e.entry) for e in garante.entries(0, garante.ledger_size())]
    return [e for e in entries if e["kind"] == kind]


def add_item(garante: Garante, item_id: str, **fields: str) -> None:
    garante.add_item(
        item_id,
        title=fields.pop("title", "A lead"),
        category=fields.pop("category", "maritime-interdiction"),
        region=fields.pop("region", "caribbean"),
        tlp=fields.pop("tlp", "amber"),
        originator=fields.pop("originator", "dipol"),
        bundle=scenario_bundle(),
    )


# -- making --------------------------------------------------------------------------------


def test_a_liaison_makes_an_agreement_that_is_listed_and_in_force(world: Garante) -> None:
    liaison = world.acting_as(LIAISON)
    terms = liaison.draft_agreement(
        "dea", purposes=["seizure", "arrest"], tlp_ceiling="amber", regions=["caribbean"]
    )
    made = liaison.make_agreement(terms).value
    assert (made.id, made.partner, made.purposes, made.regions) == (
        "dea-ag-1",
        "dea",
        ("arrest", "seizure"),
        ("caribbean",),
    )
    assert made.status == "active" and made.version == 1 and not made.countersigned
    assert [a.id for a in world.agreements()] == ["dea-ag-1"]


def test_making_an_agreement_logs_its_terms(world: Garante) -> None:
    make(world, regions=["pacific"])
    [entry] = logged(world, "agreement.made")
    assert entry["data"]["agreement"] == "dea-ag-1"
    assert entry["data"]["statement"]["regions"] == ["pacific"]
    assert entry["data"]["signature"] is None


def test_an_agreement_id_already_taken_is_refused(world: Garante) -> None:
    make(world, agreement_id="dea-maritime")
    with pytest.raises(AlreadyExists):
        make(world, agreement_id="dea-maritime")


def test_an_analyst_may_not_make_an_agreement(world: Garante) -> None:
    with pytest.raises(Forbidden):
        world.acting_as(ANALYST).draft_agreement("dea", purposes=["seizure"], tlp_ceiling="amber")


def test_a_partner_may_not_make_its_own_agreement(world: Garante) -> None:
    terms = world.draft_agreement("dea", purposes=["seizure"], tlp_ceiling="amber")
    with pytest.raises(Forbidden):
        world.acting_as(DEA).make_agreement(terms)


# -- what is refused -----------------------------------------------------------------------


def test_an_unknown_partner_is_refused_with_a_suggestion(world: Garante) -> None:
    with pytest.raises(AgencyNotFound) as refused:
        make(world, "DEA")
    assert refused.value.field == "partner"
    assert "did you mean 'dea'" in (refused.value.hint or "")


def test_an_unknown_purpose_is_refused_with_a_suggestion(world: Garante) -> None:
    with pytest.raises(UnknownValue) as refused:
        make(world, purposes=["seizures"])
    assert refused.value.field == "purposes"
    assert "did you mean 'seizure'" in (refused.value.hint or "")


def test_an_agreement_without_a_purpose_is_refused(world: Garante) -> None:
    with pytest.raises(ValidationError) as refused:
        make(world, purposes=[])
    assert refused.value.field == "purposes"


@pytest.mark.parametrize(
    ("field", "value", "near"),
    [("categories", "terorism", "terrorism"), ("regions", "carribean", "caribbean")],
)
def test_an_unknown_scope_term_is_refused_with_a_suggestion(
    world: Garante, field: str, value: str, near: str
) -> None:
    terms: dict[str, Any] = {field: [value]}
    with pytest.raises(UnknownValue) as refused:
        make(world, "dea", **terms)
    assert refused.value.field == field
    assert f"did you mean '{near}'" in (refused.value.hint or "")


def test_an_unknown_originator_is_refused_with_a_suggestion(world: Garante) -> None:
    with pytest.raises(AgencyNotFound) as refused:
        make(world, originators=["dipoll"])
    assert refused.value.field == "originators"
    assert "did you mean 'dipol'" in (refused.value.hint or "")


def test_an_unknown_tlp_ceiling_is_refused_with_the_markings_there_are(world: Garante) -> None:
    with pytest.raises(ValidationError) as refused:
        make(world, tlp_ceiling="ambr")
    assert refused.value.field == "tlp_ceiling"
    assert "did you mean 'amber'" in (refused.value.hint or "")


def test_an_end_before_the_start_is_refused(world: Garante, clock: FixedClock) -> None:
    with pytest.raises(ValidationError) as refused:
        make(world, valid_from=clock.now(), valid_until=clock.now() - timedelta(days=1))
    assert refused.value.field == "valid_until"


def test_nothing_is_stored_or_logged_when_terms_are_refused(world: Garante) -> None:
    size = world.ledger_size()
    with pytest.raises(UnknownValue):
        make(world, purposes=["seizures"])
    assert world.agreements() == [] and world.ledger_size() == size


# -- countersignature ----------------------------------------------------------------------


def test_a_partner_countersigns_with_its_registered_key(world: Garante) -> None:
    terms = world.draft_agreement("nca", purposes=["seizure"], tlp_ceiling="amber")
    signature = sign_statement(demo_key("nca"), terms.statement())
    made = world.make_agreement(terms, signature=signature).value
    assert made.countersigned
    [entry] = logged(world, "agreement.made")
    assert entry["data"]["signature"] is not None


def test_a_countersignature_is_optional_even_for_a_partner_with_a_key(world: Garante) -> None:
    made = world.agreement(make(world, "nca"))
    assert not made.countersigned


def test_a_countersignature_by_another_key_is_refused(world: Garante) -> None:
    terms = world.draft_agreement("nca", purposes=["seizure"], tlp_ceiling="amber")
    with pytest.raises(SignatureError, match="does not verify"):
        world.make_agreement(terms, signature=sign_statement(demo_key("dea"), terms.statement()))
    assert world.agreements() == []


def test_a_countersignature_over_other_terms_is_refused(world: Garante) -> None:
    terms = world.draft_agreement("nca", purposes=["seizure"], tlp_ceiling="amber")
    other = world.draft_agreement("nca", purposes=["seizure"], tlp_ceiling="red")
    with pytest.raises(SignatureError):
        world.make_agreement(terms, signature=sign_statement(demo_key("nca"), other.statement()))


def test_a_countersignature_of_a_partner_without_a_key_is_refused(world: Garante) -> None:
    terms = world.draft_agreement("dea", purposes=["seizure"], tlp_ceiling="amber")
    with pytest.raises(SignatureError, match="no registered public key"):
        world.make_agreement(terms, signature=sign_statement(demo_key("dea"), terms.statement()))


# -- amending, suspending, resuming, ending -------------------------------------------------


def test_an_amendment_puts_the_next_version_in_force_and_logs_it(world: Garante) -> None:
    agreement_id = make(world)
    amended = world.draft_agreement_amendment(agreement_id, regions=["pacific"])
    changed = world.amend_agreement(amended, reason="the Pacific routes only").value
    assert (changed.version, changed.regions, changed.purposes) == (2, ("pacific",), ("seizure",))
    assert changed.reason == "the Pacific routes only" and changed.amended_at is not None
    [entry] = logged(world, "agreement.amended")
    assert entry["data"]["statement"]["version"] == 2


def test_an_amendment_countersigned_by_the_partner_is_checked_against_its_key(
    world: Garante,
) -> None:
    agreement_id = make(world, "nca")
    amended = world.draft_agreement_amendment(agreement_id, tlp_ceiling="red")
    signed = sign_statement(demo_key("nca"), amended.statement())
    assert world.amend_agreement(amended, reason="red too", signature=signed).value.countersigned
    again = world.draft_agreement_amendment(agreement_id, tlp_ceiling="green")
    with pytest.raises(SignatureError):
        world.amend_agreement(again, reason="stale signature", signature=signed)


def test_an_amendment_drafted_from_an_older_version_is_refused(world: Garante) -> None:
    agreement_id = make(world)
    first = world.draft_agreement_amendment(agreement_id, regions=["pacific"])
    stale = world.draft_agreement_amendment(agreement_id, regions=["andean"])
    world.amend_agreement(first, reason="pacific")
    with pytest.raises(InvalidState, match="version 2"):
        world.amend_agreement(stale, reason="andean")


def test_an_ended_agreement_cannot_be_amended(world: Garante) -> None:
    agreement_id = make(world)
    amended = world.draft_agreement_amendment(agreement_id, regions=["pacific"])
    world.end_agreement(agreement_id, reason="the operation closed")
    with pytest.raises(InvalidState, match="was ended"):
        world.amend_agreement(amended, reason="too late")
    with pytest.raises(InvalidState, match="was ended"):
        world.draft_agreement_amendment(agreement_id, regions=["andean"])


def test_suspending_and_resuming_are_logged_with_their_reasons(world: Garante) -> None:
    agreement_id = make(world)
    assert world.suspend_agreement(agreement_id, reason="audit").value.status == "suspended"
    assert world.resume_agreement(agreement_id, reason="audit over").value.status == "active"
    assert [e["data"]["reason"] for e in logged(world, "agreement.suspended")] == ["audit"]
    assert [e["data"]["reason"] for e in logged(world, "agreement.resumed")] == ["audit over"]


def test_an_agreement_is_not_suspended_twice_nor_resumed_unsuspended(world: Garante) -> None:
    agreement_id = make(world)
    with pytest.raises(InvalidState, match="not suspended"):
        world.resume_agreement(agreement_id, reason="?")
    world.suspend_agreement(agreement_id, reason="audit")
    with pytest.raises(InvalidState, match="already suspended"):
        world.suspend_agreement(agreement_id, reason="again")


def test_ending_is_logged_and_final(world: Garante) -> None:
    agreement_id = make(world)
    ended = world.end_agreement(agreement_id, reason="the operation closed").value
    assert ended.status == "ended" and ended.reason == "the operation closed"
    [entry] = logged(world, "agreement.ended")
    assert entry["data"] == {"agreement": agreement_id, "reason": "the operation closed"}
    with pytest.raises(InvalidState):
        world.end_agreement(agreement_id, reason="again")
    with pytest.raises(InvalidState):
        world.resume_agreement(agreement_id, reason="again")


@pytest.mark.parametrize("act", ["suspend_agreement", "resume_agreement", "end_agreement"])
def test_a_change_without_a_reason_is_refused(world: Garante, act: str) -> None:
    agreement_id = make(world)
    with pytest.raises(ValidationError) as refused:
        getattr(world, act)(agreement_id, reason="  ")
    assert refused.value.field == "reason"


def test_an_unknown_agreement_is_named_with_a_suggestion(world: Garante) -> None:
    make(world)
    with pytest.raises(AgreementNotFound) as refused:
        world.end_agreement("dea-ag-2", reason="?")
    assert "did you mean 'dea-ag-1'" in (refused.value.hint or "")


# -- what a partner sees -------------------------------------------------------------------


def test_a_partner_lists_its_own_agreements_only(world: Garante) -> None:
    make(world, "dea")
    make(world, "nca")
    assert [a.id for a in world.acting_as(DEA).agreements()] == ["dea-ag-1"]
    assert [a.id for a in world.acting_as(DEA).agreements(partner="nca")] == ["dea-ag-1"]
    assert [a.id for a in world.acting_as(NCA).agreements()] == ["nca-ag-1"]


def test_a_partner_reads_its_own_agreement(world: Garante) -> None:
    agreement_id = make(world, "dea")
    assert world.acting_as(DEA).agreement(agreement_id).partner == "dea"


def test_another_partners_agreement_is_not_found_without_a_hint(world: Garante) -> None:
    other = make(world, "nca")
    with pytest.raises(AgreementNotFound) as refused:
        world.acting_as(DEA).agreement(other)
    assert refused.value.hint is None
    with pytest.raises(AgreementNotFound) as missing:
        world.acting_as(DEA).agreement("nca-ag-9")
    assert missing.value.hint is None and missing.value.message == "no agreement 'nca-ag-9'"


# -- backfill ------------------------------------------------------------------------------


def test_a_backfill_starts_requests_for_items_already_added_in_scope(
    world: Garante, clock: FixedClock
) -> None:
    clock.set(clock.now() + timedelta(hours=1))
    since = clock.now()
    add_item(world, "pacific-lead", region="pacific")
    add_item(world, "red-lead", tlp="red")
    drafted = world.draft_agreement("dea", purposes=["seizure", "arrest"], tlp_ceiling="amber")
    change = world.make_agreement(drafted, backfill_from=since)
    # "lead" was added before ``since``; "red-lead" is above the ceiling.
    assert sorted((d.item, d.purpose, d.outcome) for d in change.started) == [
        ("pacific-lead", "arrest", "released"),
        ("pacific-lead", "seizure", "released"),
    ]


def test_a_backfill_is_previewed_with_the_same_counts_and_nothing_stored(
    world: Garante, clock: FixedClock
) -> None:
    since = clock.now() - timedelta(days=1)
    add_item(world, "pacific-lead", region="pacific")
    world.request_release("lead", recipient="dea", purpose="seizure")
    terms = world.draft_agreement(
        "dea", purposes=["seizure", "analysis"], tlp_ceiling="amber", agreement_id="dea-all"
    )
    size = world.ledger_size()
    preview = world.simulate_agreement(terms, backfill_from=since)
    assert world.ledger_size() == size and world.agreements() == []
    assert (preview.items, preview.requests, preview.already_requested) == (2, 3, 1)
    # dea's undertaking permits seizure and arrest, not analysis.
    assert (preview.released, preview.held, preview.denied) == (1, 0, 2)
    started = world.make_agreement(terms, backfill_from=since).started
    assert sorted(d.outcome for d in started) == ["denied", "denied", "released"]


def test_a_backfill_from_the_future_is_refused(world: Garante, clock: FixedClock) -> None:
    terms = world.draft_agreement("dea", purposes=["seizure"], tlp_ceiling="amber")
    with pytest.raises(ValidationError) as refused:
        world.make_agreement(terms, backfill_from=clock.now() + timedelta(days=1))
    assert refused.value.field == "backfill_from"
    assert world.agreements() == []


def test_a_backfill_of_an_agreement_not_yet_in_force_is_refused(
    world: Garante, clock: FixedClock
) -> None:
    terms = world.draft_agreement(
        "dea", purposes=["seizure"], tlp_ceiling="amber", valid_from=clock.now() + timedelta(1)
    )
    with pytest.raises(ValidationError, match="not in force now"):
        world.make_agreement(terms, backfill_from=clock.now() - timedelta(days=1))


def test_a_backfill_by_a_liaison_replays_as_entitled(world: Garante, clock: FixedClock) -> None:
    since = clock.now() - timedelta(days=1)
    terms = world.draft_agreement("dea", purposes=["seizure"], tlp_ceiling="amber")
    started = world.acting_as(LIAISON).make_agreement(terms, backfill_from=since).started
    assert [(d.item, d.outcome) for d in started] == [("lead", "released")]
    # The log is replayed after the test (conftest): the liaison's requests must be entitled.


# -- kept in memory ------------------------------------------------------------------------


def test_agreements_read_at_once_share_their_equal_sets(world: Garante) -> None:
    first_id = make(world, "dea", categories=["maritime-interdiction"], originators=["dipol"])
    second_id = make(world, "nca", categories=["maritime-interdiction"], originators=["dipol"])
    first, second = _read_at_once(world, first_id, second_id)
    assert first.purposes is second.purposes
    assert first.scope.categories is second.scope.categories
    assert first.scope.originators is second.scope.originators
    assert first.scope.regions is second.scope.regions == frozenset()


def test_agreements_read_at_once_keep_their_own_terms(world: Garante) -> None:
    first_id = make(world, "dea", purposes=["seizure"], regions=["caribbean"])
    second_id = make(world, "nca", purposes=["seizure", "prosecution"], regions=["pacific"])
    first, second = _read_at_once(world, first_id, second_id)
    assert first.purposes == {"seizure"} and second.purposes == {"seizure", "prosecution"}
    assert first.scope.regions == {"caribbean"} and second.scope.regions == {"pacific"}


def test_agreements_read_at_once_are_those_their_rows_hold(world: Garante) -> None:
    ids = [
        make(world, "dea", purposes=["seizure", "prosecution"], regions=["caribbean"]),
        make(
            world,
            "nca",
            originators=["dipol"],
            recall_ack_within="4h",
            onward_to=["GB", "dea"],
            onward_purposes=["seizure"],
        ),
    ]
    kept = _read_at_once(world, *ids)
    with world.context.reads() as reading:
        rows = [store_agreements.get(reading.session, agreement_id) for agreement_id in ids]
        assert kept == [store_agreements.as_agreement(row) for row in rows if row is not None]
    assert kept[1].recall_ack_within == timedelta(hours=4)
    assert kept[1].onward_to == {"GB", "dea"}


def _read_at_once(world: Garante, *ids: str) -> list[Agreement]:
    """The agreements ``ids``, as a process keeps them (``store.agreements.not_ended``)."""
    with world.context.reads() as reading:
        found = {a.id: a for a in store_agreements.not_ended(reading.session)}
    return [found[agreement_id] for agreement_id in ids]
