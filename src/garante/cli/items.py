"""``garante items``: add STIX 2.1 bundles as items to share."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from garante.cli import output
from garante.cli.context import service, split, when
from garante.domain.errors import ValidationError
from garante.textfile import read_text

if TYPE_CHECKING:
    from garante import records

app = typer.Typer(help="Items: communications to share, as STIX 2.1 bundles.", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    item_id: str = typer.Argument(..., metavar="ID", help="The item's id, e.g. co-2025-0417."),
    bundle: Path = typer.Option(
        ..., "--bundle", help="STIX 2.1 bundle (JSON file).", metavar="FILE"
    ),
    title: str = typer.Option(
        ..., "--title", metavar="TEXT", help="A title people recognise the item by."
    ),
    category: str = typer.Option(
        ..., "--category", metavar="CATEGORY", help="Its category, e.g. maritime-interdiction."
    ),
    region: str = typer.Option(
        ..., "--region", metavar="REGION", help="Its region, e.g. caribbean."
    ),
    tlp: str = typer.Option(
        ..., "--tlp", help="clear, green, amber, amber+strict or red.", metavar="TLP"
    ),
    originator: str = typer.Option(
        ..., "--originator", help="The agency it comes from.", metavar="ID"
    ),
    releasable_to: list[str] | None = typer.Option(
        None,
        "--releasable-to",
        help="Countries or agencies (comma list); none = no restriction.",
        metavar="CODE|ID[,...]",
    ),
    embargo_until: str | None = typer.Option(
        None,
        "--embargo-until",
        metavar="TIME",
        help="Release nothing before this time (ISO 8601); requests wait, held, until then.",
    ),
    expires_at: str | None = typer.Option(
        None,
        "--expires-at",
        metavar="TIME",
        help="From this time (ISO 8601) nothing more is delivered; partners get revoked versions.",
    ),
) -> None:
    """Add an item; the bundle is validated with the stix2 library."""
    text = read_text(bundle, field="bundle", what="bundle")
    change = service(ctx).add_item(
        item_id,
        title=title,
        category=category,
        region=region,
        tlp=tlp,
        originator=originator,
        bundle=text,
        releasable_to=split(releasable_to),
        embargo_until=when(embargo_until, field="embargo_until"),
        expires_at=when(expires_at, field="expires_at"),
    )
    output.result(
        ctx,
        change.value,
        f"Added item {item_id} ({category}, {region}, TLP:{tlp.upper()}), "
        f"sha256 {change.value.content_sha256[:16]}…",
    )


@app.command("list")
def list_items(ctx: typer.Context) -> None:
    """List items."""
    output.listing(
        ctx,
        "Items",
        service(ctx).items(),
        {
            "id": "id",
            "title": output.Col("title", wrap=True),
            "category": "category",
            "TLP": "tlp",
            "originator": output.Col("originator", drop=3),
            "region": output.Col("region", drop=2),
            "releasable to": output.Col("releasable_to", wrap=True, drop=1),
        },
        more="garante items show ID",
    )


@app.command("show")
def show(
    ctx: typer.Context, item_id: str = typer.Argument(..., metavar="ID", help="The item's id.")
) -> None:
    """Show one item's marks (not its content), and for an item from a Garante upstream the
    terms it was released under there."""
    item = service(ctx).item(item_id)
    terms = item.released_under
    shown = {"released_under": released_under(terms)} if terms is not None else None
    output.record(ctx, item, shown)


@app.command("history")
def history(
    ctx: typer.Context, item_id: str = typer.Argument(..., metavar="ID", help="The item's id.")
) -> None:
    """List the upstream versions an item's source gave, in the order taken: the item version
    each became (none for one recorded, not applied), its status, TLP and the commitment to
    its content that the log holds. An item added by hand has none."""
    output.listing(
        ctx,
        f"Versions of {item_id}",
        service(ctx).item_versions(item_id),
        {
            "version": "version",
            "status": "status",
            "upstream version": output.Col("upstream_version"),
            "TLP": "tlp",
            "taken at": output.Col("taken_at", drop=4),
            "commitment": output.Col(lambda v: f"{v.content_commitment[:16]}…", drop=3),
            "upstream id": output.Col("upstream_id", drop=2),
            "source": output.Col("source", drop=1),
        },
    )


def released_under(terms: records.UpstreamTerms) -> str:
    """The terms an item from a Garante upstream was released under, as a person reads them."""
    said = (
        f"entry {terms.log_index} of {terms.log_origin or 'the upstream log'} (request "
        f"{terms.request} to {terms.released_to}), purpose {terms.purpose}, undertaking "
        f"{terms.undertaking or '—'}, TLP {terms.tlp}"
    )
    return f"{said}: {terms.statement}" if terms.statement else said


@app.command("open-commitment")
def open_commitment(
    ctx: typer.Context,
    item_id: str = typer.Argument(..., metavar="ID", help="The item's id."),
    out: Path = typer.Option(
        ..., "--out", help="Where to write the opening (JSON).", metavar="FILE"
    ),
) -> None:
    """Write what shows an item's content matches the commitment in the audit log.

    The file holds the item's content: hand it only to whom may see that item.
    """
    opening = service(ctx).item_opening(item_id)
    out.write_text(json.dumps(asdict(opening), ensure_ascii=False, indent=1) + "\n")
    output.console.print(
        f"Wrote the opening of {item_id}'s commitment {opening.commitment} to {out}."
    )


@app.command("check-commitment")
def check_commitment(
    opening_file: Path = typer.Argument(
        ..., help="An opening written by open-commitment.", metavar="FILE"
    ),
    commitment: str = typer.Option(
        ..., "--commitment", help="The content_commitment in the log.", metavar="HASH"
    ),
) -> None:
    """Check an opening against the commitment read from the audit log (no database needed)."""
    from garante.service.items import content_commitment

    salt, title, bundle = _opening(opening_file)
    computed = content_commitment(salt, title, bundle)
    if computed != commitment:
        raise CommitmentMismatch(
            f"the opening gives commitment {computed}, not {commitment}",
            hint="the content or the salt differs from what was logged",
        )
    output.console.print(f"OK: the content matches commitment {commitment}.")


def _opening(path: Path) -> tuple[bytes, str, bytes]:
    """The salt, title and canonical bundle an opening file holds; a file that is not one is
    refused, saying what is wrong with it."""

    def refused(problem: str) -> ValidationError:
        return ValidationError(
            f"{path} is not an opening: {problem}",
            field="opening",
            hint="give the file `garante items open-commitment ID --out FILE` wrote",
        )

    try:
        opening = json.loads(path.read_bytes())
    except OSError as exc:
        raise ValidationError(
            f"cannot read the opening {path}: {exc.strerror or exc}", field="opening"
        ) from None
    except ValueError as exc:  # not UTF-8, or not JSON
        raise refused(f"it is not JSON ({exc})") from None
    if not isinstance(opening, dict):
        raise refused(f"it is a JSON {type(opening).__name__}, not an object")
    texts: dict[str, str] = {}
    for name in ("salt", "title", "bundle"):
        if name not in opening:
            raise refused(f'it has no "{name}"')
        if not isinstance(opening[name], str):
            raise refused(f'its "{name}" is not a string')
        try:
            opening[name].encode()
        except UnicodeEncodeError:  # a lone surrogate, from a \ud800 escape
            raise refused(f'its "{name}" is not Unicode text') from None
        texts[name] = opening[name]
    try:
        salt = bytes.fromhex(texts["salt"])
    except ValueError:
        raise refused('its "salt" is not hexadecimal') from None
    return salt, texts["title"], texts["bundle"].encode()


class CommitmentMismatch(ValidationError):
    code = "item.commitment_mismatch"


@app.command("refresh")
def refresh(ctx: typer.Context) -> None:
    """Apply the embargo ends and expiries the clock has passed since the last run.

    `garante serve` does this every second; run it yourself when no server is running.
    """
    change = service(ctx).apply_item_windows()
    lines = [
        f"Item {p.item} expired at {p.at}; {len(p.recalled)} release(s) withdrawn."
        if p.expired
        else f"Item {p.item}'s embargo ended at {p.at}."
        for p in change.value
    ]
    output.result(
        ctx,
        {"windows": change.value},
        "\n".join(lines) or "No embargo ended and no item expired since the last refresh.",
        moved=change.moved,
    )
