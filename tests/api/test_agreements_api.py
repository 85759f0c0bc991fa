"""Standing agreements over the HTTP API, through the typed client and as raw JSON.

A liaison drafts, makes (with a backfill, previewed first), amends, suspends, resumes and ends
agreements; a partner countersigns with its key and sees only its own; an item added answers
the requests its fan-out started. The demo's store, on a real server (SQLite and PostgreSQL).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from garante.client import GaranteAPIError, GaranteClient, StatementMismatch
from garante.domain.decision import Outcome
from garante.scenarios.keys import demo_key
from tests.support.scenario import scenario_bundle
from tests.support.servers import Server

SINCE = "2025-01-01T00:00:00Z"  # the demo adds its items on 15 January


@pytest.fixture(scope="module")
def liaison(demo_server: Server) -> Iterator[GaranteClient]:
    with GaranteClient(demo_server.url, demo_server.token("liaison", agency="dipol")) as client:
        yield client


@pytest.fixture(scope="module")
def analyst(demo_server: Server) -> Iterator[GaranteClient]:
    with GaranteClient(demo_server.url, demo_server.token("analyst", agency="dipol")) as client:
        yield client


@pytest.fixture(scope="module")
def dea(demo_server: Server) -> Iterator[GaranteClient]:
    with GaranteClient(demo_server.url, demo_server.token("partner", agency="dea")) as client:
        yield client


@pytest.fixture(scope="module")
def http(demo_server: Server) -> Iterator[httpx.Client]:
    token = demo_server.token("liaison", agency="dipol")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=demo_server.api, headers=headers, timeout=30) as client:
        yield client


def _fresh(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_a_draft_is_the_statement_the_partner_countersigns_and_stores_nothing(
    liaison: GaranteClient,
) -> None:
    drafted = liaison.draft_agreement(
        "nca", purposes=["seizure", "analysis"], tlp_ceiling="amber", regions=["pacific"]
    )
    statement = drafted.statement
    assert statement["type"] == "garante.agreement/v1"
    assert (statement["partner"], statement["version"]) == ("nca", 1)
    assert statement["purposes"] == ["analysis", "seizure"]
    assert drafted.signing_bytes() == drafted.canonical.encode()
    assert str(statement["id"]) not in {a.id for a in liaison.iter_agreements()}


def test_the_backfill_preview_counts_what_making_the_agreement_then_starts(
    liaison: GaranteClient,
) -> None:
    terms: dict[str, Any] = {
        "purposes": ["analysis"],
        "tlp_ceiling": "amber",
        "categories": ["maritime-interdiction"],
        "agreement_id": _fresh("nca-maritime"),
    }
    preview = liaison.simulate_agreement("nca", backfill_from=SINCE, **terms)
    assert preview.items >= 1 and preview.requests >= 1
    assert preview.released + preview.held + preview.denied == preview.requests
    assert terms["agreement_id"] not in {a.id for a in liaison.iter_agreements()}
    change = liaison.make_agreement("nca", backfill_from=SINCE, **terms)
    assert change.agreement.id == terms["agreement_id"]
    assert len(change.started) == preview.requests
    assert {d.recipient for d in change.started} == {"nca"}
    released = [d for d in change.started if d.outcome == Outcome.RELEASED]
    assert len(released) == preview.released


def test_an_agreement_countersigned_with_the_partners_key_is_marked_so(
    liaison: GaranteClient,
) -> None:
    change = liaison.make_agreement(
        "dea", purposes=["seizure"], tlp_ceiling="green", key=demo_key("dea")
    )
    assert change.agreement.countersigned
    assert change.agreement.status == "active" and change.started == []


def test_a_countersignature_by_another_key_is_refused(liaison: GaranteClient) -> None:
    with pytest.raises(GaranteAPIError) as refused:
        liaison.make_agreement(
            "dea", purposes=["seizure"], tlp_ceiling="green", key=demo_key("fbi")
        )
    assert refused.value.status == 422
    assert refused.value.code.startswith("signature.")


def test_the_client_refuses_to_countersign_a_draft_for_another_partner(
    demo_server: Server,
) -> None:
    class Lying(GaranteClient):
        def _statement(self, path: str, body: Any) -> Any:
            drafted = super()._statement(path, body)
            drafted.statement["partner"] = "fbi"
            return drafted

    with (
        Lying(demo_server.url, demo_server.token("liaison", agency="dipol")) as lying,
        pytest.raises(StatementMismatch),
    ):
        lying.make_agreement("dea", purposes=["seizure"], tlp_ceiling="green", key=demo_key("dea"))


def test_an_amendment_changes_only_the_terms_given_and_counts_a_version(
    liaison: GaranteClient,
) -> None:
    made = liaison.make_agreement(
        "nca", purposes=["analysis"], tlp_ceiling="green", regions=["andean"]
    ).agreement
    amended = liaison.amend_agreement(
        made.id, reason="the Pacific routes too", regions=["andean", "pacific"]
    ).agreement
    assert amended.version == 2 and amended.reason == "the Pacific routes too"
    assert (amended.regions, amended.purposes, amended.tlp_ceiling) == (
        ("andean", "pacific"),
        ("analysis",),
        "green",
    )
    assert liaison.get_agreement(made.id) == amended


def test_a_partners_amendment_is_countersigned_with_its_key(liaison: GaranteClient) -> None:
    made = liaison.make_agreement("dea", purposes=["seizure"], tlp_ceiling="green").agreement
    assert not made.countersigned
    amended = liaison.amend_agreement(
        made.id, reason="countersigned now", tlp_ceiling="amber", key=demo_key("dea")
    ).agreement
    assert amended.countersigned and amended.version == 2


def test_suspended_resumed_and_ended_each_with_its_reason(liaison: GaranteClient) -> None:
    made = liaison.make_agreement("nca", purposes=["analysis"], tlp_ceiling="green").agreement
    suspended = liaison.suspend_agreement(made.id, reason="audit of the desk").agreement
    assert (suspended.status, suspended.reason) == ("suspended", "audit of the desk")
    resumed = liaison.resume_agreement(made.id, reason="audit closed").agreement
    assert resumed.status == "active"
    ended = liaison.end_agreement(made.id, reason="replaced").agreement
    assert ended.status == "ended" and ended.ended_at is not None
    with pytest.raises(GaranteAPIError) as refused:
        liaison.resume_agreement(made.id, reason="again")
    assert (refused.value.status, refused.value.code) == (409, "conflict.invalid_state")


def test_ending_without_a_reason_is_refused(liaison: GaranteClient, http: httpx.Client) -> None:
    made = liaison.make_agreement("nca", purposes=["analysis"], tlp_ceiling="green").agreement
    response = http.post(f"/agreements/{made.id}/end", json={})
    assert response.status_code == 422
    assert response.json()["field"] == "reason"
    assert liaison.get_agreement(made.id).status == "active"


def test_an_unknown_tlp_ceiling_is_refused_with_the_markings_there_are(http: httpx.Client) -> None:
    body = {"partner": "nca", "purposes": ["analysis"], "tlp_ceiling": "purple"}
    response = http.post("/agreements", json=body)
    assert response.status_code == 422
    assert response.json()["field"] == "tlp_ceiling"
    assert "amber" in response.json()["hint"]


def test_an_unknown_agreement_is_not_found(liaison: GaranteClient) -> None:
    with pytest.raises(GaranteAPIError) as refused:
        liaison.get_agreement("no-such-agreement")
    assert (refused.value.status, refused.value.code) == (404, "agreement.not_found")


def test_a_partner_lists_and_reads_only_its_own_agreements(
    liaison: GaranteClient, dea: GaranteClient
) -> None:
    own = liaison.make_agreement("dea", purposes=["seizure"], tlp_ceiling="amber").agreement
    other = liaison.make_agreement("fbi", purposes=["arrest"], tlp_ceiling="amber").agreement
    seen = list(dea.iter_agreements())
    assert own.id in {a.id for a in seen}
    assert {a.partner for a in seen} == {"dea"}
    assert {a.partner for a in dea.iter_agreements(partner="fbi")} <= {"dea"}
    assert dea.get_agreement(own.id).id == own.id
    with pytest.raises(GaranteAPIError) as refused:
        dea.get_agreement(other.id)
    assert refused.value.status == 404 and refused.value.hint is None


def test_a_partner_may_not_make_an_agreement(dea: GaranteClient) -> None:
    with pytest.raises(GaranteAPIError) as refused:
        dea.make_agreement("dea", purposes=["seizure"], tlp_ceiling="amber")
    assert (refused.value.status, refused.value.code) == (403, "auth.forbidden")


def test_the_list_pages_by_id_and_filters_by_partner(liaison: GaranteClient) -> None:
    for _ in range(2):
        liaison.make_agreement("hsi", purposes=["analysis"], tlp_ceiling="clear")
    first = liaison.list_agreements(partner="hsi", limit=1)
    assert len(first.items) == 1 and first.next_cursor is not None
    every = [a.id for a in liaison.iter_agreements(partner="hsi", limit=1)]
    assert len(every) >= 2 and every == sorted(every)
    assert {a.partner for a in liaison.iter_agreements(partner="hsi")} == {"hsi"}


def test_an_item_added_answers_the_requests_its_agreements_started(
    liaison: GaranteClient, analyst: GaranteClient
) -> None:
    region = "amazon"
    agreement = liaison.make_agreement(
        "nca", purposes=["analysis"], tlp_ceiling="amber", regions=[region]
    ).agreement
    item_id = _fresh("co-fanout")
    added = analyst.add_item(
        item_id,
        title="A lead the NCA's agreement covers",
        category="drug-trafficking",
        region=region,
        tlp="green",
        bundle=scenario_bundle(),
    )
    assert added.id == item_id and added.originator == "dipol"
    started = {(d.item, d.recipient, d.purpose) for d in added.started}
    assert (item_id, "nca", "analysis") in started  # and whatever other agreements cover it
    assert {item for item, _recipient, _purpose in started} == {item_id}
    assert agreement.regions == (region,)
    assert analyst.get_item(item_id).id == item_id


def test_a_recall_acknowledgement_deadline_is_part_of_what_the_partner_countersigns(
    liaison: GaranteClient,
) -> None:
    drafted = liaison.draft_agreement(
        "dea", purposes=["seizure"], tlp_ceiling="green", recall_ack_within="48h"
    )
    assert drafted.statement["recall_ack_within"] == 48 * 3600
    made = liaison.make_agreement(
        "dea",
        purposes=["seizure"],
        tlp_ceiling="green",
        recall_ack_within="48h",
        key=demo_key("dea"),
    ).agreement
    assert made.countersigned and made.recall_ack_within is not None


def test_an_amendment_through_the_client_sets_the_recall_acknowledgement_deadline(
    liaison: GaranteClient,
) -> None:
    made = liaison.make_agreement("nca", purposes=["analysis"], tlp_ceiling="green").agreement
    assert made.recall_ack_within is None
    amended = liaison.amend_agreement(
        made.id, reason="recalls answered within a day", recall_ack_within="1d"
    ).agreement
    assert amended.recall_ack_within is not None and amended.version == 2
    assert amended.recall_ack_within != made.recall_ack_within
