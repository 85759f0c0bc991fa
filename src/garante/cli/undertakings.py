"""``garante undertakings``: partners' signed use undertakings."""

from __future__ import annotations

import typer

from garante.cli import output
from garante.cli.context import service, split, when
from garante.cli.options import Signing, option_groups

app = typer.Typer(help="Use undertakings that partners sign.", no_args_is_help=True)


@app.command("sign")
@option_groups
def sign(
    ctx: typer.Context,
    agency: str = typer.Argument(..., help="The agency giving the undertaking.", metavar="AGENCY"),
    permits: list[str] = typer.Option(
        ..., "--permits", help="Purposes it may use items for.", metavar="PURPOSE[,PURPOSE...]"
    ),
    prohibits: list[str] | None = typer.Option(
        None, "--prohibits", help="Purposes never.", metavar="PURPOSE[,PURPOSE...]"
    ),
    protections: list[str] | None = typer.Option(
        None,
        "--protections",
        help="Safeguards, e.g. protection-of-life.",
        metavar="PROTECTION[,PROTECTION...]",
    ),
    categories: list[str] | None = typer.Option(
        None,
        "--categories",
        help="Item categories covered (none = all).",
        metavar="CATEGORY[,CATEGORY...]",
    ),
    undertaking_id: str | None = typer.Option(
        None, "--id", metavar="ID", help="The undertaking's id (default: one is made up)."
    ),
    valid_from: str | None = typer.Option(
        None,
        "--valid-from",
        metavar="TIME",
        help="In force from then (default: now). ISO 8601, e.g. 2025-11-14T09:00:00Z.",
    ),
    valid_until: str | None = typer.Option(
        None,
        "--valid-until",
        metavar="TIME",
        help="In force until then (default: until revoked). ISO 8601, e.g. 2025-11-14T09:00:00Z.",
    ),
    *,
    signing: Signing,
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
    if signing.printed(terms.statement()):
        return
    change = garante.record_undertaking(terms, signature=signing.signature(terms.statement()))
    signed = "signed" if change.value["signed"] else "unsigned (no key registered)"
    output.result(
        ctx,
        {"undertaking": change.value},
        f"Recorded undertaking {terms.id} for {agency}, {signed}.",
        moved=change.moved,
    )


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    undertaking_id: str = typer.Argument(..., metavar="ID", help="The undertaking to revoke."),
    reason: str = typer.Option(..., "--reason", metavar="TEXT", help="Why it is revoked."),
) -> None:
    """Revoke an undertaking; releases under it stop, held requests are decided again."""
    change = service(ctx).revoke_undertaking(undertaking_id, reason=reason)
    output.result(
        ctx,
        {"undertaking": change.value},
        f"Revoked undertaking {undertaking_id}.",
        moved=change.moved,
    )


@app.command("list")
def list_undertakings(
    ctx: typer.Context,
    agency: str | None = typer.Option(
        None, "--agency", metavar="ID", help="Only this agency's undertakings."
    ),
) -> None:
    """List undertakings; "after recovery" marks one signed with a key that an authority's
    recovery statement installed, not one the agency's own previous key vouched for."""
    output.listing(
        ctx,
        "Undertakings",
        service(ctx).undertakings(agency),
        {
            "id": "id",
            "agency": "agency",
            "permits": "permits",
            "prohibits": "prohibits",
            "protections": "protections",
            "from": "valid_from",
            "until": "valid_until",
            "signed": "signed",
            "after recovery": "key_recovered",
            "revoked": "revoked_at",
        },
    )
