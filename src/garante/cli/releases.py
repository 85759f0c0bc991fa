"""``garante request``, ``garante held`` and ``garante releases``."""

from __future__ import annotations

import typer

from garante.cli import output
from garante.cli.context import service, settings

app = typer.Typer(help="Release requests and their decisions.", no_args_is_help=True)


def request(
    ctx: typer.Context,
    item: str = typer.Argument(..., help="The item to release."),
    to: str = typer.Option(..., "--to", help="The recipient agency."),
    purpose: str = typer.Option(..., "--purpose", help="The declared purpose."),
) -> None:
    """Request the release of an item to an agency for a purpose, and print the decision."""
    decided = service(ctx).request_release(item, recipient=to, purpose=purpose)
    if settings(ctx).json:
        output.emit_json(decided)
        return
    output.decision_line(decided)
    for hit in decided["rules"]:
        output.console.print(f"      [{hit['rule']}] {hit['message']}", markup=False)


def held(ctx: typer.Context) -> None:
    """The held queue: what waits, for whom, why, and for how long."""
    rows = service(ctx).held_queue()
    if settings(ctx).json:
        output.emit_json(rows)
        return
    output.table(
        "Held queue",
        ["request", "item", "recipient", "purpose", "held for", "reason"],
        (
            [
                r["id"],
                r["item"],
                r["recipient"],
                r["purpose"],
                _age(r["held_for_seconds"]),
                r["reason"],
            ]
            for r in rows
        ),
    )


def _age(seconds: int) -> str:
    days, rest = divmod(max(seconds, 0), 86400)
    hours = rest // 3600
    return f"{days}d {hours}h" if days else f"{hours}h {rest % 3600 // 60}m"


@app.command("list")
def list_requests(
    ctx: typer.Context,
    outcome: str | None = typer.Option(None, "--outcome", help="released, held or denied."),
    to: str | None = typer.Option(None, "--to", help="Only this recipient."),
) -> None:
    """List release requests with the decision that stands for each."""
    rows = service(ctx).requests(outcome=outcome, recipient=to)
    if settings(ctx).json:
        output.emit_json(rows)
        return
    output.table(
        "Release requests",
        ["id", "item", "recipient", "purpose", "requested", "outcome", "undertaking"],
        (
            [
                r["id"],
                r["item"],
                r["recipient"],
                r["purpose"],
                r["requested_at"],
                output.outcome(r["outcome"]),
                r["undertaking"],
            ]
            for r in rows
        ),
    )


@app.command("show")
def show(ctx: typer.Context, request_id: int = typer.Argument(..., metavar="ID")) -> None:
    """Every decision taken on one request, with the rules that spoke and what triggered it."""
    rows = service(ctx).decisions(request_id)
    if settings(ctx).json:
        output.emit_json(rows)
        return
    for row in rows:
        output.console.print(
            f"{row['decided_at']} {output.outcome(row['outcome'])} "
            f"(trigger: {row['trigger']}, state version {row['state_version']})"
        )
        output.console.print(f"  {row['explanation']}", style="dim")
        for hit in row["rules"]:
            output.console.print(f"    [{hit['rule']}] {hit['message']}", markup=False)
