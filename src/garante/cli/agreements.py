"""``garante agreements``: partners' standing agreements, made and changed by a liaison."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer

from garante.cli import output
from garante.cli.context import service, split, when
from garante.cli.options import (
    VALID_FROM_OPTION,
    Signing,
    id_option,
    option_groups,
    valid_until_option,
)
from garante.domain.errors import ValidationError

if TYPE_CHECKING:
    from garante import records
    from garante.service.results import Change

app = typer.Typer(
    help="Standing agreements: a partner's standing request for the items its scope covers.",
    no_args_is_help=True,
)

_ISO = "ISO 8601, e.g. 2025-11-14T09:00:00Z."


_CATEGORIES = typer.Option(
    None,
    "--categories",
    help="Item categories it covers (none = any).",
    metavar="CATEGORY[,CATEGORY...]",
)
_REGIONS = typer.Option(
    None, "--regions", help="Regions it covers (none = any).", metavar="REGION[,REGION...]"
)
_ORIGINATORS = typer.Option(
    None,
    "--originators",
    help="Originating agencies it covers (none = any).",
    metavar="ID[,ID...]",
)


@dataclass(frozen=True, kw_only=True)
class ScopeOptions:
    """Which items an agreement covers beside its TLP ceiling; each left out covers any."""

    categories: list[str] | None = _CATEGORIES
    regions: list[str] | None = _REGIONS
    originators: list[str] | None = _ORIGINATORS


@dataclass(frozen=True, kw_only=True)
class Clearing:
    """Which of an agreement's terms an amendment empties, said outright."""

    clear_categories: bool = typer.Option(
        False, "--clear-categories", help="Empty the categories: it covers any category."
    )
    clear_regions: bool = typer.Option(
        False, "--clear-regions", help="Empty the regions: it covers any region."
    )
    clear_originators: bool = typer.Option(
        False, "--clear-originators", help="Empty the originators: it covers any originator."
    )
    clear_valid_until: bool = typer.Option(
        False, "--clear-valid-until", help="Remove the end date: it runs until ended."
    )


def _amended(name: str, given: list[str] | None, clear: bool) -> list[str] | None:
    """The new value of a list term: replaced, emptied, or (None) left as it is."""
    if given and clear:
        raise ValidationError(
            f"--{name} and --clear-{name} contradict each other",
            field=name,
            hint=f"give --{name} to replace them, or --clear-{name} to empty them",
        )
    if clear:
        return []
    return split(given) if given else None


def _report(ctx: typer.Context, change: Change[records.Agreement], message: str) -> None:
    """The agreement as the write left it and the requests it started: JSON, or for people
    the message and a decision a line."""
    agreement = change.value
    if output.as_json(ctx, {"agreement": agreement, "started": change.started}):
        return
    output.console.print(message, markup=False)
    _started(change.started)


def _started(started: Sequence[records.Decided]) -> None:
    if not started:
        return
    output.console.print(f"Requests started ({len(started)}):")
    for decided in started:
        output.decision_line(decided)


def _countersigned(agreement: records.Agreement) -> str:
    return "countersigned" if agreement.countersigned else "not countersigned"


