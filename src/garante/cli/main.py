"""``garante``: the root command, the one place CLI errors are caught, and small commands."""

from __future__ import annotations

import os
import sys
from typing import Any

import typer
from typer.core import TyperArgument, TyperGroup

from garante import __version__
from garante.cli import (
    acknowledgements,
    agreements,
    audit,
    certificates,
    conditions,
    consents,
    db,
    delivery,
    demo,
    items,
    orders,
    outcomes,
    output,
    registry,
    releases,
    serve,
    sources,
    tokens,
    trace,
    undertakings,
    witness,
    witnesses,
)
from garante.cli.context import Settings, service, settings
from garante.domain.errors import GaranteError, ValidationError


class _ArgumentByName(TyperArgument):
    """An argument shown in help by its metavar alone (``ID``), as options are (``--to ID``).

    Typer writes the Python type after an argument's name (``ID <str>``), which says nothing
    to someone typing an order's id.
    """

    def display_type_rich(self, ctx: Any) -> str | None:
        return None if self.metavar else super().display_type_rich(ctx)


def _arguments_by_name(command: Any) -> None:
    """Every argument of ``command`` and of its subcommands, shown by its metavar."""
    for param in getattr(command, "params", []):
        if type(param) is TyperArgument:
            param.__class__ = _ArgumentByName
    for sub in getattr(command, "commands", {}).values():
        _arguments_by_name(sub)


