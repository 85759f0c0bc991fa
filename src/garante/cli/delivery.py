"""``garante verify-delivery``: a partner proves what it received, with the log's key alone.

Each object a Garante feed delivered names the log entry that released it; its receipt (from
``/api/v1/receipts/{index}``, the partner's own only) is that entry, its inclusion proof and a
signed checkpoint. The checks themselves are ``ledger.delivery``'s, the client's too.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from garante.cli import logkeys, output
from garante.domain.errors import GaranteError, ValidationError


class DeliveryNotVerified(GaranteError):
    code = "delivery.not_verified"
    exit_code = 13


def verify_delivery(
    ctx: typer.Context,
    file: Path = typer.Argument(
        ...,
        help="What was delivered: a STIX object, a bundle or a TAXII envelope (JSON).",
        metavar="OBJECT.json",
    ),
    server: str = typer.Option(
        ..., "--server", help="The Garante server that delivered it.", metavar="URL"
    ),
    log_key: str = typer.Option(
        ...,
        "--log-key",
        help="The log's verifier key, got out of band (text or @FILE).",
        metavar="KEY|@FILE",
    ),
    token: str | None = typer.Option(
        None,
        "--token",
        envvar="GARANTE_TOKEN",
        help="Your partner token on that server, for its receipts.",
        metavar="TOKEN",
    ),
    trace: str | None = typer.Option(
        None, "--trace", help="The trace token each object must carry.", metavar="TRACE"
    ),
) -> None:
    """Verify each delivered object against its receipt: the checkpoint's signature with the
    log key, the entry's inclusion proof, and that the entry released this very object."""
    import httpx  # only when run: a fast start for every other command

    from garante.client import GaranteClient
    from garante.ledger.errors import LedgerError

    try:
        document = json.loads(file.read_text())
    except (OSError, ValueError) as exc:
        raise ValidationError(f"cannot read {file} as JSON: {exc}", field="file") from None
    key = logkeys.key_text(log_key)
    try:
        with GaranteClient(server, token) as client:
            checks = client.verify_delivery(document, key, trace=trace)
    except LedgerError as exc:
        raise ValidationError(f"--log-key is not a verifier key: {exc}", field="log_key") from None
    except httpx.HTTPError as exc:
        raise DeliveryNotVerified(
            f"cannot reach {server}: {exc}", field="server", hint="check the server's URL"
        ) from None
    if not checks:
        raise DeliveryNotVerified(
            f"{file} holds no object a Garante feed delivered",
            hint="give the object, bundle or envelope as the feed served it",
        )
    if not output.as_json(ctx, checks):
        output.table(
            f"Delivery of {file}",
            checks,
            {
                "Object": "object_id",
                "Entry": lambda c: "-" if c.index is None else str(c.index),
                "Checkpoint": lambda c: (
                    "-" if c.checkpoint_size is None else str(c.checkpoint_size)
                ),
                "Result": output.Col(
                    lambda c: "verified" if c.verified else f"FAILED: {c.problem}", wrap=True
                ),
            },
        )
    failed = [c for c in checks if not c.verified]
    if failed:
        first = failed[0]
        raise DeliveryNotVerified(
            f"{len(failed)} of {len(checks)} object(s) not verified; the first, "
            f"{first.object_id}: {first.problem}",
            field="file",
            hint=first.hint,
        )
