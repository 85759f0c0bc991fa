"""``garante trace FILE`` and ``garante releases recall``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from garante.cli import output
from garante.cli.context import bounded, service
from garante.domain.errors import NotFound, ValidationError
from garante.domain.numbers import INT64_MAX, INT64_MIN


class TraceNotFound(NotFound):
    code = "trace.not_found"


def trace(
    ctx: typer.Context,
    file: Path = typer.Argument(
        ..., help="A leaked STIX document: object, bundle or envelope.", metavar="FILE"
    ),
) -> None:
    """Name the release a leaked STIX copy came from, by its trace token."""
    from garante.stix.markings import find_trace_tokens

    try:
        document = json.loads(file.read_text())
    except (OSError, ValueError) as exc:
        raise ValidationError(f"cannot read {file} as JSON: {exc}", field="file") from None
    tokens = find_trace_tokens(document)
    if not tokens:
        raise TraceNotFound(
            f"{file} carries no Garante trace token",
            hint="the copy was stripped of its extensions, or never came from Garante",
        )
    found = service(ctx).trace(tokens)
    if not output.as_json(ctx, found):
        for release in found:
            output.console.print(
                f"trace {release.trace_token}: request {release.request}, item "
                f"{release.item} released to {release.partner} for {release.purpose} "
                f"under undertaking {release.undertaking or '-'} at {release.released_at}; "
                f"delivered {release.delivered_at or 'not yet'}",
                markup=False,
            )
            if release.source is not None:
                output.console.print(
                    f"  item {release.item} came from source {release.source} "
                    f"(upstream {release.upstream_id})",
                    markup=False,
                )
            if release.released_under is not None:
                from garante.cli.items import released_under

                output.console.print(
                    f"  released to this node under {released_under(release.released_under)}",
                    markup=False,
                )
    unknown = sorted(set(tokens) - {r.trace_token for r in found})
    if unknown:
        raise TraceNotFound(
            f"trace token(s) {', '.join(unknown)} match no release in this store",
            hint="check you are looking at the store that delivered the copy",
        )


def recall(
    ctx: typer.Context,
    request_id: int = typer.Argument(
        ...,
        metavar="REQUEST",
        help="The release request to recall.",
        callback=bounded(INT64_MIN, INT64_MAX),
    ),
    reason: str = typer.Option(..., "--reason", metavar="TEXT", help="Why it is recalled."),
    ack_within: str | None = typer.Option(
        None,
        "--ack-within",
        metavar="DURATION",
        help="How long the partner has to acknowledge it (30m, 48h, 7d); default: the "
        "agreement's that started the release, if any.",
    ),
) -> None:
    """Recall a release: if delivered, the partner's feed carries revoked versions."""
    recalled = service(ctx).recall(request_id, reason=reason, ack_within=ack_within)
    how = "revoked versions sent" if recalled.status == "recalled" else "never delivered"
    due = f" To be acknowledged by {recalled.ack_by}." if recalled.ack_by else ""
    output.result(
        ctx, recalled, f"Recalled release {request_id} to {recalled.partner}: {how}.{due}"
    )
