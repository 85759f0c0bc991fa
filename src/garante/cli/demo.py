"""``garante demo``: replay the November 2025 scenario into a store, step by step."""

from __future__ import annotations

from pathlib import Path

import typer

from garante.cli import output
from garante.cli.context import settings
from garante.domain.errors import ValidationError
from garante.domain.timeutil import parse_time
from garante.scenarios import runner
from garante.service.app import Garante
from garante.service.clock import FixedClock


def demo(
    ctx: typer.Context,
    fresh: bool = typer.Option(
        True, "--fresh/--keep", help="Start from an empty store (removes the demo file)."
    ),
    scenario: Path = typer.Option(runner.NOVEMBER_2025, "--scenario", help="Scenario file."),
    no_serve: bool = typer.Option(
        True,
        "--no-serve",
        help="Exit after the replay. (This version has no HTTP server yet, so it always does.)",
    ),
) -> None:
    """Replay the November 2025 scenario on a clock and show every decision.

    The store defaults to garante-demo.db; its clock stays pinned at the scenario's end, so
    commands run against it afterwards (garante --db garante-demo.db held) see that time.
    """
    current = settings(ctx)
    db = current.db or "garante-demo.db"
    if fresh and "://" not in db:
        for suffix in ("", "-wal", "-shm"):
            Path(db + suffix).unlink(missing_ok=True)
    start = parse_time(runner.load(scenario)["setup_at"])
    clock = FixedClock(start)
    garante = Garante.open(db, clock=clock, actor="demo")
    if garante.ledger_size() > 0:
        raise ValidationError(
            f"{db} already holds data; the demo replays into an empty store",
            field="db",
            hint="run with --fresh (the default) or point --db at a new file",
        )
    if not current.json:
        output.console.print(f"[bold]{runner.load(scenario)['title']}[/bold]")
        output.console.print(f"Store: {db}. Clock replayed from {start:%d %B %Y}.\n")
    run = runner.replay(garante, clock, scenario, on_step=None if current.json else _print_step)
    if current.json:
        output.emit_json(run.to_dict())
    else:
        output.console.print("")
        rows = garante.held_queue()
        output.table(
            "Held queue at the end of 13 November",
            ["request", "item", "recipient", "purpose", "reason"],
            ([r["id"], r["item"], r["recipient"], r["purpose"], r["reason"]] for r in rows),
        )
        output.console.print(
            f"\n{garante.ledger_size()} audit entries. "
            f"Explore it: garante --db {db} orders list | held | releases list"
        )
    garante.close()
    if run.mismatches:
        for mismatch in run.mismatches:
            output.errors.print(f"[red]scenario mismatch[/red]: {mismatch}")
        raise typer.Exit(1)


def _print_step(step: runner.StepResult) -> None:
    output.console.print(f"[bold]{step.at:%a %d %b %Y %H:%M}[/bold]  {step.narrative}")
    if step.action == "request":
        for decided in step.decisions:
            output.decision_line(decided)
        return
    output.console.print(f"  {step.summary}", style="cyan")
    output.moved(step.decisions)
