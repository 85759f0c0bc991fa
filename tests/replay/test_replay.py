"""``audit replay``: the log alone re-derives the state, the signatures, the rights and the
decisions; a rewrite signed with the log's own key is still named at its entry."""

from __future__ import annotations

from typing import Any

from garante.ledger.note import Signer
from tests.replay.conftest import Log


def _first(log: Log) -> str:
    replayed = log.replayed()
    assert replayed.log.ok, replayed.log.findings  # the forger re-signed: hashes prove nothing
    assert replayed.replay.first is not None, "the replay found nothing"
    return str(replayed.replay.first)


def test_the_scenario_log_replays_with_no_disagreement(scenario_log: Log) -> None:
    replayed = scenario_log.replayed()
    assert replayed.ok, [str(d) for d in replayed.replay.disagreements]
    assert replayed.replay.entries == len(scenario_log.entries)
    assert replayed.replay.decisions_rederived >= 20
    assert replayed.replay.signatures_verified >= 5


def test_the_replayed_state_holds_the_orders_as_last_signed(scenario_log: Log) -> None:
    state = scenario_log.replayed().replayer.state
    suspension = state.orders["co-us-suspension"].order
    assert suspension.version == 2
    assert suspension.effect == "require"
    assert state.orders["breach-hsi-2"].order.authority_id == "garante-system"


def test_a_log_rewritten_and_signed_with_another_key_fails_against_the_published_key(
    scenario_log: Log,
) -> None:
    impostor = Log(
        entries=scenario_log.entries,
        checkpoints=scenario_log.checkpoints,
        key=scenario_log.key,
        signer=Signer.generate(scenario_log.key.name),
    )
    [index] = impostor.indexes("release.decided", request=4)
    forged = impostor.forged(index, lambda e: e["data"].update(outcome="released"))
    replayed = forged.replayed()
    assert not replayed.log.ok
    assert not replayed.ok


def test_a_held_decision_rewritten_as_released_is_named_at_its_entry(scenario_log: Log) -> None:
    [index] = scenario_log.indexes("release.decided", request=9)

    def release(entry: dict[str, Any]) -> None:
        entry["data"]["outcome"] = "released"

    message = _first(scenario_log.forged(index, release))
    assert message.startswith(f"entry {index} (release.decided)")
    assert "deciding it again" in message and "gives held" in message


def test_a_decision_whose_rules_were_rewritten_is_named(scenario_log: Log) -> None:
    [index] = scenario_log.indexes("release.decided", request=7)

    def cite_nothing(entry: dict[str, Any]) -> None:
        entry["data"]["rules"] = []

    assert "deciding again cites" in _first(scenario_log.forged(index, cite_nothing))


def test_a_withholding_the_order_does_not_bring_is_named(scenario_log: Log) -> None:
    [index] = scenario_log.indexes("release.available", request=1)

    def withhold(entry: dict[str, Any]) -> None:
        entry["kind"] = "release.withheld"

    assert "withholds request 1" in _first(scenario_log.forged(index, withhold))


def test_an_order_lifted_by_an_authority_that_did_not_issue_it_is_named(
    scenario_log: Log,
) -> None:
    message = _first(scenario_log.appended(_lift_by_interior(None)))
    assert "answers to presidency" in message


def test_an_order_of_the_system_authority_that_no_breach_brought_is_named(
    scenario_log: Log,
) -> None:
    [index] = scenario_log.indexes("order.issued")[:1]
    issued = scenario_log.entry(index)
    statement = dict(issued["data"]["statement"], id="forged", authority="garante-system")
    order = {**issued, "data": {"statement": statement, "signature": None}}
    assert "no breach brought" in _first(scenario_log.appended(order))


def test_an_undertaking_unsigned_by_an_agency_with_a_key_is_named(scenario_log: Log) -> None:
    [index] = scenario_log.indexes("undertaking.signed", undertaking="dea-2025-11")

    def unsign(entry: dict[str, Any]) -> None:
        entry["data"]["signature"] = None

    assert "dea had a registered key" in _first(scenario_log.forged(index, unsign))


def test_an_undertaking_whose_terms_were_rewritten_fails_its_signature(scenario_log: Log) -> None:
    [index] = scenario_log.indexes("undertaking.signed", undertaking="dea-2025-11")

    def permit_more(entry: dict[str, Any]) -> None:
        entry["data"]["statement"]["permits"].append("onward-sharing")

    assert "does not verify" in _first(scenario_log.forged(index, permit_more))


