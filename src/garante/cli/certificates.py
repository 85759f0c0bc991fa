"""``garante agencies certificate``: partners' client certificates, by SHA-256 fingerprint."""

from __future__ import annotations

from pathlib import Path

import typer

from garante.cli import output
from garante.cli.context import service
from garante.textfile import read_text

app = typer.Typer(
    help="Client certificates that authenticate a partner behind a trusted proxy (nginx).",
    no_args_is_help=True,
)

_CERT_HELP = (
    "The certificate as @FILE (PEM), or its SHA-256 fingerprint "
    "(`openssl x509 -noout -fingerprint -sha256`)."
)


def read_certificate(value: str, *, field: str = "certificate") -> str:
    """A SHA-256 fingerprint, given as such or computed from a PEM file (@FILE)."""
    from garante.certificates import read_fingerprint

    if value.startswith("@"):
        value = read_text(Path(value[1:]), field=field, what="certificate")
    return read_fingerprint(value)


@app.command("add")
def add(
    ctx: typer.Context,
    agency_id: str = typer.Argument(..., metavar="AGENCY", help="The partner agency's id."),
    certificate: str = typer.Argument(..., metavar="@FILE|SHA256", help=_CERT_HELP),
    label: str = typer.Option("", "--label", metavar="TEXT", help="What the certificate is for."),
) -> None:
    """Register a partner's client certificate: it then authenticates as the partner."""
    change = service(ctx).add_certificate(agency_id, read_certificate(certificate), label=label)
    output.result(
        ctx, change.value, f"Certificate {change.value.fingerprint} registered for {agency_id}."
    )


@app.command("rotate")
def rotate(
    ctx: typer.Context,
    agency_id: str = typer.Argument(..., metavar="AGENCY", help="The partner agency's id."),
    old: str = typer.Argument(..., metavar="OLD", help="The certificate in use. " + _CERT_HELP),
    new: str = typer.Argument(..., metavar="NEW", help="Its replacement. " + _CERT_HELP),
    label: str = typer.Option("", "--label", metavar="TEXT", help="What the new one is for."),
) -> None:
    """Replace a partner's certificate with a new one, both changes in one transaction."""
    change = service(ctx).rotate_certificate(
        agency_id,
        old=read_certificate(old, field="old"),
        new=read_certificate(new, field="new"),
        label=label,
    )
    output.result(
        ctx, change.value, f"Certificate {change.value.fingerprint} now stands for {agency_id}."
    )


@app.command("remove")
def remove(
    ctx: typer.Context,
    agency_id: str = typer.Argument(..., metavar="AGENCY", help="The partner agency's id."),
    certificate: str = typer.Argument(..., metavar="@FILE|SHA256", help=_CERT_HELP),
) -> None:
    """Withdraw a certificate: it authenticates no more, and is never registered again."""
    change = service(ctx).remove_certificate(agency_id, read_certificate(certificate))
    output.result(ctx, change.value, f"Certificate {change.value.fingerprint} removed.")


@app.command("list")
def list_certificates(
    ctx: typer.Context,
    agency_id: str = typer.Argument(..., metavar="AGENCY", help="The agency's id."),
) -> None:
    """An agency's certificates, removed ones too."""
    output.listing(
        ctx,
        f"Certificates of {agency_id}",
        service(ctx).certificates(agency_id),
        {
            "fingerprint": "fingerprint",
            "label": output.Col("label", wrap=True),
            "added": "created_at",
            "removed": output.Col(lambda row: row.removed_at or "-"),
        },
    )
