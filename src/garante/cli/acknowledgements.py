"""``garante acknowledgements``: a partner's signed acknowledgements of deliveries and of
recalls, and the recalls still unacknowledged."""

from __future__ import annotations

import uuid
from pathlib import Path

import typer

from garante.cli import output
from garante.cli.context import KEY_OPTION, SIGNATURE_OPTION, bounded, service, signature, when
from garante.domain.acknowledgement import Acknowledgement
from garante.domain.numbers import INT64_MAX, INT64_MIN

app = typer.Typer(
    help="Partners' signed acknowledgements of deliveries and of recalls.", no_args_is_help=True
)


@app.command("add")
def add(
    ctx: typer.Context,
    release: int = typer.Argument(
        ...,
        help="The release acknowledged.",
        metavar="RELEASE",
        callback=bounded(INT64_MIN, INT64_MAX),
    ),
    of: str = typer.Option(
        ..., "--of", help="delivery (received it) or recall (withdrew it).", metavar="KIND"
    ),
    agency: str = typer.Option(..., "--agency", help="The partner acknowledging.", metavar="ID"),
    ack_id: str | None = typer.Option(
        None, "--id", help="Its id (default: a new note--UUID).", metavar="ID"
    ),
    at: str | None = typer.Option(
        None, "--at", help="When it was acknowledged (default: now).", metavar="TIME"
    ),
    key: Path | None = KEY_OPTION,
    signature_b64: str | None = SIGNATURE_OPTION,
) -> None:
    """Record a partner's acknowledgement, signed by its key (--key FILE signs it here)."""
    garante = service(ctx)
    now = garante.clock.now().replace(microsecond=0)
    ack = Acknowledgement(
        id=ack_id or f"note--{uuid.uuid4()}",
        kind=of,
        request_id=release,
        agency_id=agency,
        acknowledged_at=when(at, field="at") or now,
    )
    signed = signature(ack.statement(), key, signature_b64)
    done = garante.acknowledge(ack, signature=signed)
    if output.as_json(ctx, done):
        return
    value = done.acknowledgement
    said = "recorded" if done.new else "was already recorded"
    output.console.print(
        f"Acknowledgement {value.id} of the {value.of} of release {value.release} {said}.",
        markup=False,
    )


@app.command("list")
def list_acknowledgements(
    ctx: typer.Context,
    agency: str | None = typer.Option(None, "--agency", metavar="ID", help="Only this partner's."),
) -> None:
    """List the acknowledgements received, in the order received."""
    output.listing(
        ctx,
        "Acknowledgements",
        service(ctx).acknowledgements(agency),
        {
            "id": "id",
            "of": "of",
            "release": "release",
            "agency": "agency",
            "acknowledged": "acknowledged_at",
            "received": "received_at",
        },
    )


@app.command("unacknowledged")
def unacknowledged(
    ctx: typer.Context,
    agency: str | None = typer.Option(None, "--agency", metavar="ID", help="Only this partner's."),
) -> None:
    """Recalled releases whose partner has not acknowledged the recall, oldest first."""
    output.listing(
        ctx,
        "Unacknowledged recalls",
        service(ctx).unacknowledged_recalls(agency),
        {
            "release": "release",
            "agency": "agency",
            "recalled": "recalled_at",
            "delivered": "delivered",
            "deadline": "ack_by",
            "overdue": "overdue",
        },
    )


@app.command("enforce")
def enforce(ctx: typer.Context) -> None:
    """Hold each partner with a recall past its acknowledgement deadline, once per recall
    (``garante serve`` does this every second). The operator's."""
    done = service(ctx).enforce_recall_deadlines()
    if output.as_json(ctx, done.value):
        return
    if not done.value:
        output.console.print("No recall is past its acknowledgement deadline unheld.")
    for hold in done.value:
        output.console.print(
            f"Held {hold.agency} by order {hold.order}: the recall of release {hold.release} "
            f"was not acknowledged by {hold.ack_by}.",
            markup=False,
        )