@app.command("make")
@option_groups
def make(
    ctx: typer.Context,
    partner: str = typer.Argument(..., metavar="PARTNER", help="The partner agency."),
    purposes: list[str] = typer.Option(
        ...,
        "--purposes",
        help="Purposes it requests items for, e.g. seizure,arrest.",
        metavar="PURPOSE[,PURPOSE...]",
    ),
    tlp_ceiling: str = typer.Option(
        ...,
        "--tlp-ceiling",
        help="The most restricted marking it takes: clear, green, amber, amber+strict or red.",
        metavar="TLP",
    ),
    agreement_id: str | None = id_option("agreement"),
    valid_from: str | None = VALID_FROM_OPTION,
    valid_until: str | None = valid_until_option("ended"),
    recall_ack_within: str | None = typer.Option(
        None,
        "--recall-ack-within",
        metavar="DURATION",
        help="How long the partner has to acknowledge a recall of a release it started "
        "(30m, 48h, 7d); past it unacknowledged, the partner is held.",
    ),
    onward_to: list[str] | None = typer.Option(
        None,
        "--onward-to",
        metavar="RECIPIENT[,RECIPIENT...]",
        help="Onward recipients the originator consents to in advance (agency ids or ISO 3166 "
        "country codes): the partner's consent request to share with one of them for an "
        "--onward-purposes purpose is granted at once, without a liaison.",
    ),
    onward_purposes: list[str] | None = typer.Option(
        None,
        "--onward-purposes",
        metavar="PURPOSE[,PURPOSE...]",
        help="The purposes --onward-to is consented for.",
    ),
    backfill_from: str | None = typer.Option(
        None,
        "--backfill-from",
        metavar="TIME",
        help="Also start requests for the items added since then that it covers, in the same "
        f"transaction. {_ISO}",
    ),
    preview: bool = typer.Option(
        False,
        "--preview",
        help="With --backfill-from: print how many items it covers and how many requests would "
        "be released, held or denied now; store nothing.",
    ),
    *,
    scope: ScopeOptions,
    signing: Signing,
) -> None:
    """Make a standing agreement: from then on each item added that it covers starts a
    release request per purpose, each decided like a request made by hand.

    --key (the partner's) or --signature countersigns it; neither leaves it not countersigned.
    """
    garante = service(ctx)
    since = when(backfill_from, field="backfill_from")
    if preview and since is None:
        raise ValidationError(
            "--preview shows what --backfill-from would start",
            field="backfill_from",
            hint="give --backfill-from TIME with --preview",
        )
    terms = garante.draft_agreement(
        partner,
        purposes=split(purposes),
        tlp_ceiling=tlp_ceiling,
        categories=split(scope.categories),
        regions=split(scope.regions),
        originators=split(scope.originators),
        agreement_id=agreement_id,
        valid_from=when(valid_from, field="valid_from"),
        valid_until=when(valid_until, field="valid_until"),
        recall_ack_within=recall_ack_within,
        onward_to=split(onward_to) if onward_to else None,
        onward_purposes=split(onward_purposes) if onward_purposes else None,
    )
    if preview and since is not None:
        _preview(ctx, garante.simulate_agreement(terms, backfill_from=since))
        return
    if signing.printed(terms.statement()):
        return
    change = garante.make_agreement(
        terms, signature=signing.signature(terms.statement()), backfill_from=since
    )
    made = change.value
    _report(
        ctx,
        change,
        f"Made agreement {made.id} for {made.partner} ({made.status}, "
        f"{_countersigned(made)}): {', '.join(made.purposes)}, up to TLP:"
        f"{made.tlp_ceiling.upper()}, {_covers(made)}.",
    )


def _covers(agreement: records.Agreement) -> str:
    parts = [
        f"{name} {', '.join(values)}"
        for name, values in (
            ("categories", agreement.categories),
            ("regions", agreement.regions),
            ("originators", agreement.originators),
        )
        if values
    ]
    return "; ".join(parts) if parts else "any category, region and originator"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _preview(ctx: typer.Context, preview: records.AgreementPreview) -> None:
    if output.as_json(ctx, preview):
        return
    output.console.print(
        f"Preview of {preview.agreement} for {preview.partner}, items added since "
        f"{preview.since}: {_count(preview.items, 'item')} covered, "
        f"{_count(preview.requests, 'request')} to start "
        f"({preview.already_requested} already requested); {preview.released} would be "
        f"released, {preview.held} held, {preview.denied} denied. Nothing was stored.",
        markup=False,
    )


