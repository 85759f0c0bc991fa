"""``garante conditions`` and ``garante events``: the states orders can depend on."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from garante.cli import output
from garante.cli.context import bounded, service, when
from garante.cli.options import Signing, option_groups
from garante.domain.condition import ConditionRule
from garante.domain.errors import ValidationError
from garante.domain.numbers import MAX_EVENTS, MAX_WINDOW_DAYS

if TYPE_CHECKING:
    from garante import records
    from garante.service.usecases.conditions import EventTerms

app = typer.Typer(help="Conditions: named states orders can depend on.", no_args_is_help=True)
events = typer.Typer(help="Reported events that derived conditions count.", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    condition_id: str = typer.Argument(
        ..., metavar="ID", help="The condition's id, e.g. caribbean-vessel-strikes."
    ),
    description: str = typer.Option(
        ..., "--description", metavar="TEXT", help="What the condition means, in words."
    ),
    kind: str | None = typer.Option(
        None, "--kind", help="Derived: the event kind counted.", metavar="KIND"
    ),
    region: str | None = typer.Option(
        None, "--region", help="Derived: the region counted.", metavar="REGION"
    ),
    min_events: int = typer.Option(
        1,
        "--min-events",
        help="Derived: at least this many...",
        metavar="N",
        callback=bounded(1, MAX_EVENTS),
    ),
    window_days: int = typer.Option(
        30,
        "--window-days",
        help="...within this many days.",
        metavar="DAYS",
        callback=bounded(1, MAX_WINDOW_DAYS),
    ),
    active: bool = typer.Option(False, "--active", help="Hand-kept: start active."),
    evidence: str = typer.Option(
        "", "--evidence", metavar="TEXT", help="Hand-kept: why it starts active."
    ),
) -> None:
    """Define a condition: derived from events (--kind/--region) or kept by hand."""
    if (kind is None) != (region is None):
        raise ValidationError("a derived condition needs both --kind and --region", field="rule")
    rule = (
        ConditionRule(kind=kind, region=region, min_events=min_events, window_days=window_days)
        if kind is not None and region is not None
        else None
    )
    change = service(ctx).define_condition(
        condition_id, description=description, rule=rule, active=active, evidence=evidence
    )
    state = "active" if change.value.active else "inactive"
    output.result(ctx, change.value, f"Defined condition {condition_id} (now {state}).")


@app.command("set")
@option_groups
def set_condition(
    ctx: typer.Context,
    condition_id: str = typer.Argument(..., metavar="ID", help="The hand-kept condition to set."),
    active: bool = typer.Option(..., "--active/--inactive", help="The condition's new state."),
    evidence: str = typer.Option(
        ..., "--evidence", metavar="TEXT", help="Why: the evidence the authority relies on."
    ),
    authority: str = typer.Option(
        ..., "--authority", help="The authority on whose word the condition is set.", metavar="ID"
    ),
    *,
    signing: Signing,
) -> None:
    """Set a hand-kept condition; orders that depend on it take effect or stop at once.

    It is the authority's act: signed with its key (--key) when it has one registered.
    """
    garante = service(ctx)
    statement = garante.condition_statement(
        condition_id, active=active, evidence=evidence, authority_id=authority
    )
    if signing.printed(statement):
        return
    change = garante.set_condition(
        condition_id,
        active=active,
        evidence=evidence,
        authority_id=authority,
        signature=signing.signature(statement),
    )
    output.result(
        ctx,
        {"condition": change.value},
        f"Condition {condition_id} is {'active' if active else 'inactive'}.",
        moved=change.moved,
    )


@app.command("refresh")
def refresh(ctx: typer.Context) -> None:
    """Re-evaluate derived conditions at the clock's time (they lapse as time passes)."""
    change = service(ctx).refresh_conditions()
    states = (f"{c.id}: {'active' if c.active else 'inactive'}" for c in change.value)
    output.result(ctx, {"conditions": change.value}, "\n".join(states), moved=change.moved)


@app.command("list")
def list_conditions(ctx: typer.Context) -> None:
    """List conditions and whether each is active."""
    output.listing(
        ctx,
        "Conditions",
        service(ctx).conditions(),
        {
            "id": "id",
            "active": "active",
            "rule": output.Col(_rule, wrap=True, floor=16, drop=2),
            "since": output.Col("changed_at", drop=1),
            "description": output.Col("description", wrap=True, floor=16),
        },
    )


def _rule(row: records.Condition) -> str:
    rule = row.rule
    if rule is None:
        return "set by hand"
    return f"≥{rule.min_events} {rule.kind} in {rule.region} within {rule.window_days} days"


@events.command("record")
@option_groups
def record(
    ctx: typer.Context,
    kind: str = typer.Option(
        ...,
        "--kind",
        metavar="KIND",
        help="The event's kind, one a derived condition counts, e.g. vessel-strike.",
    ),
    region: str = typer.Option(
        ..., "--region", metavar="REGION", help="Where it happened, e.g. caribbean."
    ),
    at: str | None = typer.Option(
        None, "--at", help="When it happened (default: now).", metavar="TIME"
    ),
    source: str = typer.Option(
        "", "--source", metavar="TEXT", help="Where the report comes from, e.g. press reports."
    ),
    note: str = typer.Option("", "--note", metavar="TEXT", help="A note on the event."),
    agency: str = typer.Option(
        ..., "--agency", help="The agency that reports the event.", metavar="ID"
    ),
    *,
    signing: Signing,
) -> None:
    """Record an event; conditions derived from it are re-evaluated at once.

    It is the reporting agency's word: signed with its key (--key) when it has one registered.
    """
    garante = service(ctx)
    terms: EventTerms = {
        "kind": kind,
        "region": region,
        "occurred_at": when(at, field="at") or garante.clock.now(),
        "source": source,
        "note": note,
        "agency_id": agency,
    }
    statement = garante.event_statement(**terms)
    if signing.printed(statement):
        return
    change = garante.record_event(**terms, signature=signing.signature(statement))
    output.result(
        ctx,
        {"event": change.value},
        f"Recorded event {change.value.id}: {kind} in {region}, reported by {agency}"
        f"{' (signed)' if change.value.signed else ''}.",
        moved=change.moved,
    )


@events.command("list")
def list_events(ctx: typer.Context) -> None:
    """List recorded events."""
    output.listing(
        ctx,
        "Events",
        service(ctx).events(),
        {
            "id": "id",
            "kind": "kind",
            "region": "region",
            "occurred": "occurred_at",
            "source": output.Col("source", wrap=True, drop=1),
        },
    )
