"""``garante tokens``: API tokens, shown once and stored hashed."""

from __future__ import annotations

from dataclasses import asdict

import typer

from garante.cli import output
from garante.cli.context import service

app = typer.Typer(help="API tokens for the roles of the HTTP API.", no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context,
    role: str = typer.Option(
        ..., "--role", help="analyst, liaison, authority, partner or overseer.", metavar="ROLE"
    ),
    agency: str | None = typer.Option(
        None, "--agency", help="The agency the token acts for.", metavar="ID"
    ),
    authority: str | None = typer.Option(
        None, "--authority", help="The authority an authority token acts for.", metavar="ID"
    ),
    label: str = typer.Option(
        "", "--label", help="A note to recognise the token by.", metavar="TEXT"
    ),
) -> None:
    """Create a token. The secret is printed once; only its SHA-256 is stored."""
    record, secret = service(ctx).create_token(
        role=role, agency_id=agency, authority_id=authority, label=label
    )
    if output.as_json(ctx, {**asdict(record), "token": secret}):
        return
    subject = authority or agency
    output.console.print(
        f"Token {record.id} ({role} for {subject}). Copy it now; it is not shown again:"
    )
    output.plain(secret)


@app.command("list")
def list_tokens(ctx: typer.Context) -> None:
    """List tokens (never their secrets)."""
    output.listing(
        ctx,
        "Tokens",
        service(ctx).tokens(),
        {
            "id": "id",
            "role": "role",
            "agency": "agency",
            "authority": "authority",
            "label": output.Col("label", wrap=True, floor=10, drop=1),
            "created": output.Col("created_at", drop=2),
            "revoked": output.Col("revoked_at", drop=3),
        },
    )


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    token_id: str = typer.Argument(
        ..., metavar="ID", help="The token's id (as tokens list shows it)."
    ),
) -> None:
    """Revoke a token; requests with it are refused from then on."""
    record = service(ctx).revoke_token(token_id)
    output.result(ctx, record, f"Revoked token {token_id}.")
