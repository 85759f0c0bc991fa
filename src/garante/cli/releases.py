"""``garante request``, ``garante held`` and ``garante releases``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from garante.cli import output
from garante.cli.context import bounded, service
from garante.domain.errors import GaranteError, ValidationError
from garante.domain.numbers import INT64_MAX, INT64_MIN
from garante.domain.request import ReleaseTriple

if TYPE_CHECKING:
    from garante import records

app = typer.Typer(help="Release requests and their decisions.", no_args_is_help=True)


def request(
    ctx: typer.Context,
    item: str | None = typer.Argument(
        None, help="The item to release (or give --file).", metavar="ITEM"
    ),
    to: str | None = typer.Option(
        None, "--to", help="The recipient agency, or several: dea,fbi,nca.", metavar="ID[,ID...]"
    ),
    purpose: str | None = typer.Option(
        None, "--purpose", help="The declared purpose.", metavar="PURPOSE"
    ),
    file: str | None = typer.Option(
        None,
        "--file",
        help="A CSV file of releases with the header item,recipient,purpose ('-': stdin).",
        metavar="FILE|-",
    ),
) -> None:
    """Request the release of an item to one or more agencies for a purpose, or of every
    line of a CSV file, and print each decision.

    Several releases are decided one by one and stored together, or not at all: a line that
    names an unknown item, agency or purpose is reported with its number, and nothing is
    stored.
    """
    lines: list[int] = []
    if file is not None:
        lines, triples = _from_file(file)
    else:
        triples = _from_options(item, to, purpose)
    garante = service(ctx)
    if file is None and len(triples) == 1:
        [only] = triples
        decided = garante.request_release(
            only.item_id, recipient=only.recipient_id, purpose=only.purpose
        )
        if output.as_json(ctx, decided):
            return
        output.decision_line(decided)
        for hit in decided.rules:
            output.console.print(f"      [{hit.rule}] {hit.message}", markup=False)
        return
    try:
        decisions = garante.request_releases(triples)
    except GaranteError as exc:
        raise _by_line(exc, file, lines) from None
    if output.as_json(ctx, {"decisions": decisions}):
        return
    for decided in decisions:
        output.decision_line(decided)


def _by_line(exc: GaranteError, file: str | None, lines: list[int]) -> GaranteError:
    """A refusal of ``releases[N]`` said of the file's line that listed it."""
    import re

    found = re.match(r"releases\[(\d+)\]", exc.field or "")
    if file is None or found is None or int(found[1]) >= len(lines):
        return exc
    line = f"releases[{found[1]}] is line {lines[int(found[1])]} of {file}"
    exc.hint = f"{line}; {exc.hint}" if exc.hint else line
    return exc


def _from_options(item: str | None, to: str | None, purpose: str | None) -> list[ReleaseTriple]:
    missing = [
        name for name, value in (("ITEM", item), ("--to", to), ("--purpose", purpose)) if not value
    ]
    if missing:
        raise ValidationError(
            f"missing {', '.join(missing)}",
            field="item" if "ITEM" in missing else missing[0].lstrip("-"),
            hint="garante request ITEM --to ID[,ID...] --purpose PURPOSE, or --file FILE",
        )
    recipients = [name.strip() for name in (to or "").split(",")]
    if "" in recipients:
        raise ValidationError(
            f"--to '{to}' names an empty agency",
            field="to",
            hint="separate ids with commas: dea,fbi",
        )
    return [
        ReleaseTriple(item_id=item or "", recipient_id=recipient, purpose=purpose or "")
        for recipient in recipients
    ]


