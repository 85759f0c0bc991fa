"""Replaying standing agreements: their terms and changes rebuilt from the log, and every
request an agreement started checked against what the agreement covered at that moment."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from garante.domain.roles import Principal, Role
from garante.scenarios.keys import demo_key
from garante.service.app import Garante
from garante.service.clock import FixedClock
from garante.signatures import public_key_bytes, sign_statement
from tests.replay.conftest import Log
from tests.support.scenario import START, scenario_bundle

ANALYST = Principal(token_id="t-an", role=Role.ANALYST, agency_id="dipol")
LIAISON = Principal(token_id="t-li", role=Role.LIAISON, agency_id="dipol")


def _item(garante: Garante, item_id: str, *, tlp: str = "amber", region: str = "caribbean") -> None:
    garante.acting_as(ANALYST).add_item(
        item_id,
        title="A lead",
        category="maritime-interdiction",
        region=region,
        tlp=tlp,
        originator="dipol",
        bundle=scenario_bundle(),
    )


@pytest.fixture(scope="module")
def agreements_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Log]:
    """DEA's maritime agreement (amber and below) and the NCA's countersigned Pacific one,
    suspended, resumed, amended and ended around items that fan out to them."""
    path = tmp_path_factory.mktemp("agreements") / "garante.db"
    clock = FixedClock(START)
    garante = Garante.open(f"sqlite:///{path}", clock=clock)
    try:
        garante.register_agency("dipol", name="DIPOL", country="CO", domestic=True)
        garante.register_agency("dea", name="DEA", country="US")
        nca = demo_key("nca")
        garante.register_agency(
            "nca", name="NCA", country="GB", public_key=public_key_bytes(nca.public_key())
        )
        garante.record_undertaking(
            garante.draft_undertaking("dea", permits=["seizure", "arrest"]), signature=None
        )
        terms = garante.draft_undertaking("nca", permits=["seizure"])
        garante.record_undertaking(terms, signature=sign_statement(nca, terms.statement()))
        liaison = garante.acting_as(LIAISON)
        _item(garante, "before")
        clock.set(START + timedelta(hours=1))
        dea = liaison.draft_agreement(
            "dea", purposes=["seizure", "arrest"], tlp_ceiling="amber", agreement_id="dea-sea"
        )
        liaison.make_agreement(dea, backfill_from=START)  # "before", by the liaison
        pacific = liaison.draft_agreement(
            "nca", purposes=["seizure"], tlp_ceiling="red", regions=["pacific"]
        )
        liaison.make_agreement(pacific, signature=sign_statement(nca, pacific.statement()))
        clock.set(START + timedelta(hours=2))
        _item(garante, "amber-lead")
        _item(garante, "red-lead", tlp="red")
        _item(garante, "pacific-lead", region="pacific")
        liaison.suspend_agreement("nca-ag-1", reason="audit")
        _item(garante, "during-audit", region="pacific")
        liaison.resume_agreement("nca-ag-1", reason="audit over")
        amended = liaison.draft_agreement_amendment("dea-sea", tlp_ceiling="green")
        liaison.amend_agreement(amended, reason="green only")
        _item(garante, "green-lead", tlp="green")
        liaison.end_agreement("nca-ag-1", reason="the operation closed")
        log = Log.of(garante, Path(f"{path}.log-key"))
    finally:
        garante.close()
    yield log


def _first(log: Log) -> str:
    replayed = log.replayed()
    assert replayed.log.ok, replayed.log.findings
    assert replayed.replay.first is not None, "the replay found nothing"
    return str(replayed.replay.first)


def _requested(log: Log, item: str, recipient: str = "dea", purpose: str = "seizure") -> int:
    [index] = log.indexes("release.requested", item=item, recipient=recipient, purpose=purpose)
    return index


def _appended_request(log: Log, **data: Any) -> Log:
    """One more request entry, written by an analyst, as the fan-out would write it."""
    last = log.entry(len(log.entries) - 1)
    request = {"request": 9_999, "item": "amber-lead", "recipient": "dea", "purpose": "seizure"}
    return log.appended(
        {
            "v": 1,
            "kind": "release.requested",
            "at": last["at"],
            "actor": "analyst:dipol",
            "data": {**request, **data},
        }
    )


def test_a_log_with_agreements_replays_with_no_disagreement(agreements_log: Log) -> None:
    replayed = agreements_log.replayed()
    assert replayed.ok, [str(d) for d in replayed.replay.disagreements]
    assert replayed.replay.kinds["agreement.made"] == 2
    assert replayed.replay.signatures_verified >= 2  # nca's undertaking and countersignature


def test_the_replayed_state_holds_each_agreement_as_last_changed(agreements_log: Log) -> None:
    state = agreements_log.replayed().replayer.state
    dea, nca = state.agreements["dea-sea"], state.agreements["nca-ag-1"]
    assert (dea.version, dea.scope.tlp_ceiling.value, dea.ended_at) == (2, "green", None)
    assert nca.ended_at is not None and nca.suspended_at is None
    started = {r.item for r in state.requests.values() if r.agreement == "dea-sea"}
    assert started == {"before", "amber-lead", "pacific-lead", "during-audit", "green-lead"}
    assert {r.item for r in state.requests.values() if r.agreement == "nca-ag-1"} == {
        "pacific-lead"
    }


def test_an_agreement_narrowed_in_the_log_is_named_at_the_request_it_did_not_cover(
    agreements_log: Log,
) -> None:
    """The forger rewrites the DEA's agreement as covering only TLP:CLEAR: every request it
    started for an amber item is now one it could not have started."""
    [made] = agreements_log.indexes("agreement.made", agreement="dea-sea")

    def narrow(entry: dict[str, Any]) -> None:
        entry["data"]["statement"]["tlp_ceiling"] = "clear"

    message = _first(agreements_log.forged(made, narrow))
    index = _requested(agreements_log, "before", purpose="arrest")  # the first it started
    assert message == (
        f"entry {index} (release.requested): was started by agreement dea-sea, but its scope "
        "does not cover item before (maritime-interdiction, caribbean, TLP amber, from dipol)"
    )


def test_a_request_an_agreement_started_above_its_ceiling_is_named(agreements_log: Log) -> None:
    forged = _appended_request(agreements_log, item="red-lead", agreement="dea-sea")
    assert "its scope does not cover item red-lead" in _first(forged)


def test_a_request_an_ended_agreement_started_is_named(agreements_log: Log) -> None:
    forged = _appended_request(
        agreements_log, item="green-lead", recipient="nca", agreement="nca-ag-1"
    )
    assert "was started by agreement nca-ag-1, but it was ended then" in _first(forged)


def test_a_request_to_another_partner_than_the_agreements_is_named(agreements_log: Log) -> None:
    forged = _appended_request(agreements_log, item="green-lead", recipient="nca",
                               agreement="dea-sea")  # fmt: skip
    assert "it is dea's, not nca's" in _first(forged)


def test_a_request_for_a_purpose_the_agreement_does_not_name_is_named(
    agreements_log: Log,
) -> None:
    forged = _appended_request(
        agreements_log, item="green-lead", purpose="lethal-force", agreement="dea-sea"
    )
    assert "its purposes are arrest, seizure, not lethal-force" in _first(forged)


def test_an_agreement_asking_twice_for_the_same_release_is_named(agreements_log: Log) -> None:
    forged = _appended_request(agreements_log, item="green-lead", agreement="dea-sea")
    assert "green-lead was already requested for dea and seizure" in _first(forged)


def test_a_request_naming_an_agreement_never_made_is_named(agreements_log: Log) -> None:
    forged = _appended_request(agreements_log, agreement="dea-invented")
    assert "agreement dea-invented, which was never made" in _first(forged)


def test_a_countersigned_agreement_rewritten_fails_its_signature(agreements_log: Log) -> None:
    [made] = agreements_log.indexes("agreement.made", agreement="nca-ag-1")

    def widen(entry: dict[str, Any]) -> None:
        entry["data"]["statement"]["regions"] = []

    assert "does not verify with nca's key" in _first(agreements_log.forged(made, widen))


def test_an_amendment_out_of_sequence_is_named(agreements_log: Log) -> None:
    [amended] = agreements_log.indexes("agreement.amended", agreement="dea-sea")

    def skip(entry: dict[str, Any]) -> None:
        entry["data"]["statement"]["version"] = 3

    assert "states version 3 after 1" in _first(agreements_log.forged(amended, skip))


def test_a_suspension_of_an_ended_agreement_is_named(agreements_log: Log) -> None:
    last = agreements_log.entry(len(agreements_log.entries) - 1)
    forged = agreements_log.appended(
        {
            "v": 1,
            "kind": "agreement.suspended",
            "at": last["at"],
            "actor": "liaison:dipol",
            "data": {"agreement": "nca-ag-1", "reason": "late"},
        }
    )
    assert "suspends agreement nca-ag-1, which was already ended" in _first(forged)


def test_an_agreement_made_by_an_analyst_is_named(agreements_log: Log) -> None:
    [made] = agreements_log.indexes("agreement.made", agreement="dea-sea")

    def by_analyst(entry: dict[str, Any]) -> None:
        entry["actor"] = "analyst:dipol"

    assert "only liaison may write it" in _first(agreements_log.forged(made, by_analyst))


def test_a_request_made_by_a_liaison_without_an_agreement_is_named(agreements_log: Log) -> None:
    index = _requested(agreements_log, "before")

    def by_hand(entry: dict[str, Any]) -> None:
        del entry["data"]["agreement"]

    assert "only analyst may write it" in _first(agreements_log.forged(index, by_hand))
