"""The November 2025 story, told through the Python client to a real ``garante serve``.

The scenario file replays on a clock that jumps from date to date; a live server's clock does
not jump, so here the story is told in order in real time: sharing as usual, the presidency's
hold on US agencies while the strikes persist, the amendment that asks for guarantees, the
DEA's new undertaking, the interior minister's exemption for joint casework. Only the first
agency is registered with the CLI (a token must act for something that exists); the rest goes
through ``garante.client``.

The tests share one module-scoped story and run in file order, each one step of it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from garante.api.schemas import OrderChange, UndertakingChange
from garante.client import GaranteAPIError, GaranteClient, Requirement, Scope, StatementMismatch
from garante.ledger.checkpoint import VerifierKey, open_checkpoint
from garante.ledger.verify import verify_consistency, verify_inclusion
from garante.records import Checkpoint, Decided, Held
from garante.scenarios import runner
from garante.scenarios.keys import demo_key
from garante.signatures import canonical, encode_public_key, public_key_bytes
from tests.support.servers import Server

SCENARIO = runner.load()
BUNDLES = runner.SCENARIOS / "bundles"
CONDITION = "caribbean-vessel-strikes"
SUSPENSION = "co-us-suspension"
EXEMPTION = "joint-casework-exemption"
SUSPENSION_REASON = (
    "All levels of intelligence of the public force shall suspend the sending of "
    "communications with US security agencies, as long as attacks on vessels in the "
    "Caribbean persist."
)
GUARANTEES = Requirement(
    prohibits=["lethal-force"], protections=["protection-of-life", "human-rights"]
)


def public(name: str) -> str:
    return encode_public_key(public_key_bytes(demo_key(name).public_key()))


@dataclass
class Story:
    """The server, a client per role (tokens made on first use), and the requests so far."""

    server: Server
    requests: dict[str, int] = field(default_factory=dict)
    checkpoints: list[Checkpoint] = field(default_factory=list)
    _clients: dict[tuple[str, str], GaranteClient] = field(default_factory=dict)

    def client(
        self, role: str, *, agency: str | None = None, authority: str | None = None
    ) -> GaranteClient:
        subject = str(agency or authority)
        if (role, subject) not in self._clients:
            token = self.server.token(role, agency=agency, authority=authority)
            self._clients[role, subject] = GaranteClient(self.server.url, token, timeout=20)
        return self._clients[role, subject]

    @property
    def liaison(self) -> GaranteClient:
        return self.client("liaison", agency="dipol")

    @property
    def analyst(self) -> GaranteClient:
        return self.client("analyst", agency="dipol")

    @property
    def presidency(self) -> GaranteClient:
        return self.client("authority", authority="presidency")

    @property
    def mininterior(self) -> GaranteClient:
        return self.client("authority", authority="mininterior")

    @property
    def dea(self) -> GaranteClient:
        return self.client("partner", agency="dea")

    @property
    def overseer(self) -> GaranteClient:
        return self.client("overseer", agency="cti")

    def request(self, label: str, item: str, to: str, purpose: str) -> Decided:
        decided = self.analyst.request_release(item, recipient=to, purpose=purpose)
        self.requests[label] = decided.request
        return decided

    def moved(self, change: OrderChange | UndertakingChange) -> dict[str, str]:
        """Re-decisions by scenario label (requests not named in the story are left out)."""
        labels = {number: label for label, number in self.requests.items()}
        return {labels[d.request]: d.outcome for d in change.moved if d.request in labels}


@pytest.fixture(scope="module")
def story(empty_server: Server) -> Iterator[Story]:
    added = empty_server.cli(
        "agencies", "add", "dipol", "--name", "DIPOL", "--country", "CO", "--domestic"
    )
    assert added.returncode == 0, added.stderr
    state = Story(server=empty_server)
    with ThreadPoolExecutor(2) as pool:  # two CLI processes side by side
        list(pool.map(lambda role: state.client(role, agency="dipol"), ("liaison", "analyst")))
    yield state
    for client in state._clients.values():
        client.close()


# -- setting the scene ---------------------------------------------------------------------


def test_the_bootstrap_token_speaks_for_the_first_agency(story: Story) -> None:
    assert story.liaison.me().model_dump() | {"token": None} == {
        "token": None,
        "role": "liaison",
        "agency": "dipol",
        "authority": None,
    }


def test_the_liaison_registers_agencies_and_authorities_with_demo_keys(story: Story) -> None:
    for spec in SCENARIO.agencies:
        if spec.id == "dipol":
            continue
        story.liaison.register_agency(
            spec.id,
            name=spec.name,
            country=spec.country,
            domestic=spec.domestic,
            public_key=demo_key(spec.id).public_key() if spec.signs else None,
        )
    for authority in SCENARIO.authorities:
        story.liaison.register_authority(
            authority.id, name=authority.name, public_key=public(authority.id)
        )
    agencies = {a.id: a for a in story.liaison.iter_agencies(limit=2)}
    assert sorted(agencies) == sorted(a.id for a in SCENARIO.agencies)
    assert agencies["dea"].public_key == public("dea")
    assert agencies["fbi"].public_key is None
    authorities = {a.id: a for a in story.liaison.iter_authorities()}
    assert authorities["presidency"].public_key == public("presidency")


def test_registering_an_agency_twice_is_a_conflict(story: Story) -> None:
    with pytest.raises(GaranteAPIError) as refused:
        story.liaison.register_agency("dea", name="DEA again", country="US")
    assert (refused.value.status, refused.value.code) == (409, "conflict.already_exists")


def test_a_strike_event_turns_the_derived_condition_active(story: Story) -> None:
    spec = SCENARIO.conditions[0]
    defined = story.presidency.define_condition(
        CONDITION,
        description=spec.description,
        kind=spec.kind,
        region=spec.region,
        min_events=spec.min_events,
        window_days=spec.window_days,
    )
    assert defined.active is False
    story.analyst.record_event(
        "vessel-strike",
        region="caribbean",
        occurred_at=datetime.now(UTC) - timedelta(days=2),
        source="press reports",
        note="Strike on an alleged drug vessel in the Caribbean",
    )
    [condition] = story.presidency.list_conditions().items
    assert (condition.id, condition.active) == (CONDITION, True)


def test_an_analyst_reports_events_for_its_own_agency_only(story: Story) -> None:
    with pytest.raises(GaranteAPIError) as refused:
        story.analyst.record_event("vessel-strike", region="caribbean", agency="dea")
    assert (refused.value.status, refused.value.code) == (403, "auth.not_entitled")


def test_an_event_reported_by_an_agency_with_a_key_is_signed_with_it(story: Story) -> None:
    with pytest.raises(GaranteAPIError) as refused:
        story.presidency.record_event("vessel-strike", region="caribbean", agency="dea")
    assert (refused.value.status, refused.value.code) == (422, "signature.required")
    before = story.overseer.health().ledger_size
    change = story.presidency.record_event(
        "vessel-strike",
        region="caribbean",
        source="DEA liaison",
        agency="dea",
        key=demo_key("dea"),
    )
    assert (change.event.agency, change.event.signed) == ("dea", True)
    [entry] = [e for e in story.overseer.audit_entries(before) if e.kind == "event.recorded"]
    assert '"type":"garante.event/v1"' in entry.entry
    assert '"agency":"dea"' in entry.entry


def test_the_liaison_records_dea_undertaking_signed_by_dea_key(story: Story) -> None:
    change = story.liaison.record_undertaking(
        "dea",
        undertaking_id="dea-2025-01",
        permits=["interdiction", "seizure", "arrest", "analysis"],
        protections=["human-rights"],
        key=demo_key("dea"),
    )
    assert change.undertaking.signed is True
    assert change.moved == []


def test_an_unsigned_undertaking_of_an_agency_with_a_key_is_refused(story: Story) -> None:
    with pytest.raises(GaranteAPIError) as refused:
        story.liaison.record_undertaking("nca", undertaking_id="nca-x", permits=["seizure"])
    assert (refused.value.status, refused.value.code) == (422, "signature.required")
    assert refused.value.field == "signature" and refused.value.hint


def test_an_undertaking_signed_with_another_key_is_refused(story: Story) -> None:
    with pytest.raises(GaranteAPIError) as refused:
        story.liaison.record_undertaking(
            "nca", undertaking_id="nca-x", permits=["seizure"], key=demo_key("dea")
        )
    assert refused.value.code == "signature.invalid"


def test_the_other_partners_undertakings_are_recorded(story: Story) -> None:
    for spec in SCENARIO.undertakings[1:]:
        signs = spec.agency == "nca"
        change = story.liaison.record_undertaking(
            spec.agency,
            undertaking_id=spec.id,
            permits=spec.permits,
            prohibits=spec.prohibits,
            protections=spec.protections,
            key=demo_key(spec.agency) if signs else None,
        )
        assert change.undertaking.signed is signs
    listed = {u.id for u in story.liaison.iter_undertakings(limit=1)}
    assert listed == {u.id for u in SCENARIO.undertakings}


def test_the_analyst_adds_the_items_from_the_scenario_bundles(story: Story) -> None:
    for spec in SCENARIO.items:
        bundle = json.loads((BUNDLES / f"{spec.id}.json").read_text())
        added = story.analyst.add_item(
            spec.id,
            title=spec.title,
            category=spec.category,
            region=spec.region,
            tlp=spec.tlp,
            releasable_to=spec.releasable_to,
            bundle=bundle,
        )
        assert added.originator == "dipol"
    item = story.analyst.get_item("co-2025-0452")
    assert item.releasable_to == ("CO", "GB")
    assert len(item.content_sha256) == 64


# -- before 11 November: sharing as usual --------------------------------------------------


def test_before_any_order_a_seizure_lead_is_released_to_the_dea(story: Story) -> None:
    decided = story.request("dea-0417-seizure", "co-2025-0417", "dea", "seizure")
    assert decided.outcome == "released"
    assert decided.undertaking == "dea-2025-01"


def test_hsi_receives_the_same_lead_under_its_older_undertaking(story: Story) -> None:
    decided = story.request("hsi-0417-early", "co-2025-0417", "hsi", "interdiction")
    assert (decided.outcome, decided.undertaking) == ("released", "hsi-2025-01")


def test_no_undertaking_permits_lethal_force_so_it_is_denied(story: Story) -> None:
    decided = story.request("dea-0417-lethal", "co-2025-0417", "dea", "lethal-force")
    assert decided.outcome == "denied"


def test_the_container_route_is_released_to_the_nca(story: Story) -> None:
    decided = story.request("nca-0452-seizure", "co-2025-0452", "nca", "seizure")
    assert decided.outcome == "released"


# -- Tuesday 11 November: the suspension ----------------------------------------------------


def test_the_presidency_issues_a_signed_hold_on_us_agencies(story: Story) -> None:
    change = story.presidency.issue_order(
        "hold",
        order_id=SUSPENSION,
        scope=Scope(countries=["US"]),
        while_condition=CONDITION,
        reason=SUSPENSION_REASON,
        key=demo_key("presidency"),
    )
    order = change.order
    assert (order.id, order.authority, order.effect, order.version) == (
        SUSPENSION,
        "presidency",
        "hold",
        1,
    )
    assert order.while_condition == CONDITION


def test_an_unsigned_order_from_an_authority_with_a_key_is_refused(story: Story) -> None:
    with pytest.raises(GaranteAPIError) as refused:
        story.presidency.issue_order("hold", scope=Scope(countries=["US"]), reason="unsigned")
    assert refused.value.code == "signature.required"


def test_new_requests_to_us_agencies_are_held_not_lost(story: Story) -> None:
    outcomes = [
        story.request("dea-0422-seizure", "co-2025-0422", "dea", "seizure").outcome,
        story.request("fbi-0431-arrest", "co-2025-0431", "fbi", "arrest").outcome,
        story.request("fbi-0440-arrest", "co-2025-0440", "fbi", "arrest").outcome,
    ]
    assert outcomes == ["held", "held", "held"]
    held = {row.id: row for row in story.analyst.iter_held(limit=1)}
    assert story.requests["dea-0422-seizure"] in held
    assert SUSPENSION in held[story.requests["fbi-0440-arrest"]].reason


def test_the_suspension_does_not_touch_the_uk(story: Story) -> None:
    decided = story.request("nca-0417-seizure", "co-2025-0417", "nca", "seizure")
    assert decided.outcome == "released"


# -- Wednesday 12 November: sharing under guarantees ---------------------------------------


def test_amending_to_require_guarantees_decides_the_held_again_and_keeps_them_held(
    story: Story,
) -> None:
    change = story.presidency.amend_order(
        SUSPENSION,
        effect="require",
        requires=GUARANTEES,
        reason="US agencies receive communications that guarantee seizures without "
        "undermining human rights and arrests with protection of life.",
        key=demo_key("presidency"),
    )
    assert (change.order.effect, change.order.version) == ("require", 2)
    assert story.moved(change) == {
        "dea-0422-seizure": "held",
        "fbi-0431-arrest": "held",
        "fbi-0440-arrest": "held",
    }


def test_the_dea_signs_an_undertaking_with_the_guarantees_and_its_lead_is_released(
    story: Story,
) -> None:
    change = story.dea.record_undertaking(
        "dea",
        undertaking_id="dea-2025-11",
        permits=["interdiction", "seizure", "arrest", "analysis"],
        prohibits=list(GUARANTEES.prohibits),
        protections=list(GUARANTEES.protections),
        key=demo_key("dea"),
    )
    assert change.undertaking.signed is True
    assert story.moved(change) == {"dea-0422-seizure": "released"}


def test_the_dea_reports_a_signed_seizure_which_keeps_its_promise(story: Story) -> None:
    change = story.dea.report_outcome(
        story.requests["dea-0422-seizure"],
        agency="dea",
        kind="seizure",
        persons=3,
        quantities={"cocaine_kg": 1200},
        place="Pacific, off Tumaco",
        key=demo_key("dea"),
    )
    outcome = change.outcome
    assert (outcome.signed, outcome.breach, outcome.undertaking) == (
        True,
        False,
        "dea-2025-11",
    )
    assert change.moved == []


def test_a_partner_gives_undertakings_for_its_own_agency_only(story: Story) -> None:
    with pytest.raises(GaranteAPIError) as refused:
        story.dea.record_undertaking("fbi", permits=["arrest"])
    assert (refused.value.status, refused.value.code) == (403, "auth.forbidden")


def test_new_dea_requests_are_released_under_the_new_undertaking(story: Story) -> None:
    decided = story.request("dea-0417-interdiction", "co-2025-0417", "dea", "interdiction")
    assert (decided.outcome, decided.undertaking) == ("released", "dea-2025-11")


# -- Thursday 13 November: joint work in Colombia continues ---------------------------------


def test_the_joint_casework_exemption_releases_the_fbi_extradition_case(story: Story) -> None:
    change = story.mininterior.issue_order(
        "exempt",
        order_id=EXEMPTION,
        exempts=[SUSPENSION],
        scope=Scope(agencies=["fbi", "dea", "hsi"], categories=["joint-casework"]),
        reason="The FBI, DEA and HSI keep working in Colombia alongside DIPOL, DIJIN and CTI.",
        key=demo_key("mininterior"),
    )
    assert change.order.authority == "mininterior"
    assert story.moved(change) == {"fbi-0440-arrest": "released"}


def test_outside_joint_casework_the_fbi_stays_held(story: Story) -> None:
    decided = story.request("fbi-0431-arrest-2", "co-2025-0431", "fbi", "arrest")
    assert decided.outcome == "held"
    held = {row.id for row in story.analyst.iter_held()}
    assert held == {story.requests["fbi-0431-arrest"], story.requests["fbi-0431-arrest-2"]}


def test_simulating_the_lift_shows_what_it_would_release_and_stores_nothing(
    story: Story,
) -> None:
    def held() -> list[Held]:
        # held_for_seconds is the clock's, not the store's: it ticks between two reads.
        return [replace(row, held_for_seconds=0) for row in story.analyst.iter_held()]

    now = datetime.now(UTC)
    held_before = held()
    report = story.presidency.simulate_lift(
        SUSPENSION, start=now - timedelta(days=1), end=now + timedelta(days=1)
    )
    assert (report.order, report.action) == (SUSPENSION, "lift")
    assert report.by_partner["fbi"] == {"held->released": 2}
    assert held() == held_before
    assert story.presidency.get_order(SUSPENSION).lifted_at is None


def test_a_strike_with_casualties_from_hsi_lead_suspends_hsi_at_once(story: Story) -> None:
    change = story.analyst.report_outcome(
        story.requests["hsi-0417-early"],
        agency="hsi",
        kind="lethal-force",
        casualties=3,
        place="Caribbean, off La Guajira",
        note="Press reports link the lead to a strike on the go-fast boat.",
    )
    outcome = change.outcome
    assert (outcome.breach, outcome.signed) == (True, False)
    assert outcome.order is not None
    suspension = story.presidency.get_order(outcome.order)
    assert (suspension.authority, suspension.effect) == ("garante-system", "hold")
    assert suspension.scope["agencies"] == ["hsi"]
    decided = story.request("hsi-0431-analysis", "co-2025-0431", "hsi", "analysis")
    assert decided.outcome == "held"


def test_every_decision_on_the_dea_lead_is_kept_with_its_trigger(story: Story) -> None:
    decisions = story.overseer.release_decisions(story.requests["dea-0422-seizure"])
    assert [d.outcome for d in decisions] == ["held", "held", "released"]
    assert SUSPENSION in decisions[1].trigger
    assert decisions[-1].undertaking == "dea-2025-11"


def test_no_order_ever_touched_the_nca(story: Story) -> None:
    for label in ("nca-0452-seizure", "nca-0417-seizure"):
        decisions = story.overseer.release_decisions(story.requests[label])
        assert [d.outcome for d in decisions] == ["released"]
        assert not [r for r in decisions[0].rules if r.cites.startswith("order:")]


# -- what each role may see and do ---------------------------------------------------------


def test_a_partner_lists_only_its_own_released_requests(story: Story) -> None:
    seen = {row.id: row for row in story.dea.iter_releases(limit=1)}
    assert {(r.recipient, r.outcome) for r in seen.values()} == {("dea", "released")}
    assert set(seen) == {
        story.requests[label]
        for label in ("dea-0417-seizure", "dea-0422-seizure", "dea-0417-interdiction")
    }
    # Asking for another partner's, or for held ones, changes nothing.
    assert story.dea.list_releases(recipient="fbi", outcome="held").items == list(seen.values())


def test_the_releases_of_one_item_are_its_requests(story: Story) -> None:
    asked = {label for label in story.requests if "-0417-" in label}
    rows = story.overseer.list_releases(item="co-2025-0417", limit=100).items
    assert [r.id for r in rows] == sorted(story.requests[label] for label in asked)
    assert {r.item for r in rows} == {"co-2025-0417"}


def test_a_partner_listing_an_items_releases_gets_only_its_own_released(story: Story) -> None:
    rows = story.dea.list_releases(item="co-2025-0417").items
    assert [r.id for r in rows] == [
        story.requests["dea-0417-seizure"],
        story.requests["dea-0417-interdiction"],
    ]


def test_a_partner_cannot_read_another_partners_release(story: Story) -> None:
    with pytest.raises(GaranteAPIError) as refused:
        story.dea.get_release(story.requests["fbi-0440-arrest"])
    assert (refused.value.status, refused.value.code) == (404, "request.not_found")


def test_a_partner_may_not_issue_orders(story: Story) -> None:
    with pytest.raises(GaranteAPIError) as refused:
        story.dea.issue_order("hold", reason="no")
    assert (refused.value.status, refused.value.code) == (403, "auth.forbidden")
    assert refused.value.hint == "allowed roles: authority"


def test_the_client_refuses_to_sign_what_it_did_not_ask_for() -> None:
    def lying_draft(request: httpx.Request) -> httpx.Response:
        # A lift draft naming another order than the one asked for.
        statement = {"type": "garante.order-lift/v1", "id": EXEMPTION, "version": 2, "reason": "x"}
        return httpx.Response(
            200, json={"statement": statement, "canonical": canonical(statement).decode()}
        )

    client = GaranteClient(
        "http://garante.test", "gar_x", transport=httpx.MockTransport(lying_draft)
    )
    with client, pytest.raises(StatementMismatch):
        client.lift_order(SUSPENSION, reason="x", key=demo_key("presidency"))


def test_an_error_body_not_in_the_api_shape_still_raises_an_api_error() -> None:
    def proxy(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>Bad Gateway</html>")

    client = GaranteClient(
        "http://garante.test/api/v1/", "gar_x", transport=httpx.MockTransport(proxy)
    )
    with client, pytest.raises(GaranteAPIError) as refused:
        client.list_held()
    assert (refused.value.status, refused.value.code) == (502, "http.502")
    assert "Bad Gateway" in refused.value.message


def test_lists_follow_cursors_to_the_end(story: Story) -> None:
    everything = story.overseer.list_releases(limit=1000)
    assert everything.next_cursor is None
    first = story.overseer.list_releases(limit=3)
    assert first.next_cursor is not None and len(first.items) == 3
    assert list(story.overseer.iter_releases(limit=3)) == everything.items


# -- the audit log ------------------------------------------------------------------------


def _checkpoint(client: GaranteClient, at_least: int) -> Checkpoint:
    """The latest checkpoint once the publisher (every 0.2 s here) has covered ``at_least``."""
    deadline = time.monotonic() + 10
    while True:
        try:
            checkpoint = client.checkpoint()
            if checkpoint.size >= at_least:
                return checkpoint
        except GaranteAPIError as exc:
            if exc.code != "not_found":
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"no checkpoint covering {at_least} entries within 10 s")
        time.sleep(0.1)


def test_the_checkpoint_verifies_with_the_log_key(story: Story) -> None:
    size = story.overseer.health().ledger_size
    published = _checkpoint(story.overseer, size)
    key = VerifierKey.parse(story.overseer.log_key())
    checkpoint, signers = open_checkpoint(published.note, [key])
    assert signers == (key.name,)
    assert checkpoint.size == published.size
    assert base64.b64encode(checkpoint.root_hash).decode() == published.root_hash
    story.checkpoints.append(published)


def test_the_amendment_is_provably_in_the_signed_log(story: Story) -> None:
    [published] = story.checkpoints
    size = published.size
    entries = story.overseer.audit_entries(0, size)
    [index] = [e.index for e in entries if e.kind == "order.amended"]
    proof = story.overseer.inclusion_proof(index, size=size)
    leaf = base64.b64decode(proof.leaf_hash)
    assert leaf == hashlib.sha256(b"\x00" + proof.entry.encode()).digest()
    assert SUSPENSION in proof.entry
    verify_inclusion(
        leaf,
        index,
        size,
        [base64.b64decode(h) for h in proof.proof],
        base64.b64decode(published.root_hash),
    )


def test_a_later_checkpoint_is_consistent_with_the_earlier_one(story: Story) -> None:
    [old] = story.checkpoints
    story.request("nca-0431-analysis", "co-2025-0431", "nca", "analysis")
    new = _checkpoint(story.overseer, old.size + 1)
    proof = story.overseer.consistency_proof(old.size, new=new.size)
    verify_consistency(
        old.size,
        new.size,
        base64.b64decode(old.root_hash),
        base64.b64decode(new.root_hash),
        [base64.b64decode(h) for h in proof.proof],
    )