def test_a_recall_by_an_agency_that_did_not_originate_the_item_is_named(
    scenario_log: Log,
) -> None:
    recall = {
        "v": 1,
        "kind": "release.recalled",
        "at": "2025-11-14T09:00:00Z",
        "actor": "analyst:dijin",
        "data": {
            "request": 2,
            "partner": "nca",
            "delivered": False,
            "objects": [],
            "reason": "mistake",
        },
    }
    assert "only the originator recalls" in _first(scenario_log.appended(recall))


def test_a_partner_token_for_a_domestic_agency_is_named(scenario_log: Log) -> None:
    token = {
        "v": 1,
        "kind": "token.created",
        "at": "2025-11-14T09:00:00Z",
        "actor": "cli",
        "data": {"token": "t1", "role": "partner", "agency": "dipol", "authority": None},
    }
    assert "a domestic agency" in _first(scenario_log.appended(token))


def test_a_token_created_through_a_token_is_named(scenario_log: Log) -> None:
    token = {
        "v": 1,
        "kind": "token.created",
        "at": "2025-11-14T09:00:00Z",
        "actor": "liaison:dipol",
        "data": {"token": "t1", "role": "overseer", "agency": "cti", "authority": None},
    }
    assert "only the operator may write it" in _first(scenario_log.appended(token))


def test_a_derived_condition_recorded_against_its_events_is_named(scenario_log: Log) -> None:
    [index] = scenario_log.indexes("condition.changed")

    def deactivate(entry: dict[str, Any]) -> None:
        entry["data"]["active"] = False

    assert "its events make it active" in _first(scenario_log.forged(index, deactivate))


def test_a_breach_verdict_the_undertaking_does_not_support_is_named(scenario_log: Log) -> None:
    [index] = scenario_log.indexes("outcome.reported", breach=False)

    def breach(entry: dict[str, Any]) -> None:
        entry["data"]["breach"] = True

    assert "judging it again gives breach=False" in _first(scenario_log.forged(index, breach))


def test_a_decision_citing_a_state_before_the_latest_change_is_named(scenario_log: Log) -> None:
    [index] = scenario_log.indexes("release.decided", request=7)

    def stale(entry: dict[str, Any]) -> None:
        entry["data"]["state_version"] = 30  # before the suspension, entry 39

    assert "cites state version 30" in _first(scenario_log.forged(index, stale))


def test_an_unreadable_entry_is_named_and_the_rest_still_replayed(scenario_log: Log) -> None:
    from garante.ledger.logcheck import StoredEntry

    entries = list(scenario_log.entries)
    entries[3] = StoredEntry(index=3, entry=b"not json")
    forged = Log(
        entries=entries, checkpoints=[], key=scenario_log.key, signer=scenario_log.signer
    )._signed(entries)
    replayed = forged.replayed()
    assert str(replayed.replay.disagreements[0]).startswith("entry 3 (?)")
    assert replayed.replay.entries == len(entries)


def test_a_delivery_while_an_order_withholds_the_release_is_named(scenario_log: Log) -> None:
    [index] = scenario_log.indexes("release.withheld", request=1)

    def deliver(entry: dict[str, Any]) -> None:
        entry["kind"] = "release.delivered"
        entry["data"] = {"request": 1, "partner": "dea", "trace": "doctored"}

    message = _first(scenario_log.forged(index, deliver))
    assert message.startswith(f"entry {index} (release.delivered)")
    assert "while deciding it gives held" in message


def test_a_delivery_under_another_trace_than_its_release_marked_is_named(
    scenario_log: Log,
) -> None:
    marked = scenario_log.indexes("release.marked")[0]
    data = scenario_log.entry(marked)["data"]
    index = marked + 1  # the entry after it, forged into the release's delivery

    def deliver(entry: dict[str, Any]) -> None:
        entry["kind"] = "release.delivered"
        entry["actor"] = f"partner:{data['partner']}"
        entry["data"] = {"request": data["request"], "partner": data["partner"], "trace": "x"}

    message = _first(scenario_log.forged(index, deliver))
    assert message.startswith(f"entry {index} (release.delivered)")
    assert f"with trace x, not {data['trace']}" in message


def test_a_release_marked_in_another_partners_feed_is_named(scenario_log: Log) -> None:
    [index] = scenario_log.indexes("release.marked", request=1)

    def elsewhere(entry: dict[str, Any]) -> None:
        entry["data"]["partner"] = "nca"

    message = _first(scenario_log.forged(index, elsewhere))
    assert message.startswith(f"entry {index} (release.marked)")
    assert "in nca's feed, not its recipient's" in message


