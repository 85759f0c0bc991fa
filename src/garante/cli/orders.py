"""``garante orders``: issue, amend and lift orders; each moves the held queue at once."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer

from garante.cli import output
from garante.cli.context import period, service, settings, split, when
from garante.cli.options import (
    VALID_FROM_OPTION,
    Signing,
    id_option,
    option_groups,
    valid_until_option,
)
from garante.domain.errors import ValidationError, scope_hinted
from garante.domain.order import Requirement, Scope

if TYPE_CHECKING:
    from datetime import datetime

    from garante import records
    from garante.domain.events import Json
    from garante.service.app import Change, Garante
    from garante.service.results import Draft, Reach

app = typer.Typer(help="Orders: deny, hold, require or exempt sharing.", no_args_is_help=True)


ANSWERS = (
    "The authority that signs: the order's issuer, or an authority configured as superior to "
    "it (garante authorities set-superior)."
)
_AGENCIES = typer.Option(
    None, "--agencies", help="Scope: agency ids (comma list).", metavar="ID[,ID...]"
)
_COUNTRIES = typer.Option(
    None, "--countries", help="Scope: ISO country codes.", metavar="CODE[,CODE...]"
)
_CATEGORIES = typer.Option(
    None, "--categories", help="Scope: item categories.", metavar="CATEGORY[,CATEGORY...]"
)
_REGIONS = typer.Option(
    None, "--regions", help="Scope: item regions.", metavar="REGION[,REGION...]"
)
_REQ_PROHIBITS = typer.Option(
    None,
    "--require-prohibits",
    help="require: purposes the undertaking must prohibit.",
    metavar="PURPOSE[,PURPOSE...]",
)
_REQ_PROTECTIONS = typer.Option(
    None,
    "--require-protections",
    help="require: protections the undertaking must give.",
    metavar="PROTECTION[,PROTECTION...]",
)
_EXEMPTS = typer.Option(
    None, "--exempts", help="exempt: orders this one carves out of.", metavar="ID[,ID...]"
)
_WHILE = typer.Option(
    None, "--while", help="In force only while this condition is active.", metavar="CONDITION"
)
_ALL = typer.Option(
    False,
    "--all",
    help="The order applies to every partner and item: required for an order with no scope "
    "options (on amend: clears every dimension).",
)


@dataclass(frozen=True, kw_only=True)
class Terms:
    """The terms an order is issued, amended or simulated with, as options."""

    agencies: list[str] | None = _AGENCIES
    countries: list[str] | None = _COUNTRIES
    categories: list[str] | None = _CATEGORIES
    regions: list[str] | None = _REGIONS
    require_prohibits: list[str] | None = _REQ_PROHIBITS
    require_protections: list[str] | None = _REQ_PROTECTIONS
    exempts: list[str] | None = _EXEMPTS
    while_condition: str | None = _WHILE
    everything: bool = _ALL

    def scope(self) -> Scope:
        return Scope(
            agencies=frozenset(split(self.agencies)),
            countries=frozenset(split(self.countries)),
            categories=frozenset(split(self.categories)),
            regions=frozenset(split(self.regions)),
        )

    def scope_changes(self) -> dict[str, frozenset[str]]:
        """The scope dimensions these options name, and only those."""
        given = {
            "agencies": self.agencies,
            "countries": self.countries,
            "categories": self.categories,
            "regions": self.regions,
        }
        return {name: frozenset(split(values)) for name, values in given.items() if values}

    def requires(self) -> Requirement:
        return Requirement(
            prohibits=frozenset(split(self.require_prohibits)),
            protections=frozenset(split(self.require_protections)),
        )


def _explicit() -> AbstractContextManager[None]:
    """The service's refusal of an unsaid empty scope, with the hint in this CLI's options."""
    return scope_hinted(
        both="give the scope options or --all, not both",
        unsaid="give --agencies/--countries/--categories/--regions, or --all to hold everything",
    )


def _previewed(
    ctx: typer.Context, draft: Draft, statement: dict[str, Json], signing: Signing
) -> bool:
    """Whom the draft reaches, said before it is signed; with --print-statement, on standard
    error, so that standard output is the statement's bytes alone. True if only printed."""
    if signing.print_statement:
        if not settings(ctx).json:
            output.errors.print(draft.reach.describe(), markup=False)
        return signing.printed(statement)
    return False


