"""``garante outcomes`` and ``garante reports``."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import typer

from garante.cli import output
from garante.cli.context import (
    KEY_OPTION,
    SIGNATURE_OPTION,
    bounded,
    period,
    service,
    signature,
    when,
)
from garante.domain.errors import ValidationError
from garante.domain.numbers import INT64_MAX, INT64_MIN, MAX_COUNT
from garante.domain.outcome import OutcomeReport

app = typer.Typer(help="Outcomes: what partners did with what they received.", no_args_is_help=True)
reports = typer.Typer(help="Reports per partner and period.", no_args_is_help=True)


def _quantities(values: list[str] | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for value in values or []:
        name, _, amount = value.partition("=")
        try:
            out[name.strip()] = float(amount)
        except ValueError:
            raise ValidationError(
                f"'{value}' is not NAME=NUMBER", field="quantity", hint="e.g. cocaine_kg=1200"
            ) from None
    return out


@app.command("report")
def report(
    ctx: typer.Context,
    release: int = typer.Argument(
        ...,
        help="The release request the outcome follows from.",
        metavar="RELEASE",
        callback=bounded(INT64_MIN, INT64_MAX),
    ),
    agency: str = typer.Option(..., "--agency", help="The partner that acted.", metavar="ID"),
    kind: str = typer.Option(
        ...,
        "--kind",
        help="seizure, arrest, interdiction, no-action, lethal-force or other.",
        metavar="KIND",
    ),
    casualties: int = typer.Option(
        0,
        "--casualties",
        metavar="N",
        help="People killed or injured.",
        callback=bounded(0, MAX_COUNT),
    ),
    persons: int = typer.Option(
        0,
        "--persons",
        help="Persons arrested or detained.",
        metavar="N",
        callback=bounded(0, MAX_COUNT),
    ),
    quantity: list[str] | None = typer.Option(
        None, "--quantity", help="NAME=NUMBER, repeatable.", metavar="NAME=NUMBER"
    ),
    place: str = typer.Option("", "--place", metavar="TEXT", help="Where it happened."),
    note: str = typer.Option("", "--note", metavar="TEXT", help="A note on the outcome."),
    at: str | None = typer.Option(
        None, "--at", help="When it happened (default: now).", metavar="TIME"
    ),
    by_partner: bool = typer.Option(
        False, "--by-partner", help="The partner reports itself: signed with its key if it has one."
    ),
    key: Path | None = KEY_OPTION,
    signature_b64: str | None = SIGNATURE_OPTION,
) -> None:
    """Report an outcome; one that breaches the undertaking suspends the partner at once."""
    garante = service(ctx)
    outcome = OutcomeReport(
        request_id=release,
        agency_id=agency,
        kind=kind,
        occurred_at=when(at, field="at") or garante.clock.now(),
        casualties=casualties,
        persons=persons,
        quantities=_quantities(quantity),
        place=place,
        note=note,
    )
    signed = signature(outcome.statement(), key, signature_b64) if by_partner else None
    change = garante.report_outcome(outcome, signed=by_partner, signature=signed)
    if output.as_json(ctx, {"outcome": change.value, "moved": change.moved}):
        return
    value = change.value
    if value.breach:
        output.console.print(
            f"Outcome {value.id}: BREACH of {value.undertaking}: "
            + "; ".join(value.breach_reasons),
            markup=False,
        )
        output.console.print(f"{agency} is suspended by automatic order {value.order}.")
    else:
        output.console.print(f"Outcome {value.id} recorded: compliant with {value.undertaking}.")
    output.decided_again(change.moved)


@app.command("list")
def list_outcomes(
    ctx: typer.Context,
    agency: str | None = typer.Option(
        None, "--agency", metavar="ID", help="Only this partner's outcomes."
    ),
) -> None:
    """List reported outcomes."""
    output.listing(
        ctx,
        "Outcomes",
        service(ctx).outcomes(agency),
        {
            "id": "id",
            "release": "release",
            "agency": "agency",
            "kind": "kind",
            "casualties": "casualties",
            "undertaking": output.Col("undertaking", drop=1),
            "breach": "breach",
            "order": "order",
        },
    )


@reports.command("partners")
def partners(
    ctx: typer.Context,
    start: str = typer.Option(
        ..., "--from", help="Start of the period (inclusive).", metavar="TIME"
    ),
    end: str = typer.Option(..., "--to", help="End of the period (exclusive).", metavar="TIME"),
    csv_file: Path | None = typer.Option(
        None, "--csv", help="Also write CSV here ('-': stdout).", metavar="FILE|-"
    ),
) -> None:
    """Per partner: releases by decision, time held, outcomes by kind, breaches."""
    begin, finish = period(start, end)
    data = service(ctx).partner_report(start=begin, end=finish)
    if csv_file is not None:
        from garante.service.reports import as_csv_rows

        rows = as_csv_rows(data)
        if str(csv_file) == "-":
            csv.writer(sys.stdout).writerows(rows)
            return
        with csv_file.open("w", newline="") as handle:
            csv.writer(handle).writerows(rows)
    if output.as_json(ctx, data):
        return
    output.table(
        f"Partners, {data.period['from']} to {data.period['to']}",
        data.partners,
        {
            "partner": "partner",
            "released": "released",
            "held": "held",
            "denied": "denied",
            "waited": output.Col("held_then_released", drop=1),
            "mean h held": output.Col("mean_hours_held", wrap=True, floor=0),
            "outcomes": output.Col(
                lambda r: ", ".join(f"{k} {v}" for k, v in sorted(r.outcomes.items())) or "-",
                wrap=True,
                floor=12,
            ),
            "breaches": "breaches",
        },
    )
