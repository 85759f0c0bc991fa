"""``garante consents``: partners' requests for consent to share onward what a release gave
them, listed for the liaison and answered (issue 21)."""

from __future__ import annotations

import typer

from garante import records
from garante.cli import output
from garante.cli.context import service

app = typer.Typer(
    help="Partners' signed requests for consent to share onward, and their answers.",
    no_args_is_help=True,
)

REASON = typer.Option(..., "--reason", help="Why (logged with the answer).", metavar="TEXT")


@app.command("list")
def list_consents(
    ctx: typer.Context,
    agency: str | None = typer.Option(None, "--agency", metavar="ID", help="Only this partner's."),
    status: str | None = typer.Option(
        None, "--status", metavar="STATUS", help="Only pending, granted or refused ones."
    ),
) -> None:
    """List the consent requests received, oldest first."""
    output.listing(
        ctx,
        "Consent requests",
        service(ctx).consents(agency, status),
        {
            "id": "id",
            "agency": "agency",
            "release": "release",
            "recipient": "recipient",
            "country": "country",
            "purpose": "purpose",
            "status": "status",
            "reason": "reason",
        },
    )


@app.command("grant")
def grant(
    ctx: typer.Context,
    consent_id: str = typer.Argument(..., help="The consent request.", metavar="ID"),
    reason: str = REASON,
) -> None:
    """Grant a pending consent request: the partner may share onward as it asked."""
    _said(ctx, service(ctx).grant_consent(consent_id, reason=reason))


@app.command("refuse")
def refuse(
    ctx: typer.Context,
    consent_id: str = typer.Argument(..., help="The consent request.", metavar="ID"),
    reason: str = REASON,
) -> None:
    """Refuse a pending consent request: the partner's onward release is denied."""
    _said(ctx, service(ctx).refuse_consent(consent_id, reason=reason))


def _said(ctx: typer.Context, done: records.ConsentRequest) -> None:
    if output.as_json(ctx, done):
        return
    output.console.print(
        f"Consent request {done.id} ({done.agency}, release {done.release}, to "
        f"{done.recipient} for {done.purpose}) {done.status}.",
        markup=False,
    )
