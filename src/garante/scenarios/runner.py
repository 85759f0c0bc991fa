"""Replay a scenario file through the service, on a clock that moves step by step.

The scenario is data (TOML), the replay goes through the same service calls as the CLI and
the API, and every step states what it expects, so the demo and the scenario test check
the same story.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from garante.domain.condition import ConditionRule
from garante.domain.order import Requirement, Scope
from garante.domain.outcome import OutcomeReport
from garante.domain.timeutil import iso, parse_time
from garante.records import Decided
from garante.scenarios import NOVEMBER_2025 as NOVEMBER_2025
from garante.scenarios import SCENARIOS as SCENARIOS
from garante.scenarios.keys import demo_key
from garante.scenarios.spec import (
    AgreementSpec,
    EventSpec,
    ItemSpec,
    Scenario,
    Step,
    UndertakingSpec,
)
from garante.scenarios.spec import load as load_spec
from garante.service.app import Garante
from garante.service.clock import FixedClock
from garante.service.usecases.conditions import EventTerms
from garante.signatures import public_key_bytes, sign_statement


@dataclass
class StepResult:
    at: datetime
    action: str
    narrative: str
    decisions: list[Decided] = field(default_factory=list)
    summary: str = ""
    mismatches: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "at": iso(self.at),
            "action": self.action,
            "narrative": self.narrative,
            "summary": self.summary,
            "decisions": self.decisions,
            "mismatches": self.mismatches,
        }


@dataclass
class ScenarioRun:
    title: str
    source: str
    steps: list[StepResult]
    requests: dict[str, int]

    @property
    def mismatches(self) -> list[str]:
        return [m for step in self.steps for m in step.mismatches]

    def to_dict(self) -> dict[str, object]:
        return {
            "scenario": self.title,
            "source": self.source,
            "steps": [step.to_dict() for step in self.steps],
            "decisions": [d for step in self.steps for d in step.decisions],
            "requests": self.requests,
            "mismatches": self.mismatches,
        }


def load(path: Path = NOVEMBER_2025) -> Scenario:
    return load_spec(path)


@dataclass
class _Context:
    """What steps need beyond the service: the items ``item`` steps add, and the directory
    their bundles are in."""

    items: dict[str, ItemSpec]
    base: Path


def replay(
    garante: Garante,
    clock: FixedClock,
    path: Path = NOVEMBER_2025,
    on_step: Callable[[StepResult], None] | None = None,
) -> ScenarioRun:
    """Run the scenario into ``garante`` (whose clock must be ``clock``) and pin its end time."""
    data = load(path)
    run = ScenarioRun(title=data.title, source=data.source, steps=[], requests={})
    clock.set(parse_time(data.setup_at))
    _setup(garante, data, path.parent)
    for event in data.events:
        clock.set(parse_time(event.at))
        _event(garante, clock, event)
    context = _Context(items={item.id: item for item in data.items}, base=path.parent)
    for step in data.steps:
        clock.set(parse_time(step.at))
        result = _step(garante, clock, step, run, context)
        run.steps.append(result)
        if on_step is not None:
            on_step(result)
    clock.set(parse_time(data.ends_at))
    garante.pin_clock(clock.now())
    if garante.log_signer is not None:
        garante.publish_checkpoint()
    return run


def _setup(garante: Garante, data: Scenario, base: Path) -> None:
    for agency in data.agencies:
        key = demo_key(agency.id) if agency.signs else None
        garante.register_agency(
            agency.id,
            name=agency.name,
            country=agency.country,
            domestic=agency.domestic,
            public_key=public_key_bytes(key.public_key()) if key else None,
        )
    for authority in data.authorities:
        key = demo_key(authority.id) if authority.signs else None
        garante.register_authority(
            authority.id,
            name=authority.name,
            public_key=public_key_bytes(key.public_key()) if key else None,
        )
    for condition in data.conditions:
        garante.define_condition(
            condition.id,
            description=condition.description,
            rule=ConditionRule(
                kind=condition.kind,
                region=condition.region,
                min_events=condition.min_events,
                window_days=condition.window_days,
            ),
        )
    signing = {a.id for a in data.agencies if a.signs}
    for spec in data.undertakings:
        _undertaking(garante, spec, signing)
    for agreement in data.agreements:
        _agreement(garante, agreement, signing)
    later = data.added_later
    for item in data.items:
        if item.id not in later:
            _add_item(garante, item, base)


def _add_item(garante: Garante, item: ItemSpec, base: Path) -> list[Decided]:
    """Add ``item`` with its bundle; what the agreements that cover it started."""
    return garante.add_item(
        item.id,
        title=item.title,
        category=item.category,
        region=item.region,
        tlp=item.tlp,
        originator=item.originator,
        releasable_to=item.releasable_to,
        bundle=json.loads((base / "bundles" / f"{item.id}.json").read_text()),
    ).started


def _agreement(garante: Garante, spec: AgreementSpec, signing: set[str]) -> None:
    """A liaison officer makes the agreement; a partner with a key countersigns its terms."""
    terms = garante.draft_agreement(
        spec.partner,
        agreement_id=spec.id,
        purposes=spec.purposes,
        tlp_ceiling=spec.tlp_ceiling,
        categories=spec.categories,
        regions=spec.regions,
        originators=spec.originators,
    )
    signature = (
        sign_statement(demo_key(spec.partner), terms.statement())
        if spec.partner in signing
        else None
    )
    garante.make_agreement(terms, signature=signature)


def _undertaking(
    garante: Garante, spec: UndertakingSpec | Step, signing: set[str]
) -> list[Decided]:
    terms = garante.draft_undertaking(
        spec.agency,
        undertaking_id=spec.id,
        permits=spec.permits,
        prohibits=spec.prohibits,
        protections=spec.protections,
        categories=spec.categories,
    )
    signature = (
        sign_statement(demo_key(spec.agency), terms.statement()) if spec.agency in signing else None
    )
    return garante.record_undertaking(terms, signature=signature).moved


def _step(
    garante: Garante, clock: FixedClock, step: Step, run: ScenarioRun, context: _Context
) -> StepResult:
    action = step.action
    result = StepResult(at=clock.now(), action=action, narrative=step.narrative)
    if action == "item":
        result.decisions = _add_item(garante, context.items[step.item], context.base)
        started = len(result.decisions)
        result.summary = (
            f"item {step.item} added; standing agreements started "
            f"{started} request{'' if started == 1 else 's'}"
        )
        _check_started(step, result, run)
        return result
    if action == "request":
        decided = garante.request_release(step.item, recipient=step.to, purpose=step.purpose)
        run.requests[step.label] = decided.request
        result.decisions = [decided]
        result.summary = f"request {decided.request}: {step.item} to {step.to} for {step.purpose}"
        if decided.outcome != step.expect:
            result.mismatches.append(f"{step.label}: expected {step.expect}, got {decided.outcome}")
        return result
    if action == "event":
        result.decisions = _event(garante, clock, step)
        result.summary = f"event recorded: {step.note}"
    elif action == "order":
        order = garante.draft_order(
            authority_id=step.authority,
            effect=_needs(step.effect, "effect", step),
            order_id=step.id,
            scope=_scope(step),
            everything=step.scope == "all",
            exempts=step.exempts,
            requires=_requires(step),
            while_condition=step.while_condition,
            reason=_needs(step.reason, "reason", step),
        ).order
        signature = sign_statement(demo_key(step.authority), order.statement())
        change = garante.issue_order(order, signature=signature)
        result.decisions = change.moved
        result.summary = f"order {order.id} issued by {step.authority}: {order.effect}"
    elif action == "amend":
        amended = garante.draft_amendment(
            step.order,
            authority_id=step.authority,
            effect=step.effect,
            requires=_requires(step),
            reason=step.reason,
        ).order
        statement = {**amended.statement(), "amended_by": step.authority}
        change = garante.amend_order(
            amended,
            authority_id=step.authority,
            signature=sign_statement(demo_key(step.authority), statement),
        )
        result.decisions = change.moved
        result.summary = (
            f"order {amended.id} amended to version {amended.version}: {amended.effect}"
        )
    elif action == "lift":
        reason = _needs(step.reason, "reason", step)
        statement = garante.lift_statement(step.order, authority_id=step.authority, reason=reason)
        change = garante.lift_order(
            step.order,
            authority_id=step.authority,
            reason=reason,
            signature=sign_statement(demo_key(step.authority), statement),
        )
        result.decisions = change.moved
        result.summary = f"order {step.order} lifted"
    elif action == "outcome":
        result.decisions, result.summary = _outcome(garante, clock, step, run)
    elif action == "undertaking":
        result.decisions = _undertaking(garante, step, {step.agency})
        result.summary = f"undertaking {step.id} signed by {step.agency}"
    else:
        raise ValueError(f"unknown scenario action '{action}'")
    _check_moved(step, result, run)
    return result


def _event(garante: Garante, clock: FixedClock, spec: EventSpec | Step) -> list[Decided]:
    """A vessel strike, reported by its agency: signed with its key when it has one."""
    terms: EventTerms = {
        "kind": spec.kind or "vessel-strike",
        "region": spec.region or "caribbean",
        "occurred_at": clock.now(),
        "source": spec.source or "press reports",
        "note": spec.note,
        "agency_id": spec.agency,
    }
    signature = (
        sign_statement(demo_key(spec.agency), garante.event_statement(**terms))
        if garante.agency(spec.agency).public_key
        else None
    )
    return garante.record_event(**terms, signature=signature).moved


def _outcome(
    garante: Garante, clock: FixedClock, step: Step, run: ScenarioRun
) -> tuple[list[Decided], str]:
    """A partner reports (signing when it has a key), or the originator reports for it."""
    report = OutcomeReport(
        request_id=run.requests[step.release],
        agency_id=step.agency,
        kind=_needs(step.kind, "kind", step),
        occurred_at=clock.now(),
        casualties=step.casualties,
        persons=step.persons,
        quantities=step.quantities,
        place=step.place,
        note=step.note,
    )
    by_partner = step.reporter == "partner"
    signature = (
        sign_statement(demo_key(step.agency), report.statement())
        if by_partner and garante.agency(step.agency).public_key
        else None
    )
    change = garante.report_outcome(report, signed=by_partner, signature=signature)
    outcome = change.value
    verdict = (
        f"breach ({'; '.join(outcome.breach_reasons)}); automatic order {outcome.order}"
        if outcome.breach
        else "compliant"
    )
    return (
        change.moved,
        f"outcome {outcome.id}: {outcome.kind} by {outcome.agency}: {verdict}",
    )


def _check_started(step: Step, result: StepResult, run: ScenarioRun) -> None:
    """The agreements started exactly the requests the step lists; each gets its label."""
    started = {(d.recipient, d.purpose): d for d in result.decisions}
    for expected in step.started:
        decided = started.pop((expected.to, expected.purpose), None)
        if decided is None:
            result.mismatches.append(
                f"{expected.label}: expected {expected.to} for {expected.purpose} to be started, "
                "got nothing"
            )
            continue
        run.requests[expected.label] = decided.request
        if decided.outcome != expected.expect:
            result.mismatches.append(
                f"{expected.label}: expected {expected.expect}, got {decided.outcome}"
            )
    for recipient, purpose in started:
        result.mismatches.append(
            f"{step.item}: an agreement started a request to {recipient} for {purpose}, "
            "which the step does not expect"
        )


def _check_moved(step: Step, result: StepResult, run: ScenarioRun) -> None:
    moved = {d.request: d.outcome for d in result.decisions}
    for label, expected in step.expect_moved.items():
        request_id = run.requests.get(label)
        actual = moved.get(request_id) if request_id is not None else None
        if actual != expected:
            result.mismatches.append(
                f"{label}: expected to be decided again as {expected}, got {actual or 'nothing'}"
            )


def _scope(step: Step) -> Scope:
    """The step's agencies, countries, categories and regions; ``scope = "all"`` says an order
    with none of them is meant to hold everything."""
    return Scope(
        agencies=frozenset(step.agencies),
        countries=frozenset(step.countries),
        categories=frozenset(step.categories),
        regions=frozenset(step.regions),
    )


def _requires(step: Step) -> Requirement | None:
    if step.require_prohibits is None and step.require_protections is None:
        return None
    return Requirement(
        prohibits=frozenset(step.require_prohibits or ()),
        protections=frozenset(step.require_protections or ()),
    )


def _needs(value: str | None, name: str, step: Step) -> str:
    """A field the step's action cannot do without."""
    if not value:
        raise ValueError(f"the {step.action} step at {step.at} needs {name}")
    return value
