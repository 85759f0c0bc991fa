"""``garante consents``: partners' requests for consent to share onward what a release gave
them, listed for the liaison and answered (issue 21)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from garante.cli import output
from garante.cli.context import service

if TYPE_CHECKING:
    from garante import records

app = typer.Typer(
    help="Consent to share onward: partners' signed requests and their answers (upstream); "
    "the consents this node asks of its Garante upstreams and their answers, taken proven.",
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
    """List the consent requests received, in the order received."""
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


# -- on a node: asking the upstream an item came from ------------------------------------------


@app.command("request")
def request(
    ctx: typer.Context,
    item: str = typer.Argument(..., help="An item taken from a Garante upstream.", metavar="ITEM"),
    to: str = typer.Option(..., "--to", help="The onward recipient (an agency).", metavar="ID"),
    purpose: str = typer.Option(..., "--purpose", help="The onward purpose.", metavar="PURPOSE"),
    key: Path = typer.Option(
        ...,
        "--key",
        help="PEM Ed25519 private key of the agency this node is at the upstream.",
        metavar="FILE",
    ),
    consent_id: str | None = typer.Option(
        None,
        "--id",
        metavar="ID",
        help="The consent request's id, unique (default: a new consent--UUID).",
    ),
) -> None:
    """Ask the upstream ITEM came from for consent to share it with --to for --purpose,
    signed with --key and sent with the source's credentials."""
    from garante.signatures import load_private_key

    private = load_private_key(key)
    done = service(ctx).ask_consent(
        item, recipient=to, purpose=purpose, sign=private.sign, consent_id=consent_id
    )
    if output.as_json(ctx, done):
        return
    output.console.print(
        f"Asked consent {done.id} of source {done.source} to share {done.item} with "
        f"{done.recipient} for {done.purpose}; `garante consents fetch` takes the answer.",
        markup=False,
    )


@app.command("fetch")
def fetch(ctx: typer.Context) -> None:
    """Take the answers to the consents this node asked, each proven by its upstream log
    entry; the held requests they move are decided again."""
    done = service(ctx).fetch_consents()
    if output.as_json(ctx, done):
        return
    if not done:
        output.console.print("No consent asked has been answered yet.")
    for taken in done:
        if taken.problem is not None:
            said = f"not taken: {taken.problem}"
        else:
            moved = ", ".join(str(m) for m in taken.moved) or "none"
            said = f"{taken.status} (upstream entry {taken.answer_index}); decided again: {moved}"
        output.console.print(f"Consent {taken.id} ({taken.item} to {taken.recipient}): {said}.",
                             markup=False)  # fmt: skip


@app.command("asked")
def asked(
    ctx: typer.Context,
    status: str | None = typer.Option(
        None, "--status", metavar="STATUS", help="Only asked, granted or refused ones."
    ),
) -> None:
    """List the consents this node asked of its upstreams, oldest first."""
    output.listing(
        ctx,
        "Consents asked",
        service(ctx).asked_consents(status),
        {
            "id": "id",
            "item": "item",
            "recipient": "recipient",
            "purpose": "purpose",
            "status": "status",
            "upstream entry": "answer_index",
        },
    )
