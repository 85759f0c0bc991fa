"""``garante keys``, ``garante agencies``, ``garante authorities``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from garante.cli import output
from garante.cli.context import service
from garante.cli.options import Signing, option_groups
from garante.domain.errors import ValidationError
from garante.textfile import read_text

if TYPE_CHECKING:
    from garante import records
    from garante.service.usecases.agencies import KeyStatementOf, SetsKey

keys = typer.Typer(help="Ed25519 key pairs for agencies and authorities.", no_args_is_help=True)
agencies = typer.Typer(help="Agencies that send or receive intelligence.", no_args_is_help=True)
authorities = typer.Typer(help="Authorities that issue orders.", no_args_is_help=True)


_KEY_HELP = "Base64 or PEM Ed25519 public key, or @FILE."
_PUBLIC_KEY_ARGUMENT = typer.Argument(..., help=_KEY_HELP, metavar="KEY|@FILE")
_PUBLIC_KEY_OPTION = typer.Option(None, "--public-key", help=_KEY_HELP, metavar="KEY|@FILE")


def _recovered_by(signer: str) -> Any:
    """``--recovered-by`` of a set-key command, saying who ``signer`` is."""
    return typer.Option(
        None,
        "--recovered-by",
        help=f"The key was lost: {signer} signs the recovery (with --key or --signature).",
        metavar="ID",
    )


def read_key(value: str | None) -> bytes | None:
    return None if value is None else read_required_key(value)


def read_required_key(value: str) -> bytes:
    """A public key given inline (base64 or PEM) or as @FILE."""
    if value.startswith("@"):
        value = read_text(Path(value[1:]), field="public_key", what="public key")
    from garante.signatures import parse_public_key

    return parse_public_key(value)


@keys.command("generate")
def generate(
    ctx: typer.Context,
    name: str = typer.Argument(
        ..., help="Name for the files: NAME.key and NAME.pub.", metavar="NAME"
    ),
    directory: Path = typer.Option(
        Path("."), "--dir", help="Where to write the files.", metavar="DIR"
    ),
) -> None:
    """Create NAME.key (PEM private key, mode 0600) and NAME.pub (base64 public key)."""
    from garante.signatures import (
        encode_public_key,
        generate_private_key,
        private_key_pem,
        public_key_bytes,
    )

    private = directory / f"{name}.key"
    public = directory / f"{name}.pub"
    if private.exists():
        raise ValidationError(f"{private} exists; refusing to overwrite a key", field="name")
    key = generate_private_key()
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_key_pem(key))
    encoded = encode_public_key(public_key_bytes(key.public_key()))
    public.write_text(encoded + "\n")
    output.result(
        ctx,
        {"private_key": str(private), "public_key": encoded},
        f"Wrote {private} (keep it secret) and {public}: {encoded}",
    )


@agencies.command("add")
def add_agency(
    ctx: typer.Context,
    agency_id: str = typer.Argument(..., metavar="ID", help="Slug, e.g. dea."),
    name: str = typer.Option(..., "--name", metavar="NAME", help="The agency's full name."),
    country: str = typer.Option(
        ..., "--country", help="ISO 3166-1 alpha-2, e.g. US.", metavar="CODE"
    ),
    domestic: bool = typer.Option(False, "--domestic", help="One of the operator's own services."),
    requires_undertaking: bool = typer.Option(
        False, "--requires-undertaking", help="Needs an undertaking even though domestic."
    ),
    public_key: str | None = _PUBLIC_KEY_OPTION,
) -> None:
    """Register an agency."""
    change = service(ctx).register_agency(
        agency_id,
        name=name,
        country=country,
        domestic=domestic,
        requires_undertaking=requires_undertaking,
        public_key=read_key(public_key),
    )
    kind = "domestic service" if domestic else "foreign partner"
    output.result(ctx, change.value, f"Registered {agency_id} ({name}, {country}, {kind}).")


@agencies.command("set-key")
@option_groups
def set_key(
    ctx: typer.Context,
    agency_id: str = typer.Argument(..., metavar="ID", help="The agency's id."),
    public_key: str = _PUBLIC_KEY_ARGUMENT,
    recovered_by: str | None = _recovered_by("this authority"),
    *,
    signing: Signing,
) -> None:
    """Register an agency's public key; from then on its statements must be signed.

    A first key needs no proof. To replace a registered key, sign with the current one (--key
    OLD.key); to replace a lost one, an authority signs a recovery (--recovered-by ID --key
    AUTHORITY.key). The log keeps the statement and marks a recovery as one.
    """
    garante = service(ctx)
    _set_key(
        ctx,
        garante.agency_key_statement,
        garante.set_agency_key,
        agency_id,
        public_key,
        recovered_by,
        signing,
    )


def _set_key(
    ctx: typer.Context,
    statement_of: KeyStatementOf,
    set_key: SetsKey[Any],
    party_id: str,
    public_key: str,
    recovered_by: str | None,
    signing: Signing,
) -> None:
    """``set-key`` of an agency or an authority: the statement the new key needs, signed (or
    only printed), then the key set."""
    new_key = read_required_key(public_key)
    statement = statement_of(party_id, new_key, recovered_by=recovered_by)
    if signing.printed(statement):
        return
    change = set_key(
        party_id,
        new_key,
        signature=signing.signature(statement),
        recovered_by=recovered_by,
    )
    how = f", recovered on {recovered_by}'s signature" if recovered_by else ""
    output.result(ctx, change.value, f"Key registered for {party_id}{how}.")


@agencies.command("list")
def list_agencies(ctx: typer.Context) -> None:
    """List agencies."""
    output.listing(
        ctx,
        "Agencies",
        service(ctx).agencies(),
        {
            "id": "id",
            "name": output.Col("name", wrap=True),
            "country": "country",
            "domestic": "domestic",
            "key": _key,
            "active": "active",
        },
    )


@authorities.command("add")
def add_authority(
    ctx: typer.Context,
    authority_id: str = typer.Argument(..., metavar="ID", help="Slug, e.g. presidency."),
    name: str = typer.Option(..., "--name", metavar="NAME", help="The authority's full name."),
    public_key: str | None = _PUBLIC_KEY_OPTION,
) -> None:
    """Register an authority that may issue orders."""
    change = service(ctx).register_authority(
        authority_id, name=name, public_key=read_key(public_key)
    )
    output.result(ctx, change.value, f"Registered authority {authority_id} ({name}).")


@authorities.command("set-key")
@option_groups
def set_authority_key(
    ctx: typer.Context,
    authority_id: str = typer.Argument(..., metavar="ID", help="The authority's id."),
    public_key: str = _PUBLIC_KEY_ARGUMENT,
    recovered_by: str | None = _recovered_by("this other authority"),
    *,
    signing: Signing,
) -> None:
    """Register an authority's public key; from then on its orders must be signed.

    A first key needs no proof. To replace a registered key, sign with the current one (--key
    OLD.key); to replace a lost one, another authority with a key signs a recovery
    (--recovered-by ID --key OTHER.key). The log keeps the statement and marks a recovery as one.
    """
    garante = service(ctx)
    _set_key(
        ctx,
        garante.authority_key_statement,
        garante.set_authority_key,
        authority_id,
        public_key,
        recovered_by,
        signing,
    )


@authorities.command("set-superior")
def set_superior(
    ctx: typer.Context,
    authority_id: str = typer.Argument(..., metavar="ID", help="The superior authority."),
    over: list[str] | None = typer.Option(
        None,
        "--over",
        metavar="ID",
        help="An authority whose orders ID may amend and lift (repeat for several).",
    ),
    clear: bool = typer.Option(False, "--clear", help="ID is superior to no authority."),
) -> None:
    """Configure an authority as superior to others: it amends and lifts their orders.

    The list given replaces the one before (--clear empties it); the log records each change.
    A superior signs with its own key and the order's entry says it acted as superior. Not
    transitive, and never over Garante's breach holds. The operator's alone: no API token may.
    """
    if clear == bool(over):
        raise ValidationError(
            "name the authorities it is over (--over ID) or --clear, not both or neither",
            field="over",
        )
    change = service(ctx).set_superior(authority_id, over=over or [])
    subordinates = change.value.over
    text = (
        f"{authority_id} is now superior to {', '.join(subordinates)}."
        if subordinates
        else f"{authority_id} is now superior to no authority."
    )
    output.result(ctx, change.value, text)


@authorities.command("list")
def list_authorities(ctx: typer.Context) -> None:
    """List authorities, with the authorities each is configured as superior to."""
    garante = service(ctx)
    superiors = garante.superiors()
    output.listing(
        ctx,
        "Authorities",
        [{**asdict(row), "over": superiors.get(row.id, [])} for row in garante.authorities()],
        {
            "id": "id",
            "name": output.Col("name", wrap=True),
            "key": _key,
            "superior to": output.Col(lambda row: ", ".join(row["over"]) or "-", wrap=True),
        },
    )


def _key(row: records.Agency | records.Authority | Mapping[str, Any]) -> str:
    """Whether a public key is registered: from then on the party's statements are signed."""
    key = row["public_key"] if isinstance(row, Mapping) else row.public_key
    return "registered" if key else "none"
