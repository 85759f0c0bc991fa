"""Options several commands share, declared once as a group."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from garante.cli import context, output

if TYPE_CHECKING:
    from garante.canonical import Json


@dataclass(frozen=True, kw_only=True)
class Signing:
    """How a signed statement is given: signed here, signed elsewhere, or only printed."""

    key: Path | None = context.KEY_OPTION
    signature_b64: str | None = context.SIGNATURE_OPTION
    print_statement: bool = context.STATEMENT_OPTION

    def printed(self, statement: Mapping[str, Json]) -> bool:
        """With --print-statement, print the canonical statement (nothing is stored)."""
        if self.print_statement:
            from garante.signatures import canonical

            output.plain(canonical(statement).decode())
        return self.print_statement

    def signature(self, statement: Mapping[str, Json]) -> bytes | None:
        return context.signature(statement, self.key, self.signature_b64)


def option_groups(command: Callable[..., None]) -> Callable[..., None]:
    """Let a command take a group of options as one value, so commands share their declaration.

    A keyword-only parameter whose type is a dataclass of Typer options (``Signing``) is
    offered to Typer as those options, in its place, and the command is handed one instance of
    the dataclass.
    """
    declared = inspect.signature(command, eval_str=True)
    groups: dict[str, type[Any]] = {}
    parameters: list[inspect.Parameter] = []
    for parameter in declared.parameters.values():
        group = parameter.annotation
        if not (isinstance(group, type) and dataclasses.is_dataclass(group)):
            parameters.append(parameter)
            continue
        groups[parameter.name] = group
        hints = typing.get_type_hints(group)
        parameters += [
            inspect.Parameter(
                option.name,
                parameter.kind,
                default=option.default,
                annotation=hints[option.name],
            )
            for option in dataclasses.fields(group)
        ]

    @functools.wraps(command)
    def run(**values: Any) -> None:
        for name, group in groups.items():
            options = {f.name: values.pop(f.name) for f in dataclasses.fields(group)}
            values[name] = group(**options)
        command(**values)

    # Typer reads the options from the signature and its annotations.
    run.__signature__ = declared.replace(parameters=parameters)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in parameters}
    return run


# -- a statement's id and period --------------------------------------------------------------
# An undertaking and an order are both signed with an id and a period the draft fixes; their
# commands name them with the same options, worded for what each one is.

_ISO_EXAMPLE = "ISO 8601, e.g. 2025-11-14T09:00:00Z."


def id_option(what: str) -> Any:
    """``--id`` of a new ``what`` ("order"), made up when not given."""
    return typer.Option(
        None, "--id", metavar="ID", help=f"The {what}'s id (default: one is made up)."
    )


VALID_FROM_OPTION: Any = typer.Option(
    None,
    "--valid-from",
    metavar="TIME",
    help=f"In force from then (default: now). {_ISO_EXAMPLE}",
)


def valid_until_option(ends: str) -> Any:
    """``--valid-until``, open-ended by default: in force until ``ends`` ("lifted")."""
    return typer.Option(
        None,
        "--valid-until",
        metavar="TIME",
        help=f"In force until then (default: until {ends}). {_ISO_EXAMPLE}",
    )