def _report(
    ctx: typer.Context,
    verb: str,
    change: Change[records.Order],
    *,
    before: Scope | None = None,
    reach: Reach | None = None,
) -> None:
    order = change.value
    after = Scope.from_dict(order.scope)
    was = f" (scope was {before.describe()})" if before is not None and before != after else ""
    value: dict[str, object] = {"order": order}
    if reach is not None:
        value["reach"] = reach.to_dict()
    value["withheld"], value["available"] = change.withheld, change.available
    output.result(
        ctx,
        value,
        (f"{reach.describe()}\n" if reach is not None else "")
        + f"{verb} order {order.id} v{order.version}: {order.effect} "
        f"for {after.describe()}{was}"
        + (f" while {order.while_condition}" if order.while_condition else "")
        + _enforced("Releases now withheld from partners' feeds", change.withheld)
        + _enforced("Releases made available again", change.available),
        moved=change.moved,
    )


def _enforced(title: str, releases: tuple[records.Enforced, ...]) -> str:
    """Undelivered releases the write enforced again, a line for people; none, nothing."""
    if not releases:
        return ""
    named = ", ".join(f"{r.request} ({r.recipient}, {r.purpose})" for r in releases)
    return f"\n{title}: {named}"


def _describe(scope: dict[str, list[str]]) -> str:
    return Scope.from_dict(scope).describe()


@app.command("issue")
@option_groups
def issue(
    ctx: typer.Context,
    authority: str = typer.Option(
        ..., "--authority", metavar="ID", help="The authority issuing the order (it signs it)."
    ),
    effect: str = typer.Option(
        ..., "--effect", help="deny, hold, require or exempt.", metavar="EFFECT"
    ),
    reason: str = typer.Option(
        ..., "--reason", help="The instruction, in its own words.", metavar="TEXT"
    ),
    order_id: str | None = id_option("order"),
    valid_from: str | None = VALID_FROM_OPTION,
    valid_until: str | None = valid_until_option("lifted"),
    *,
    terms: Terms,
    signing: Signing,
) -> None:
    """Issue an order; held requests in its scope are decided again in the same transaction.

    An order without scope options applies to every partner and item: say so with --all.
    Whom the order reaches is printed before it is issued (or signed elsewhere).
    """
    garante = service(ctx)
    with _explicit():
        draft = garante.draft_order(
            authority_id=authority,
            effect=effect,
            scope=terms.scope(),
            everything=terms.everything,
            order_id=order_id,
            requires=terms.requires(),
            exempts=split(terms.exempts),
            valid_from=when(valid_from, field="valid_from"),
            valid_until=when(valid_until, field="valid_until"),
            while_condition=terms.while_condition,
            reason=reason,
        )
    order = draft.order
    if _previewed(ctx, draft, order.statement(), signing):
        return
    change = garante.issue_order(order, signature=signing.signature(order.statement()))
    _report(ctx, "Issued", change, reach=draft.reach)


@dataclass(frozen=True, kw_only=True)
class Clearing:
    """Which scope dimensions an amendment empties ("any"), said outright."""

    clear_agencies: bool = typer.Option(
        False, "--clear-agencies", help="Empty the agencies: the order reaches any agency."
    )
    clear_countries: bool = typer.Option(
        False, "--clear-countries", help="Empty the countries: any country."
    )
    clear_categories: bool = typer.Option(
        False, "--clear-categories", help="Empty the categories: any category."
    )
    clear_regions: bool = typer.Option(
        False, "--clear-regions", help="Empty the regions: any region."
    )

    def dimensions(self) -> dict[str, frozenset[str]]:
        cleared = {
            "agencies": self.clear_agencies,
            "countries": self.clear_countries,
            "categories": self.clear_categories,
            "regions": self.clear_regions,
        }
        return {name: frozenset() for name, clear in cleared.items() if clear}


_NO_CLEARING = Clearing(
    clear_agencies=False, clear_countries=False, clear_categories=False, clear_regions=False
)


def _amended_scope(current: Scope, terms: Terms, clearing: Clearing) -> Scope | None:
    """The order's scope with only the dimensions given changed, or None if none is."""
    given, cleared = terms.scope_changes(), clearing.dimensions()
    both = sorted(set(given) & set(cleared))
    if both:
        raise ValidationError(
            f"--{both[0]} and --clear-{both[0]} contradict each other",
            field=f"scope.{both[0]}",
            hint=f"give --{both[0]} to replace them, or --clear-{both[0]} to empty them",
        )
    if not given and not cleared:
        return None
    return current.changed({**given, **cleared})


