"""``garante sources``: where items come from, managed and pulled by an analyst."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from garante.cli import logkeys, output
from garante.cli.context import bounded, service, settings
from garante.domain.errors import ValidationError
from garante.domain.numbers import MAX_INTERVAL, MIN_INTERVAL

if TYPE_CHECKING:
    from garante import records
    from garante.service.results import Change

app = typer.Typer(
    help="Sources: TAXII 2.1 collections, MISP feeds and folders of STIX bundles whose "
    "objects become items, pulled on a schedule.",
    no_args_is_help=True,
)


def _secret(name: str | None) -> str | None:
    """The secret from the environment variable ``name``: never on the command line, where
    other users of the machine would read it."""
    if name is None:
        return None
    value = os.environ.get(name)
    if not value:
        raise ValidationError(
            f"the environment variable {name} is not set or empty",
            field="secret",
            hint=f"export {name}=... before running this command",
        )
    return value


def _signing_key(path: Path | None, name: str | None) -> str | None:
    """The node agency's private key (PEM), from a file or an environment variable."""
    if path is not None and name is not None:
        raise ValidationError(
            "give the signing key once: --signing-key FILE or --signing-key-env VAR",
            field="signing_key",
        )
    if name is not None:
        value = os.environ.get(name)
        if not value:
            raise ValidationError(
                f"the environment variable {name} is not set or empty",
                field="signing_key",
                hint=f'export {name}="$(cat agency.key)" before running this command',
            )
        return value
    if path is None:
        return None
    try:
        return path.expanduser().read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(
            f"cannot read the signing key {path}: {exc}",
            field="signing_key",
            hint="the agency's Ed25519 private key, in PEM",
        ) from None