def _from_file(path: str) -> tuple[list[int], list[ReleaseTriple]]:
    """The releases a CSV file lists, and the line each stands on; a malformed line is
    refused with its line number."""
    import csv
    import io
    import sys
    from pathlib import Path

    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"cannot read {path}: {exc}", field="file") from None
    rows = csv.reader(io.StringIO(text))
    header = [cell.strip() for cell in next(rows, [])]
    if header != ["item", "recipient", "purpose"]:
        raise ValidationError(
            f"{path}: the first line is {','.join(header) or 'empty'}",
            field="file",
            hint="start the file with the header line item,recipient,purpose",
        )
    lines: list[int] = []
    triples: list[ReleaseTriple] = []
    for row in rows:
        line = rows.line_num
        cells = [cell.strip() for cell in row]
        if not cells:
            continue
        if len(cells) != 3 or "" in cells:
            raise ValidationError(
                f"{path} line {line}: expected item,recipient,purpose, got {','.join(row)!r}",
                field="file",
            )
        lines.append(line)
        triples.append(ReleaseTriple(item_id=cells[0], recipient_id=cells[1], purpose=cells[2]))
    if not triples:
        raise ValidationError(f"{path} lists no release", field="file")
    return lines, triples


def held(ctx: typer.Context) -> None:
    """The held queue: what waits, for whom, why, and for how long."""
    output.listing(
        ctx,
        "Held queue",
        service(ctx).held_queue(),
        {
            "request": "id",
            "item": "item",
            "to": "recipient",
            "purpose": "purpose",
            "held for": output.Col(_held_for, drop=1),
            "reason": output.Col("reason", wrap=True, floor=16),
        },
        more="garante releases show ID",
    )


def _held_for(row: records.Held) -> str:
    return _age(row.held_for_seconds)


def _age(seconds: int) -> str:
    days, rest = divmod(max(seconds, 0), 86400)
    hours = rest // 3600
    return f"{days}d {hours}h" if days else f"{hours}h {rest % 3600 // 60}m"


@app.command("list")
def list_requests(
    ctx: typer.Context,
    outcome: str | None = typer.Option(
        None, "--outcome", help="released, held or denied.", metavar="OUTCOME"
    ),
    to: str | None = typer.Option(None, "--to", help="Only this recipient.", metavar="ID"),
) -> None:
    """List release requests with the decision that stands for each."""
    output.listing(
        ctx,
        "Release requests",
        service(ctx).requests(outcome=outcome, recipient=to),
        {
            "id": "id",
            "item": "item",
            "recipient": "recipient",
            "purpose": "purpose",
            "requested": output.Col("requested_at", drop=2),
            "outcome": _outcome,
            "delivery": "delivery",
            "undertaking": output.Col("undertaking", drop=1),
        },
        more="garante releases show ID",
    )


def _outcome(row: records.Request) -> str:
    return output.outcome(row.outcome)


DELIVERY = {
    "available": "available, not yet fetched",
    "withheld": "withheld: an order now stops it",
    "delivered": "delivered",
    "recalled": "recalled after delivery (the feed carries revoked versions)",
    "withdrawn": "withdrawn before delivery (never received)",
}


@app.command("show")
def show(
    ctx: typer.Context,
    request_id: int = typer.Argument(
        ...,
        metavar="ID",
        help="The release request's number.",
        callback=bounded(INT64_MIN, INT64_MAX),
    ),
) -> None:
    """Every decision taken on one request, with the rules that spoke and what triggered it,
    and where its release stands in the partner's feed (delivered, recalled, ...)."""
    garante = service(ctx)
    rows = garante.decisions(request_id)
    if output.as_json(ctx, rows):
        return
    for row in rows:
        output.console.print(
            f"{row.decided_at} {output.outcome(row.outcome)} "
            f"(trigger: {row.trigger}, state version {row.state_version})"
        )
        output.console.print(f"  {row.explanation}", style="dim")
        for hit in row.rules:
            output.console.print(f"    [{hit.rule}] {hit.message}", markup=False)
    shown = garante.request(request_id)
    if shown.delivery is not None:
        what = DELIVERY[shown.delivery]
        output.console.print(f"In {shown.recipient}'s feed: {what}", markup=False)