def _draft_amendment(
    garante: Garante,
    order_id: str,
    *,
    authority: str,
    effect: str | None,
    terms: Terms,
    clearing: Clearing = _NO_CLEARING,
    valid_until: datetime | None = None,
    clear_condition: bool = False,
    reason: str | None = None,
) -> tuple[Scope, Draft]:
    """The order's scope as it stands, and the amendment the options draw from it (shared
    by ``amend`` and ``simulate --amend``, so both read the options alike)."""
    before = Scope.from_dict(garante.order(order_id).scope)
    requires_given = bool(terms.require_prohibits or terms.require_protections)
    with _explicit():
        draft = garante.draft_amendment(
            order_id,
            authority_id=authority,
            effect=effect,
            scope=_amended_scope(before, terms, clearing),
            everything=terms.everything,
            requires=terms.requires() if requires_given else None,
            exempts=split(terms.exempts) if terms.exempts else None,
            valid_until=valid_until,
            while_condition=terms.while_condition,
            clear_condition=clear_condition,
            reason=reason,
        )
    return before, draft


@app.command("amend")
@option_groups
def amend(
    ctx: typer.Context,
    order_id: str = typer.Argument(..., metavar="ID", help="The order to amend."),
    authority: str = typer.Option(..., "--authority", help=ANSWERS, metavar="ID"),
    reason: str | None = typer.Option(
        None,
        "--reason",
        metavar="TEXT",
        help="The new instruction, in its own words (default: kept).",
    ),
    effect: str | None = typer.Option(
        None,
        "--effect",
        metavar="EFFECT",
        help="The new effect: deny, hold, require or exempt (default: kept).",
    ),
    clear_condition: bool = typer.Option(False, "--no-condition", help="Drop the condition."),
    valid_until: str | None = typer.Option(
        None,
        "--valid-until",
        metavar="TIME",
        help="The new end of its period. ISO 8601, e.g. 2025-11-14T09:00:00Z.",
    ),
    *,
    terms: Terms,
    clearing: Clearing,
    signing: Signing,
) -> None:
    """Amend an order: only the terms given change; the order gets a new signed version.

    A scope option replaces that dimension alone: --agencies fbi on an order scoped to
    money-laundering keeps the category. --clear-agencies (and the like) empties one; an
    amendment that leaves no dimension applies to every partner and item, and says so with
    --all (which alone clears them all). The scope before and after, and whom the amended
    order reaches, are printed.
    """
    garante = service(ctx)
    before, draft = _draft_amendment(
        garante,
        order_id,
        authority=authority,
        effect=effect,
        terms=terms,
        clearing=clearing,
        valid_until=when(valid_until, field="valid_until"),
        clear_condition=clear_condition,
        reason=reason,
    )
    amended = draft.order
    statement = {**amended.statement(), "amended_by": authority}
    if _previewed(ctx, draft, statement, signing):
        return
    change = garante.amend_order(
        amended, authority_id=authority, signature=signing.signature(statement)
    )
    _report(ctx, "Amended", change, before=before, reach=draft.reach)


@app.command("lift")
@option_groups
def lift(
    ctx: typer.Context,
    order_id: str = typer.Argument(..., metavar="ID", help="The order to lift."),
    authority: str = typer.Option(..., "--authority", help=ANSWERS, metavar="ID"),
    reason: str = typer.Option(
        ..., "--reason", metavar="TEXT", help="Why it is lifted, in the authority's words."
    ),
    *,
    signing: Signing,
) -> None:
    """Lift an order; everything it held is decided again at once."""
    garante = service(ctx)
    statement = garante.lift_statement(order_id, authority_id=authority, reason=reason)
    if signing.printed(statement):
        return
    change = garante.lift_order(
        order_id, authority_id=authority, reason=reason, signature=signing.signature(statement)
    )
    _report(ctx, "Lifted", change)


@app.command("list")
def list_orders(
    ctx: typer.Context,
    active_only: bool = typer.Option(False, "--active", help="Hide lifted orders."),
) -> None:
    """List orders in the order they were issued."""
    output.listing(
        ctx,
        "Orders",
        service(ctx).orders(include_lifted=not active_only),
        {
            "id": "id",
            "v": "version",
            "authority": "authority",
            "effect": "effect",
            "scope": output.Col(_scope, wrap=True, floor=16),
            "requires / exempts": output.Col(_terms, wrap=True, drop=4),
            "while": output.Col("while_condition", drop=3),
            "from": output.Col("valid_from", drop=1),
            "lifted": output.Col("lifted_at", drop=2),
        },
        more="garante orders show ID",
    )


