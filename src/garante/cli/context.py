"""Shared CLI state: which store, which output, who acts; and parsing helpers for options."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from garante.domain.errors import ValidationError
from garante.domain.timeutil import parse_time

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from garante.canonical import Json
    from garante.service.app import Garante

# The service (SQLAlchemy, stix2, ...) is imported by the commands that open a store, not
# when the CLI starts: `garante --help` and `garante version` need none of it.


@dataclass
class Settings:
    db: str | None = None
    json: bool = False
    actor: str = "cli"


def settings(ctx: typer.Context) -> Settings:
    root = ctx.find_root()
    if not isinstance(root.obj, Settings):
        root.obj = Settings()
    return root.obj


def service(ctx: typer.Context, *, create: bool = False, log_key_uri: str | None = None) -> Garante:
    """The store ``--db`` names, which must exist: only the commands that create a store
    (``init``, ``demo``, ``serve --init``) pass ``create``, so a mistyped path creates nothing.
    Its connections are closed when the command ends."""
    from garante.service.app import Garante

    current = settings(ctx)
    garante = Garante.open(current.db, actor=current.actor, create=create, log_key_uri=log_key_uri)
    # Closed with the command, on error too: its connections go with it rather than waiting
    # for the process to exit (the CLI also runs inside other programs, tests among them).
    ctx.call_on_close(garante.close)
    return garante


def split(values: list[str] | None) -> list[str]:
    """Options take repeated values or comma lists: ``--permits seizure,arrest``."""
    out: list[str] = []
    for value in values or []:
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return out


def bounded(low: int, high: int) -> Callable[[typer.CallbackParam, int | None], int | None]:
    """An integer option's (or argument's) callback: a value outside ``low`` to ``high`` is
    refused as it is parsed, naming the option and its range.

    Click parses any number of digits; a value past what a 64-bit column, an RFC 8785
    statement, a date or a port holds used to fail deep inside as a traceback. Each option
    gives the range that makes sense for it (``garante.domain.numbers``, as the API's do).
    """

    def check(param: typer.CallbackParam, value: int | None) -> int | None:
        if value is not None and not low <= value <= high:
            long = [o for o in param.opts if o.startswith("--")]
            named = long[0] if long else (param.metavar or str(param.name)).upper()
            raise ValidationError(
                f"{named} must be from {low} to {high}, not {value}", field=param.name
            )
        return value

    return check


def when(value: str | None, *, field: str) -> datetime | None:
    return parse_time(value, field=field) if value else None


def period(start: str, end: str) -> tuple[datetime, datetime]:
    """``--from`` and ``--to``: a period that ends after it begins."""
    begin, finish = when(start, field="from"), when(end, field="to")
    if begin is None or finish is None or finish <= begin:
        raise ValidationError("--to must be after --from", field="to")
    return begin, finish


def signature(
    statement: Mapping[str, Json], key: Path | None, signature_b64: str | None
) -> bytes | None:
    """Sign with a private key file, or take a detached signature made elsewhere."""
    from garante.signatures import decode_signature, load_private_key, sign_statement

    if key is not None and signature_b64 is not None:
        raise ValidationError("give --key or --signature, not both", field="signature")
    if key is not None:
        return sign_statement(load_private_key(key), statement)
    if signature_b64 is not None:
        return decode_signature(signature_b64)
    return None


KEY_OPTION = typer.Option(
    None,
    "--key",
    help="PEM Ed25519 private key of the signer; the CLI signs for you.",
    metavar="FILE",
)
SIGNATURE_OPTION = typer.Option(
    None,
    "--signature",
    help="Base64 Ed25519 signature over the canonical statement.",
    metavar="BASE64",
)
STATEMENT_OPTION = typer.Option(
    False,
    "--print-statement",
    help="Print the canonical statement to sign elsewhere, and store nothing.",
)
