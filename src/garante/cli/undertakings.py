"""``garante undertakings``: partners' signed use undertakings."""

from __future__ import annotations

from pathlib import Path

import typer

from garante.cli import output
from garante.cli.context import (
    KEY_OPTION,
    SIGNATURE_OPTION,
    STATEMENT_OPTION,
    service,
    settings,
    signature,
    split,
    when,
)
from garante.signatures import canonical

app = typer.Typer(help="Use undertakings that partners sign.", no_args_is_help=True)


@app.command("sign")
def sign(
    ctx: typer.Context,
    agency: str = typer.Argument(..., help="The agency giving the undertaking."),
    permits: list[str] = typer.Option(..., "--permits", help="Purposes it may use items for."),
    prohibits: list[str] | None = typer.Option(None, "--prohibits", help="Purposes never."),
    protections: list[str] | None = typer.Option(
        None, "--protections", help="Safeguards, e.g. protection-of-life."
    ),
    categories: list[str] | None = typer.Option(
        None, "--categories", help="Item categories covered (none = all)."
    ),
    undertaking_id: str | None = typer.Option(None, "--id"),
    valid_from: str | None = typer.Option(None, "--valid-from"),
    valid_until: str | None = typer.Option(None, "--valid-until"),
    key: Path | None = KEY_OPTION,
    signature_b64: str | None = SIGNATURE_OPTION,
    print_statement: bool = STATEMENT_OPTION,
) -> None:
    """Record an undertaking, signed by the agency's key when it has one registered."""
    garante = service(ctx)
    terms = garante.draft_undertaking(
        agency,
        permits=split(permits),
        prohibits=split(prohibits),
        protections=split(protections),
        categories=split(categories),
        undertaking_id=undertaking_id,
        valid_from=when(valid_from, field="valid_from"),
        valid_until=when(valid_until, field="valid_until"),
    )
    if print_statement:
        output.plain(canonical(terms.statement()).decode())
        return
    change = garante.record_undertaking(
        terms, signature=signature(terms.statement(), key, signature_b64)
    )
    if settings(ctx).json:
        output.emit_json({"undertaking": change.value, "moved": change.moved})
        return
    signed = "signed" if change.value["signed"] else "unsigned (no key registered)"
    output.console.print(f"Recorded undertaking {terms.id} for {agency}, {signed}.")
    output.moved(change.moved)


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    undertaking_id: str = typer.Argument(..., metavar="ID"),
    reason: str = typer.Option(..., "--reason"),
) -> None:
    """Revoke an undertaking; releases under it stop, held requests are decided again."""
    change = service(ctx).revoke_undertaking(undertaking_id, reason=reason)
    if settings(ctx).json:
        output.emit_json({"undertaking": change.value, "moved": change.moved})
        return
    output.console.print(f"Revoked undertaking {undertaking_id}.")
    output.moved(change.moved)


@app.command("list")
def list_undertakings(
    ctx: typer.Context, agency: str | None = typer.Option(None, "--agency")
) -> None:
    """List undertakings."""
    rows = service(ctx).undertakings(agency)
    if settings(ctx).json:
        output.emit_json(rows)
        return
    output.table(
        "Undertakings",
        [
            "id",
            "agency",
            "permits",
            "prohibits",
            "protections",
            "from",
            "until",
            "signed",
            "revoked",
        ],
        (
            [
                r["id"],
                r["agency"],
                r["permits"],
                r["prohibits"],
                r["protections"],
                r["valid_from"],
                r["valid_until"],
                r["signed"],
                r["revoked_at"],
            ]
            for r in rows
        ),
    )