def _scope(order: records.Order) -> str:
    return _describe(order.scope)


def _terms(order: records.Order) -> str:
    if order.effect == "require":
        return Requirement.from_dict(order.requires).describe()
    return ", ".join(order.exempts) or "-"


@app.command("show")
def show(
    ctx: typer.Context, order_id: str = typer.Argument(..., metavar="ID", help="The order's id.")
) -> None:
    """Show one order: its scope, terms, period, reason and versions, in full."""
    order = service(ctx).order(order_id)
    output.record(
        ctx,
        order,
        {
            "scope": _describe(order.scope),
            "requires": (
                Requirement.from_dict(order.requires).describe()
                if order.effect == "require"
                else None
            ),
        },
    )


@app.command("refresh")
def refresh(ctx: typer.Context) -> None:
    """Apply the starts and ends of order periods the clock has passed since the last run.

    `garante serve` does this every second; run it yourself when no server is running.
    """
    change = service(ctx).apply_order_periods()
    lines = [
        f"Order {b.order} {'came into force' if b.began else 'period ended'} at {b.at}."
        for b in change.value
    ]
    output.result(
        ctx,
        {"boundaries": change.value},
        "\n".join(lines) or "No order period began or ended since the last refresh.",
        moved=change.moved,
    )


@app.command("simulate")
@option_groups
def simulate(
    ctx: typer.Context,
    start: str = typer.Option(
        ..., "--from", help="Replay the requests made from...", metavar="TIME"
    ),
    end: str = typer.Option(..., "--to", help="...until (exclusive).", metavar="TIME"),
    lift_order: str | None = typer.Option(
        None, "--lift", help="Simulate lifting this order.", metavar="ID"
    ),
    amend_order: str | None = typer.Option(
        None,
        "--amend",
        help="Simulate amending this order with the terms given (only those change).",
        metavar="ID",
    ),
    authority: str | None = typer.Option(
        None,
        "--authority",
        metavar="ID",
        help="The draft's (or amending) authority (not with --lift).",
    ),
    effect: str | None = typer.Option(
        None, "--effect", help="deny, hold, require or exempt.", metavar="EFFECT"
    ),
    reason: str = typer.Option(
        "simulation",
        "--reason",
        metavar="TEXT",
        help="The draft's reason (only recorded in the report).",
    ),
    *,
    terms: Terms,
) -> None:
    """What a draft order (or amending or lifting an order) would change, replayed on stored
    requests.

    Nothing is stored: the draft is decided against the current state beside the state
    without it, for every request of the period in its scope. With --amend, the order as it
    stands beside its amended version; the scope before and after is printed.
    """
    garante = service(ctx)
    begin, finish = period(start, end)
    if lift_order is not None and amend_order is not None:
        raise ValidationError("give --lift or --amend, not both", field="amend")
    scopes = ""
    if lift_order is not None:
        report = garante.simulate_lift(lift_order, start=begin, end=finish)
    elif amend_order is not None:
        if authority is None:
            raise ValidationError("an amendment needs --authority", field="authority")
        before, draft = _draft_amendment(
            garante, amend_order, authority=authority, effect=effect, terms=terms
        )
        amended = draft.order
        report = garante.simulate_amendment(amend_order, amended, start=begin, end=finish)
        scopes = f"Scope before: {before.describe()}\nScope after: {amended.scope.describe()}\n"
    else:
        if authority is None or effect is None:
            raise ValidationError(
                "a draft needs --authority and --effect (or use --lift ORDER)", field="effect"
            )
        with _explicit():
            draft = garante.draft_order(
                authority_id=authority,
                effect=effect,
                scope=terms.scope(),
                everything=terms.everything,
                requires=terms.requires(),
                exempts=split(terms.exempts),
                while_condition=terms.while_condition,
                reason=reason,
            )
        report = garante.simulate_order(draft.order, start=begin, end=finish)
    if output.as_json(ctx, report):
        return
    output.console.print(
        scopes + f"{report.requests} requests in the period, {report.in_scope} in scope, "
        f"{report.changed} would be decided differently."
    )
    for title, heading, changes in (
        ("Changes per partner", "partner", report.by_partner),
        ("Changes per category", "category", report.by_category),
    ):
        output.table(
            title,
            ({heading: name, "changes": _tally(c)} for name, c in changes.items()),
            {heading: heading, "changes": output.Col("changes", wrap=True, floor=16)},
        )


def _tally(changes: Mapping[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in changes.items())