def _mapping(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ValidationError(f"cannot read {path} as JSON: {exc}", field="mapping") from None
    if not isinstance(value, dict):
        raise ValidationError(f"{path} is not a JSON object", field="mapping")
    return value


_AUTH = {"none": "no authentication", "basic": "basic auth", "bearer": "bearer token"}


def _lag(seconds: float | None) -> str:
    if seconds is None:
        return "never pulled"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _state(source: records.Source) -> str:
    if source.removed:
        return "removed"
    if source.paused:
        return "paused"
    if source.last_error is not None:
        # A pull that succeeded but refused objects records both at the same instant.
        refusing = (
            source.last_success_at is not None and source.last_success_at == source.last_error_at
        )
        return "refusing" if refusing else "failing"
    return "ok" if source.last_success_at else "new"


@app.command("add")
def add(
    ctx: typer.Context,
    source_id: str = typer.Argument(..., metavar="ID", help="The source's id (a short slug)."),
    url: str = typer.Option(
        ...,
        "--url",
        metavar="URL|DIR",
        help="The TAXII 2.1 API root's URL, the MISP feed's URL or directory, or the folder.",
    ),
    collection: str | None = typer.Option(
        None, "--collection", metavar="ID", help="The collection's id under that API root."
    ),
    kind: str = typer.Option(
        "taxii",
        "--kind",
        metavar="KIND",
        help="taxii, misp-feed, folder (of bundle files) or garante (another Garante's "
        "partner feed: --url its server, --collection this agency's collection there).",
    ),
    category: str = typer.Option(
        ..., "--category", metavar="CATEGORY", help="Its items' category, unless mapped."
    ),
    region: str = typer.Option(
        ..., "--region", metavar="REGION", help="Its items' region, unless mapped."
    ),
    tlp: str = typer.Option(
        ...,
        "--tlp",
        metavar="TLP",
        help="The TLP of an object that carries no marking (clear, green, amber, "
        "amber+strict, red). An unknown marking is never read as this: it is held for review.",
    ),
    originator: str | None = typer.Option(
        None,
        "--originator",
        metavar="ID",
        help="The agency whose items it brings (an analyst's token: its own, the default).",
    ),
    auth: str = typer.Option(
        "none", "--auth", metavar="KIND", help="none, basic (--username) or bearer."
    ),
    username: str | None = typer.Option(
        None, "--username", metavar="NAME", help="The user, for basic authentication."
    ),
    secret_env: str | None = typer.Option(
        None,
        "--secret-env",
        metavar="VAR",
        help="The environment variable holding the password or token (kept in the store "
        "only: never logged, never shown).",
    ),
    interval: int = typer.Option(
        3600,
        "--interval",
        metavar="SECONDS",
        help="How often `garante serve` pulls it.",
        callback=bounded(MIN_INTERVAL, MAX_INTERVAL),
    ),
    grouping: str = typer.Option(
        "per-object",
        "--grouping",
        metavar="RULE",
        help="What objects outside a report or grouping make one item: per-object, or "
        "per-bundle (each page).",
    ),
    mapping: Path | None = typer.Option(
        None,
        "--mapping",
        metavar="FILE",
        help='Category and region rules, in order, as JSON: {"rules": [{"on": "stix-label", '
        '"pattern": "drug*", "category": "drug-trafficking"}]} (see docs/sources.md).',
    ),
    log_key: str | None = typer.Option(
        None,
        "--log-key",
        metavar="KEY|@FILE",
        help="A garante source: the upstream log's verifier key, got out of band; each "
        "delivery and checkpoint is verified with it before anything is taken.",
    ),
    signing_key: Path | None = typer.Option(
        None,
        "--signing-key",
        metavar="FILE",
        help="A garante source: this agency's Ed25519 private key (PEM), with which the node "
        "acknowledges upstream by itself: each release it took, and each recall once it has "
        "withdrawn the item (kept in the store only: never logged, never shown).",
    ),
    signing_key_env: str | None = typer.Option(
        None,
        "--signing-key-env",
        metavar="VAR",
        help="The same key, from the environment variable VAR (its PEM text).",
    ),
) -> None:
    """Add a TAXII 2.1 collection, a MISP feed or a folder of bundles as a source of items."""
    if kind not in ("taxii", "garante") and not url.startswith(("http://", "https://")):
        url = str(Path(url).expanduser().resolve())
    source = service(ctx).add_source(
        source_id,
        kind=kind,
        url=url,
        collection=collection,
        category=category,
        region=region,
        tlp=tlp,
        auth=auth,
        username=username,
        secret=_secret(secret_env),
        originator=originator,
        interval=interval,
        grouping=grouping,
        mapping=_mapping(mapping),
        log_key=logkeys.key_text(log_key) if log_key is not None else None,
        signing_key=_signing_key(signing_key, signing_key_env),
    )
    output.result(
        ctx,
        source,
        f"Added {source.kind} source {source.id}: {source.url}"
        f"{f' collection {source.collection}' if source.collection else ''} "
        f"({_AUTH.get(source.auth, source.auth)}), items of {source.originator}, pulled every "
        f"{source.interval} s.",
    )


@app.command("list")
def list_sources(
    ctx: typer.Context,
    removed: bool = typer.Option(False, "--removed", help="Include removed sources."),
) -> None:
    """List sources with their health: state, last success, lag and last error."""
    output.listing(
        ctx,
        "Sources",
        service(ctx).sources(removed=removed),
        {
            "id": "id",
            "kind": output.Col("kind", drop=5),
            "state": _state,
            "items": "items",
            "last success": output.Col("last_success_at", drop=2),
            "lag": lambda s: _lag(s.lag_seconds),
            "every": output.Col(lambda s: f"{s.interval} s", drop=3),
            "last error": output.Col(lambda s: s.last_error, wrap=True, drop=1),
        },
        more="garante sources show ID",
    )


@app.command("show")
def show(
    ctx: typer.Context,
    source_id: str = typer.Argument(..., metavar="ID", help="The source's id."),
) -> None:
    """Show one source: its terms, position, health and what it gave (never its secret)."""
    source = service(ctx).source(source_id)
    shown = {"state": _state(source), "lag": _lag(source.lag_seconds)}
    output.record(ctx, source, {**shown, "upstream_checkpoint": _witnessed(source)})


def _witnessed(source: records.Source) -> str | None:
    """A Garante upstream's checkpoint as verified, and whether it took the cosignature."""
    verified = source.upstream_checkpoint
    if verified is None:
        return None
    given = (
        "cosignature accepted upstream"
        if verified.cosignature_accepted
        else f"cosignature not yet accepted upstream ({verified.cosignature_error})"
    )
    return f"size {verified.size}, root {verified.root_hash}; {given}"


@app.command("pull")
def pull(
    ctx: typer.Context,
    source_id: str = typer.Argument(..., metavar="ID", help="The source to pull now."),
) -> None:
    """Pull a source now: what its upstream added since the last pull becomes items."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    garante = service(ctx)
    quiet = settings(ctx).json
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=output.errors,
        disable=quiet,
        transient=True,
    ) as bar:
        task = bar.add_task(f"pulling {source_id}", total=None)

        def moved(now: records.Pulled) -> None:
            bar.update(
                task,
                description=f"pulling {source_id}: {now.pages} pages, {now.objects} objects, "
                f"{len(now.items)} new items",
            )

        change = garante.pull_source(source_id, progress=moved)
    pulled = change.value
    if output.as_json(ctx, {"pulled": pulled, "started": change.started}):
        return
    output.console.print(
        f"Pulled {pulled.source}: {pulled.pages} pages, {pulled.objects} objects; "
        f"{len(pulled.items)} new items ({len(pulled.held)} held for review), "
        f"{pulled.duplicates} already taken, {pulled.versions_seen} older versions recorded; "
        f"position {pulled.position or 'start'}.",
        markup=False,
    )
    _print_refused_and_started(change)


@app.command("ingest-misp")
def ingest_misp(
    ctx: typer.Context,
    source_id: str = typer.Argument(..., metavar="ID", help="The MISP feed source they come by."),
    events: str = typer.Argument(
        ..., metavar="FILE|-", help="MISP JSON: one event, a list, or an export ('-': stdin)."
    ),
) -> None:
    """Take MISP JSON events as items, through a MISP feed source: converted, marked and
    mapped as its pulls do, logged with where they came from; a malformed event takes none."""
    if events == "-":
        text = sys.stdin.buffer.read()
    else:
        try:
            text = Path(events).read_bytes()
        except OSError as exc:
            raise ValidationError(f"cannot read {events}: {exc.strerror}", field="events") from None
    change = service(ctx).ingest_misp(source_id, text)
    pulled = change.value
    if output.as_json(ctx, {"pulled": pulled, "started": change.started}):
        return
    output.console.print(
        f"Took {pulled.objects} MISP events through {pulled.source}: {len(pulled.items)} new "
        f"items ({len(pulled.held)} held for review), {pulled.duplicates} already taken, "
        f"{pulled.versions_seen} older versions recorded.",
        markup=False,
    )
    _print_refused_and_started(change)


def _changed(ctx: typer.Context, source: records.Source, message: str) -> None:
    output.result(ctx, source, message)


@app.command("pause")
def pause(
    ctx: typer.Context,
    source_id: str = typer.Argument(..., metavar="ID", help="The source to pause."),
    reason: str = typer.Option(..., "--reason", metavar="TEXT", help="Why it is paused."),
) -> None:
    """Pause a source: it is not pulled until resumed."""
    _changed(ctx, service(ctx).pause_source(source_id, reason=reason), f"Paused {source_id}.")


@app.command("resume")
def resume(
    ctx: typer.Context,
    source_id: str = typer.Argument(..., metavar="ID", help="The source to resume."),
    reason: str = typer.Option(..., "--reason", metavar="TEXT", help="Why it is resumed."),
) -> None:
    """Resume a paused source: it is pulled on its schedule again, from where it stopped."""
    _changed(ctx, service(ctx).resume_source(source_id, reason=reason), f"Resumed {source_id}.")


@app.command("remove")
def remove(
    ctx: typer.Context,
    source_id: str = typer.Argument(..., metavar="ID", help="The source to remove."),
    reason: str = typer.Option(..., "--reason", metavar="TEXT", help="Why it is removed."),
) -> None:
    """Remove a source for good: never pulled again, its credentials forgotten; its items and
    where they came from stay."""
    _changed(
        ctx,
        service(ctx).remove_source(source_id, reason=reason),
        f"Removed {source_id}; its items stay.",
    )


def _print_refused_and_started(change: Change[records.Pulled]) -> None:
    """What a pull or an ingest did not take, and the requests standing agreements started."""
    for why in change.value.rejected:
        output.console.print(f"  not taken: {why}", markup=False)
    for item in change.value.revised:
        output.console.print(f"  new version of {item}", markup=False)
    for item in change.value.revoked:
        output.console.print(f"  revoked upstream: {item}", markup=False)
    if change.value.recalled:
        recalled = ", ".join(str(n) for n in change.value.recalled)
        output.console.print(f"  releases recalled: {recalled}", markup=False)
    if change.started:
        output.console.print(f"Requests started ({len(change.started)}):")
        for decided in change.started:
            output.decision_line(decided)
