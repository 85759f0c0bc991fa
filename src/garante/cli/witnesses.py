"""``garante witnesses``: the witnesses whose cosignatures of its checkpoints the log takes."""

from __future__ import annotations

import typer

from garante.cli import logkeys, output
from garante.cli.context import service

app = typer.Typer(
    help="The witnesses this log trusts: their cosignatures of its checkpoints "
    "(c2sp.org/tlog-cosignature), posted to POST /api/v1/audit/cosignatures, are taken and "
    "served with each checkpoint.",
    no_args_is_help=True,
)


@app.command("add")
def add(
    ctx: typer.Context,
    key: str = typer.Argument(
        ...,
        help="The witness's verifier key (<name>+<hex id>+<base64>), or @FILE: its type 0x04 "
        "cosigner key (witness.vkey of `garante witness init`), or a partner node's log key "
        "(`garante audit key`), which stands for the cosigner key of the same name and key.",
        metavar="KEY|@FILE",
    ),
) -> None:
    """Register a witness; logged (witness.added)."""
    record = service(ctx).add_witness(logkeys.key_text(key))
    output.result(ctx, record, f"Added witness {record.name}: {record.key}")


@app.command("list")
def list_witnesses(ctx: typer.Context) -> None:
    """List the witnesses registered (and not removed)."""
    output.listing(
        ctx,
        "Witnesses",
        service(ctx).witnesses(),
        {
            "name": "name",
            "key": output.Col("key", wrap=True, floor=20),
            "added": output.Col("added_at", drop=1),
        },
    )


@app.command("remove")
def remove(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The witness's key name.", metavar="NAME"),
    reason: str = typer.Option("", "--reason", help="Why, for the log.", metavar="TEXT"),
) -> None:
    """Stop taking a witness's cosignatures; logged (witness.removed). Those taken stay."""
    record = service(ctx).remove_witness(name, reason)
    output.result(ctx, record, f"Removed witness {record.name}.")
