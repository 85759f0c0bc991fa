"""``garante undertakings``: partners' signed use undertakings."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from garante.cli import output
from garante.cli.context import service, split, when
from garante.cli.options import (
    VALID_FROM_OPTION,
    Signing,
    id_option,
    option_groups,
    valid_until_option,
)
from garante.domain.errors import UndertakingNotFound

if TYPE_CHECKING:
    from garante import records

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
    undertaking_id: str | None = id_option("undertaking"),
    valid_from: str | None = VALID_FROM_OPTION,
    valid_until: str | None = valid_until_option("revoked"),
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
    signed = "signed" if change.value.signed else UNSIGNED
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
            "permits": output.Col("permits", wrap=True, floor=14),
            "prohibits": output.Col("prohibits", wrap=True, floor=14, drop=4),
            "protections": output.Col("protections", wrap=True, floor=14, drop=3),
            "from": output.Col(lambda r: output.day(r.valid_from), drop=1),
            "until": output.Col(lambda r: output.day(r.valid_until), drop=2),
            "signature": output.Col(_signature, wrap=True, floor=12),
            "after recovery": output.Col("key_recovered", wrap=True, floor=0),
            "revoked": output.Col(lambda r: output.day(r.revoked_at), drop=5),
        },
        more="garante undertakings show ID",
    )


def _signature(row: records.Undertaking) -> str:
    """Whether the agency signed it: unsigned means it had no key registered when recorded."""
    return "signed" if row.signed else UNSIGNED


UNSIGNED = "unsigned (no key registered)"


@app.command("show")
def show(
    ctx: typer.Context,
    undertaking_id: str = typer.Argument(..., metavar="ID", help="The undertaking's id."),
) -> None:
    """Show one undertaking: its terms, period, signature and revocation, in full."""
    found = [u for u in service(ctx).undertakings(None) if u.id == undertaking_id]
    if not found:
        raise UndertakingNotFound(
            f"no undertaking {undertaking_id}", field="id", hint="garante undertakings list"
        )
    undertaking = found[0]
    output.record(
        ctx,
        undertaking,
        {
            "categories": undertaking.categories or "all",
            "signed": output.Relabelled("signature", _signature(undertaking)),
            "key_recovered": output.Relabelled(
                "after recovery", "yes" if undertaking.key_recovered else "no"
            ),
        },
    )
