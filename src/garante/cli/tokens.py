"""``garante tokens``: API tokens, shown once and stored hashed."""

from __future__ import annotations

import typer

from garante.cli import output
from garante.cli.context import service, settings

app = typer.Typer(help="API tokens for the roles of the HTTP API.", no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context,
    role: str = typer.Option(
        ..., "--role", help="analyst, liaison, authority, partner or overseer."
    ),
    agency: str | None = typer.Option(None, "--agency", help="The agency the token acts for."),
    authority: str | None = typer.Option(
        None, "--authority", help="The authority an authority token acts for."
    ),
    label: str = typer.Option("", "--label", help="A note to recognise the token by."),
) -> None:
    """Create a token. The secret is printed once; only its SHA-256 is stored."""
    record, secret = service(ctx).create_token(
        role=role, agency_id=agency, authority_id=authority, label=label
    )
    if settings(ctx).json:
        output.emit_json({**record, "token": secret})
        return
    subject = authority or agency
    output.console.print(
        f"Token {record['id']} ({role} for {subject}). Copy it now; it is not shown again:"
    )
    output.plain(secret)


@app.command("list")
def list_tokens(ctx: typer.Context) -> None:
    """List tokens (never their secrets)."""
    rows = service(ctx).tokens()
    if settings(ctx).json:
        output.emit_json(rows)
        return
    output.table(
        "Tokens",
        ["id", "role", "agency", "authority", "label", "created", "revoked"],
        (
            [
                r["id"],
                r["role"],
                r["agency"],
                r["authority"],
                r["label"],
                r["created_at"],
                r["revoked_at"],
            ]
            for r in rows
        ),
    )


@app.command("revoke")
def revoke(ctx: typer.Context, token_id: str = typer.Argument(..., metavar="ID")) -> None:
    """Revoke a token; requests with it are refused from then on."""
    record = service(ctx).revoke_token(token_id)
    if settings(ctx).json:
        output.emit_json(record)
    else:
        output.console.print(f"Revoked token {token_id}.")
