"""``garante conditions`` and ``garante events``: the states orders can depend on."""

from __future__ import annotations

import typer

from garante.cli import output
from garante.cli.context import service, settings, when
from garante.domain.condition import ConditionRule
from garante.domain.errors import ValidationError

app = typer.Typer(help="Conditions: named states orders can depend on.", no_args_is_help=True)
events = typer.Typer(help="Reported events that derived conditions count.", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    condition_id: str = typer.Argument(..., metavar="ID"),
    description: str = typer.Option(..., "--description"),
    kind: str | None = typer.Option(None, "--kind", help="Derived: the event kind counted."),
    region: str | None = typer.Option(None, "--region", help="Derived: the region counted."),
    min_events: int = typer.Option(1, "--min-events", help="Derived: at least this many..."),
    window_days: int = typer.Option(30, "--window-days", help="...within this many days."),
    active: bool = typer.Option(False, "--active", help="Hand-kept: start active."),
    evidence: str = typer.Option("", "--evidence"),
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
    if settings(ctx).json:
        output.emit_json(change.value)
        return
    state = "active" if change.value["active"] else "inactive"
    output.console.print(f"Defined condition {condition_id} (now {state}).")


@app.command("set")
def set_condition(
    ctx: typer.Context,
    condition_id: str = typer.Argument(..., metavar="ID"),
    active: bool = typer.Option(..., "--active/--inactive"),
    evidence: str = typer.Option(..., "--evidence"),
) -> None:
    """Set a hand-kept condition; orders that depend on it take effect or stop at once."""
    change = service(ctx).set_condition(condition_id, active=active, evidence=evidence)
    if settings(ctx).json:
        output.emit_json({"condition": change.value, "moved": change.moved})
        return
    output.console.print(f"Condition {condition_id} is {'active' if active else 'inactive'}.")
    output.moved(change.moved)


@app.command("refresh")
def refresh(ctx: typer.Context) -> None:
    """Re-evaluate derived conditions at the clock's time (they lapse as time passes)."""
    change = service(ctx).refresh_conditions()
    if settings(ctx).json:
        output.emit_json({**change.value, "moved": change.moved})
        return
    for condition in change.value["conditions"]:
        state = "active" if condition["active"] else "inactive"
        output.console.print(f"{condition['id']}: {state}")
    output.moved(change.moved)


@app.command("list")
def list_conditions(ctx: typer.Context) -> None:
    """List conditions and whether each is active."""
    rows = service(ctx).conditions()
    if settings(ctx).json:
        output.emit_json(rows)
        return
    output.table(
        "Conditions",
        ["id", "active", "rule", "since", "description"],
        (
            [
                r["id"],
                r["active"],
                (
                    f"≥{r['rule']['min_events']} {r['rule']['kind']} in {r['rule']['region']} "
                    f"within {r['rule']['window_days']} days"
                )
                if r["rule"]
                else "set by hand",
                r["changed_at"],
                r["description"],
            ]
            for r in rows
        ),
    )


@events.command("record")
def record(
    ctx: typer.Context,
    kind: str = typer.Option(..., "--kind"),
    region: str = typer.Option(..., "--region"),
    at: str | None = typer.Option(None, "--at", help="When it happened (default: now)."),
    source: str = typer.Option("", "--source"),
    note: str = typer.Option("", "--note"),
) -> None:
    """Record an event; conditions derived from it are re-evaluated at once."""
    garante = service(ctx)
    occurred = when(at, field="at") or garante.clock.now()
    change = garante.record_event(
        kind=kind, region=region, occurred_at=occurred, source=source, note=note
    )
    if settings(ctx).json:
        output.emit_json({"event": change.value, "moved": change.moved})
        return
    output.console.print(f"Recorded event {change.value['id']}: {kind} in {region}.")
    output.moved(change.moved)


@events.command("list")
def list_events(ctx: typer.Context) -> None:
    """List recorded events."""
    rows = service(ctx).events()
    if settings(ctx).json:
        output.emit_json(rows)
        return
    output.table(
        "Events",
        ["id", "kind", "region", "occurred", "source"],
        ([r["id"], r["kind"], r["region"], r["occurred_at"], r["source"]] for r in rows),
    )