@app.command("amend")
@option_groups
def amend(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., metavar="ID", help="The agreement to amend."),
    reason: str = typer.Option(..., "--reason", metavar="TEXT", help="Why it is amended."),
    purposes: list[str] | None = typer.Option(
        None,
        "--purposes",
        help="Replace the purposes.",
        metavar="PURPOSE[,PURPOSE...]",
    ),
    tlp_ceiling: str | None = typer.Option(
        None, "--tlp-ceiling", help="Replace the TLP ceiling.", metavar="TLP"
    ),
    valid_from: str | None = typer.Option(
        None, "--valid-from", metavar="TIME", help=f"In force from then instead. {_ISO}"
    ),
    valid_until: str | None = typer.Option(
        None, "--valid-until", metavar="TIME", help=f"In force until then instead. {_ISO}"
    ),
    recall_ack_within: str | None = typer.Option(
        None,
        "--recall-ack-within",
        metavar="DURATION",
        help="How long the partner has to acknowledge a recall of a release it started "
        "(30m, 48h, 7d); past it unacknowledged, the partner is held.",
    ),
    onward_to: list[str] | None = typer.Option(
        None,
        "--onward-to",
        metavar="RECIPIENT[,RECIPIENT...]",
        help="Onward recipients the originator consents to in advance (agency ids or ISO 3166 "
        "country codes): the partner's consent request to share with one of them for an "
        "--onward-purposes purpose is granted at once, without a liaison.",
    ),
    onward_purposes: list[str] | None = typer.Option(
        None,
        "--onward-purposes",
        metavar="PURPOSE[,PURPOSE...]",
        help="The purposes --onward-to is consented for.",
    ),
    *,
    scope: ScopeOptions,
    clearing: Clearing,
    signing: Signing,
) -> None:
    """Put the agreement's next version in force: only the terms given change. Requests it
    already started stand; items added from now on are matched against the new terms."""
    if valid_until and clearing.clear_valid_until:
        raise ValidationError(
            "--valid-until and --clear-valid-until contradict each other", field="valid_until"
        )
    garante = service(ctx)
    terms = garante.draft_agreement_amendment(
        agreement_id,
        purposes=split(purposes) if purposes else None,
        tlp_ceiling=tlp_ceiling,
        categories=_amended("categories", scope.categories, clearing.clear_categories),
        regions=_amended("regions", scope.regions, clearing.clear_regions),
        originators=_amended("originators", scope.originators, clearing.clear_originators),
        valid_from=when(valid_from, field="valid_from"),
        valid_until=when(valid_until, field="valid_until"),
        clear_valid_until=clearing.clear_valid_until,
        recall_ack_within=recall_ack_within,
        onward_to=split(onward_to) if onward_to else None,
        onward_purposes=split(onward_purposes) if onward_purposes else None,
    )
    if signing.printed(terms.statement()):
        return
    change = garante.amend_agreement(
        terms, reason=reason, signature=signing.signature(terms.statement())
    )
    amended = change.value
    _report(
        ctx,
        change,
        f"Amended agreement {amended.id} to version {amended.version} "
        f"({_countersigned(amended)}): {', '.join(amended.purposes)}, up to TLP:"
        f"{amended.tlp_ceiling.upper()}, {_covers(amended)}.",
    )


@app.command("suspend")
def suspend(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., metavar="ID", help="The agreement to suspend."),
    reason: str = typer.Option(..., "--reason", metavar="TEXT", help="Why it is suspended."),
) -> None:
    """Suspend an agreement: it starts nothing until it is resumed."""
    change = service(ctx).suspend_agreement(agreement_id, reason=reason)
    _report(ctx, change, f"Suspended agreement {agreement_id}: it starts nothing until resumed.")


@app.command("resume")
def resume(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., metavar="ID", help="The agreement to resume."),
    reason: str = typer.Option(..., "--reason", metavar="TEXT", help="Why it is resumed."),
) -> None:
    """Resume a suspended agreement, for items added from now on."""
    change = service(ctx).resume_agreement(agreement_id, reason=reason)
    _report(ctx, change, f"Resumed agreement {agreement_id} ({change.value.status}).")


@app.command("end")
def end(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., metavar="ID", help="The agreement to end."),
    reason: str = typer.Option(..., "--reason", metavar="TEXT", help="Why it is ended."),
) -> None:
    """End an agreement for good: it starts nothing more; the requests it started stand."""
    change = service(ctx).end_agreement(agreement_id, reason=reason)
    _report(ctx, change, f"Ended agreement {agreement_id}; the requests it started stand.")


@app.command("list")
def list_agreements(
    ctx: typer.Context,
    partner: str | None = typer.Option(
        None, "--partner", metavar="ID", help="Only this partner's agreements."
    ),
) -> None:
    """List standing agreements, with where each stands now."""
    output.listing(
        ctx,
        "Agreements",
        service(ctx).agreements(partner),
        {
            "id": "id",
            "partner": "partner",
            "purposes": output.Col("purposes", wrap=True, floor=10),
            "TLP up to": "tlp_ceiling",
            "categories": output.Col(lambda r: r.categories or "any", wrap=True, drop=4),
            "regions": output.Col(lambda r: r.regions or "any", wrap=True, drop=3),
            "status": "status",
            "version": output.Col("version", drop=5),
            "from": output.Col(lambda r: output.day(r.valid_from), drop=1),
            "until": output.Col(lambda r: output.day(r.valid_until), drop=2),
            "countersigned": output.Col("countersigned", drop=6),
        },
        more="garante agreements show ID",
    )


@app.command("show")
def show(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., metavar="ID", help="The agreement's id."),
) -> None:
    """Show one agreement in full: its terms, version, countersignature and status."""
    agreement = service(ctx).agreement(agreement_id)
    output.record(
        ctx,
        agreement,
        {
            "categories": agreement.categories or "any",
            "regions": agreement.regions or "any",
            "originators": agreement.originators or "any",
            "valid_until": agreement.valid_until or "until ended",
            "recall_ack_within": agreement.recall_ack_within or "no deadline",
            "onward_to": agreement.onward_to or "none consented in advance",
            "onward_purposes": agreement.onward_purposes or "-",
        },
    )