class _Root(TyperGroup):
    """Catches Garante's typed errors once, for every subcommand: message, hint, exit code."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _arguments_by_name(self)

    def main(self, args: Any = None, *rest: Any, **options: Any) -> Any:
        arguments = list(args) if args is not None else sys.argv[1:]
        try:
            _refuse_undecodable(arguments)
        except GaranteError as exc:
            output.error(exc, as_json="--json" in arguments)
            sys.exit(exc.exit_code)
        return super().main(_global_first(arguments), *rest, **options)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        _take_verbatim(self.get_params(ctx))
        parsed: list[str] = super().parse_args(ctx, args)
        return parsed

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None:
            _take_verbatim([p for p in command.get_params(ctx) if p.name == "help"])
        return name, command, rest

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click Context
        try:
            return super().invoke(ctx)
        except GaranteError as exc:
            self._refuse(ctx, exc)
        except OSError as exc:
            if exc.filename is None:  # not about a path a person named: a fault, not input
                raise
            self._refuse(ctx, unusable_path(exc))

    @staticmethod
    def _refuse(ctx: Any, exc: GaranteError) -> None:
        current = ctx.obj if isinstance(ctx.obj, Settings) else Settings()
        output.error(exc, as_json=current.json)
        if os.environ.get("GARANTE_DEBUG"):
            raise exc
        ctx.exit(exc.exit_code)


def unusable_path(exc: OSError) -> ValidationError:
    """A file or directory the command was told to read or write, which the system refused
    (a directory where a file goes, a file where a directory goes, a folder not there, no
    permission): the path and the system's reason, as bad input. Commands that read named
    files check them themselves (``garante.textfile``); this catches the paths they write."""
    where = f"{exc.filename}" + (f" -> {exc.filename2}" if exc.filename2 else "")
    return ValidationError(
        f"cannot use {where}: {exc.strerror or exc}",
        field="path",
        hint="check the path given: a file's folder must exist, and a file and a directory "
        "cannot stand in for each other",
    )


class _Verbatim:
    """Coerces a string option to itself."""

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        return value


def _take_verbatim(params: list[Any]) -> None:
    """These options (the root's strings and flags, --help) are used as given, uncoerced.

    Typer coerces an option's value through a Pydantic adapter, built on first use; for the
    root's --db, --as, its flags and --help that meant importing Pydantic before any command
    ran, a third of `garante version`'s start-up, to turn a string into the same string.
    Typer keeps the coercion in ``_runtime_param``; should it stop, this only costs time.
    """
    for param in params:
        if hasattr(param, "_runtime_param"):
            param._runtime_param = _Verbatim()


_GLOBAL_FLAGS = frozenset({"--json"})
_GLOBAL_OPTIONS = frozenset({"--db", "--as"})  # each takes a value


def _global_first(arguments: list[Any]) -> list[Any]:
    """Garante's own options moved before the command, wherever they were typed.

    ``garante orders list --json`` is what people type; click only reads the root's options
    before the subcommand. No subcommand has an option of the same name, so moving them
    changes nothing else; nothing after ``--`` is touched.
    """
    front: list[Any] = []
    rest: list[Any] = []
    position = 0
    while position < len(arguments):
        argument = arguments[position]
        if argument == "--":
            rest += arguments[position:]
            break
        name = argument.split("=", 1)[0] if isinstance(argument, str) else argument
        if argument in _GLOBAL_FLAGS or (name in _GLOBAL_OPTIONS and "=" in argument):
            front.append(argument)
        elif argument in _GLOBAL_OPTIONS and position + 1 < len(arguments):
            front += arguments[position : position + 2]
            position += 1
        else:
            rest.append(argument)
        position += 1
    return front + rest


def _refuse_undecodable(arguments: list[Any]) -> None:
    """An argument with bytes that are not UTF-8 reaches Python as lone surrogates, which no
    store can hold: refuse it here, naming it, before anything is read or written."""
    for argument in arguments:
        if isinstance(argument, str):
            try:
                argument.encode("utf-8")
            except UnicodeEncodeError:
                shown = argument.encode("utf-8", "backslashreplace").decode("ascii", "replace")
                raise ValidationError(
                    f"the argument '{shown}' is not valid UTF-8",
                    hint="check the terminal's or the script's character encoding",
                ) from None


app = typer.Typer(
    cls=_Root,
    help="Garante: conditional intelligence sharing with a verifiable audit log.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    db: str | None = typer.Option(
        None,
        "--db",
        help="Database URL or SQLite file path (default: $GARANTE_DB or garante.db). It must "
        "hold a store already, except for init, demo and serve --init, which create one.",
        metavar="PATH|URL",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
    actor: str = typer.Option(
        os.environ.get("GARANTE_ACTOR", "cli"),
        "--as",
        help="Who is acting, for the audit log.",
        metavar="NAME",
    ),
) -> None:
    ctx.obj = Settings(db=db, json=as_json, actor=_actor(actor))


ACTOR_LENGTH = 128
"""The most characters an actor's name has: what the store keeps of who requested a release."""


def _actor(name: str) -> str:
    """Who acts, as the log will name them: some text, on one line, that the store can keep."""
    if not name.strip() or len(name) > ACTOR_LENGTH or not name.isprintable():
        raise ValidationError(
            f"--as (or GARANTE_ACTOR) names who acts in the audit log: {name!r} is "
            + ("empty" if not name.strip() else "not one printable line of at most 128 characters"),
            field="as",
            hint="give a name or an id such as --as j.perez, or leave --as out (it is 'cli')",
        )
    return name


@app.command()
def version() -> None:
    """Print Garante's version."""
    output.console.print(__version__)


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the store (or bring its schema up to date).

    The one command, with `garante demo` and `garante serve --init`, that creates a store:
    every other command refuses a --db where there is none (exit 9, store.missing).
    """
    from garante.store.database import database_url

    garante = service(ctx, create=True)
    url = database_url(settings(ctx).db)
    if not output.as_json(ctx, {"db": url, "ledger_size": garante.ledger_size()}):
        output.console.print(f"Store ready at {url}.")


app.add_typer(registry.keys, name="keys")
app.add_typer(registry.agencies, name="agencies")
app.add_typer(registry.authorities, name="authorities")
app.add_typer(items.app, name="items")
app.add_typer(undertakings.app, name="undertakings")
app.add_typer(agreements.app, name="agreements")
app.add_typer(orders.app, name="orders")
app.add_typer(conditions.app, name="conditions")
app.add_typer(conditions.events, name="events")
app.add_typer(releases.app, name="releases")
app.add_typer(audit.app, name="audit")
app.add_typer(witness.app, name="witness")
app.add_typer(witnesses.app, name="witnesses")
app.add_typer(tokens.app, name="tokens")
app.add_typer(db.app, name="db")
app.add_typer(outcomes.app, name="outcomes")
app.add_typer(outcomes.reports, name="reports")
app.add_typer(sources.app, name="sources")
# -- client certificates of partners
registry.agencies.add_typer(certificates.app, name="certificate")
# -- partners writing back
app.add_typer(acknowledgements.app, name="acknowledgements")
app.add_typer(consents.app, name="consents")
app.command("request")(releases.request)
app.command("held")(releases.held)
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.command("trace")(trace.trace)
app.command("verify-delivery")(delivery.verify_delivery)  # receipts: a partner's proof
releases.app.command("recall")(trace.recall)


def main() -> None:
    app()