def test_a_gap_in_the_indexes_is_named(scenario_log: Log) -> None:
    from garante.replay import LoggedEntry, Replayer

    entries = [e for e in scenario_log.entries if e.index != 5]
    report = Replayer().replay(LoggedEntry.read(e.index, e.entry) for e in entries)
    assert str(report.disagreements[0]).startswith("entry 6 (")
    assert "where entry 5 was expected" in str(report.disagreements[0])


def test_an_event_rewritten_after_its_agency_signed_it_is_named(scenario_log: Log) -> None:
    index = scenario_log.indexes("event.recorded")[0]

    def move(entry: dict[str, Any]) -> None:
        entry["data"]["statement"]["region"] = "pacific"
        entry["data"]["region"] = "pacific"

    assert "does not verify with dipol's key" in _first(scenario_log.forged(index, move))


def test_a_condition_change_naming_other_events_as_its_proof_is_named(scenario_log: Log) -> None:
    [index] = scenario_log.indexes("condition.changed")

    def other_proof(entry: dict[str, Any]) -> None:
        entry["data"]["events"] = [99]

    assert "as its proof, but its rule counts" in _first(scenario_log.forged(index, other_proof))


def _lift_by_interior(acting_as: str | None) -> dict[str, Any]:
    """The interior ministry lifting the presidency's order, saying (or not) for whom."""
    lift: dict[str, Any] = {
        "v": 1,
        "kind": "order.lifted",
        "at": "2025-11-14T09:00:00Z",
        "actor": "authority:mininterior",
        "data": {
            "statement": {
                "type": "garante.order-lift/v1",
                "id": "co-us-suspension",
                "version": 3,
                "reason": "lifted",
                "lifted_by": "mininterior",
            },
            "signature": None,
        },
    }
    if acting_as is not None:
        lift["data"]["acting_as"] = acting_as
    return lift


def test_a_lift_by_a_superior_must_say_it_acted_as_superior(scenario_log: Log) -> None:
    superior = {
        "v": 1,
        "kind": "authority.superior-set",
        "at": "2025-11-14T08:00:00Z",
        "actor": "cli",
        "data": {"authority": "mininterior", "over": ["presidency"]},
    }
    log = scenario_log.appended(superior).appended(_lift_by_interior("issuer"))
    assert "acted as issuer, but it could act as superior" in _first(log)


def test_a_superior_relation_set_by_a_token_is_named(scenario_log: Log) -> None:
    superior = {
        "v": 1,
        "kind": "authority.superior-set",
        "at": "2025-11-14T08:00:00Z",
        "actor": "authority:mininterior",
        "data": {"authority": "mininterior", "over": ["presidency"]},
    }
    assert "only the operator may write it" in _first(scenario_log.appended(superior))


def test_a_key_change_stating_another_previous_key_is_named(scenario_log: Log) -> None:
    key_set = {
        "v": 1,
        "kind": "agency.key-set",
        "at": "2025-11-14T09:00:00Z",
        "actor": "liaison:dipol",
        "data": {
            "agency": "dea",
            "public_key": "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
            "statement": {
                "type": "garante.key/v1",
                "agency": "dea",
                "public_key": "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
                "previous_key": None,
            },
            "signature": None,
            "recovered_by": None,
        },
    }
    assert "not the one a change of dea's key states" in _first(scenario_log.appended(key_set))


def test_a_decision_whose_request_is_not_a_number_is_named_and_the_rest_replayed(
    scenario_log: Log,
) -> None:
    [index] = scenario_log.indexes("release.decided", request=9)

    def mistype(entry: dict[str, Any]) -> None:
        entry["data"]["request"] = "8"

    replayed = scenario_log.forged(index, mistype).replayed()
    assert str(replayed.replay.first) == (
        f'entry {index} (release.decided): cannot be read: data.request is "8" (str), not int'
    )
    assert replayed.replay.entries == len(scenario_log.entries)


def test_an_entry_missing_a_field_of_its_kind_is_named(scenario_log: Log) -> None:
    [index] = scenario_log.indexes("undertaking.signed", undertaking="dea-2025-11")

    def drop(entry: dict[str, Any]) -> None:
        del entry["data"]["signature"]

    message = _first(scenario_log.forged(index, drop))
    assert (
        message == f"entry {index} (undertaking.signed): cannot be read: data.signature is missing"
    )


def test_a_statement_member_of_the_wrong_type_is_named(scenario_log: Log) -> None:
    [index] = scenario_log.indexes("order.issued")[:1]

    def mistype(entry: dict[str, Any]) -> None:
        entry["data"]["statement"]["version"] = "1"

    message = _first(scenario_log.forged(index, mistype))
    assert "cannot be read: its statement's version is" in message
