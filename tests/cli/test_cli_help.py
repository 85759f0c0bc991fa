"""Every option and argument of every command says what it is, in words a person reads.

The test walks the command tree Typer builds from the app, so a command added tomorrow is held
to it the day it is added: each parameter has help text, and each one that takes a value shows
a metavar (``--agencies ID[,ID...]``, ``--valid-from TIME``), never a Python type
(``<list[str]>``, ``<str>``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.main import get_command

from garante.cli.main import app

PYTHON_TYPES = ("list[", "<", ">", "str", "int", "float", "path", "Path")


# Typer's vendored click classes are private: the tree is walked by what it offers.
Command = Any
Parameter = Any


def _parameters() -> Iterator[tuple[str, Command, Parameter]]:
    def walk(command: Command, path: str) -> Iterator[tuple[str, Command, Parameter]]:
        for parameter in command.params:
            yield path, command, parameter
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, f"{path} {name}")

    yield from walk(get_command(app), "garante")


PARAMETERS = list(_parameters())


def test_the_walk_reaches_every_command() -> None:
    paths = {path for path, _command, _parameter in PARAMETERS}
    assert {"garante", "garante orders issue", "garante audit verify", "garante demo"} <= paths
    assert len(PARAMETERS) > 150


@pytest.mark.parametrize(
    ("path", "command", "parameter"),
    PARAMETERS,
    ids=[f"{path} {parameter.name}" for path, _command, parameter in PARAMETERS],
)
def test_every_parameter_has_help_and_a_readable_metavar(
    path: str, command: Command, parameter: Parameter
) -> None:
    assert getattr(parameter, "help", None), f"{path}: {parameter.name} has no help text"
    ctx = typer.Context(command, info_name=path.split()[-1])
    record = parameter.get_help_record(ctx)
    assert record is not None
    if parameter.param_type_name == "argument":
        assert parameter.metavar is not None, f"{path}: argument {parameter.name} has no metavar"
        shown = record[0]
    else:
        shown = record[0].split(" ", 1)[1] if " " in record[0] else ""
    for python in PYTHON_TYPES:
        assert python not in shown, f"{path}: {parameter.name} shows {shown!r}"
