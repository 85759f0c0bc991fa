"""``garante request``, ``garante held`` and ``garante releases``."""

from __future__ import annotations

import typer

from garante import records
from garante.cli import output
from garante.cli.context import service

app = typer.Typer(help="Release requests and their decisions.", no_args_is_help=True)


def request(
    ctx: typer.Context,
    item: str = typer.Argument(..., help="The item to release.", metavar="ITEM"),
    to: str = typer.Option(..., "--to", help="The recipient agency.", metavar="ID"),
    purpose: str = typer.Option(..., "--purpose", help="The declared purpose.", metavar="PURPOSE"),
) -> None:
    """Request the release of an item to an agency for a purpose, and print the decision."""
    decided = service(ctx).request_release(item, recipient=to, purpose=purpose)
    if output.as_json(ctx, decided):
        return
    output.decision_line(decided)
    for hit in decided.rules:
        output.console.print(f"      [{hit.rule}] {hit.message}", markup=False)


def held(ctx: typer.Context) -> None:
    """The held queue: what waits, for whom, why, and for how long."""
    output.listing(
        ctx,
        "Held queue",
        service(ctx).held_queue(),
        {
            "request": "id",
            "item": "item",
            "to": "recipient",
            "purpose": "purpose",
            "held for": output.Col(_held_for, drop=1),
            "reason": output.Col("reason", wrap=True, floor=16),
        },
        more="garante releases show ID",
    )


def _held_for(row: records.Held) -> str:
    return _age(row.held_for_seconds)


def _age(seconds: int) -> str:
    days, rest = divmod(max(seconds, 0), 86400)
    hours = rest // 3600
    return f"{days}d {hours}h" if days else f"{hours}h {rest % 3600 // 60}m"


@app.command("list")
def list_requests(
    ctx: typer.Context,
    outcome: str | None = typer.Option(
        None, "--outcome", help="released, held or denied.", metavar="OUTCOME"
    ),
    to: str | None = typer.Option(None, "--to", help="Only this recipient.", metavar="ID"),
) -> None:
    """List release requests with the decision that stands for each."""
    output.listing(
        ctx,
        "Release requests",
        service(ctx).requests(outcome=outcome, recipient=to),
        {
            "id": "id",
            "item": "item",
            "recipient": "recipient",
            "purpose": "purpose",
            "requested": output.Col("requested_at", drop=2),
            "outcome": _outcome,
            "delivery": "delivery",
            "undertaking": output.Col("undertaking", drop=1),
        },
        more="garante releases show ID",
    )


def _outcome(row: records.Request) -> str:
    return output.outcome(row.outcome)


DELIVERY = {
    "available": "available, not yet fetched",
    "withheld": "withheld: an order now stops it",
    "delivered": "delivered",
    "recalled": "recalled after delivery (the feed carries revoked versions)",
    "withdrawn": "withdrawn before delivery (never received)",
}


@app.command("show")
def show(
    ctx: typer.Context,
    request_id: int = typer.Argument(..., metavar="ID", help="The release request's number."),
) -> None:
    """Every decision taken on one request, with the rules that spoke and what triggered it,
    and where its release stands in the partner's feed (delivered, recalled, ...)."""
    garante = service(ctx)
    rows = garante.decisions(request_id)
    if output.as_json(ctx, rows):
        return
    for row in rows:
        output.console.print(
            f"{row.decided_at} {output.outcome(row.outcome)} "
            f"(trigger: {row.trigger}, state version {row.state_version})"
        )
        output.console.print(f"  {row.explanation}", style="dim")
        for hit in row.rules:
            output.console.print(f"    [{hit.rule}] {hit.message}", markup=False)
    shown = garante.request(request_id)
    if shown.delivery is not None:
        what = DELIVERY[shown.delivery]
        output.console.print(f"In {shown.recipient}'s feed: {what}", markup=False)
