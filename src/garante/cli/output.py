"""Everything the CLI prints: Rich tables for people, JSON for scripts, errors in one shape."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from garante.cli.context import settings
from garante.domain.errors import GaranteError

console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)

_OUTCOME_STYLE = {"released": "green", "held": "yellow", "denied": "red"}


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")


def plain(text: str) -> None:
    """Bytes-exact output (a canonical statement to sign): no markup, no wrapping."""
    sys.stdout.write(text + "\n")


def as_json(ctx: typer.Context, value: Any) -> bool:
    """With ``--json``, print ``value`` for scripts and say so: people's output is then skipped."""
    if settings(ctx).json:
        emit_json(value)
        return True
    return False


def result(
    ctx: typer.Context, value: Any, message: str, *, moved: list[dict[str, Any]] | None = None
) -> None:
    """What a command did: ``value`` as JSON (with ``moved`` beside it when the command can
    move the held queue), or for people the message and the requests decided again."""
    if as_json(ctx, value if moved is None else {**value, "moved": moved}):
        return
    if message:
        console.print(message)
    if moved is not None:
        decided_again(moved)


def record(ctx: typer.Context, value: dict[str, Any], *, width: int) -> None:
    """One record: JSON, or a field a line, names right-aligned to ``width``."""
    if as_json(ctx, value):
        return
    for name, field_value in value.items():
        console.print(f"{name:>{width}}: {cell(field_value)}", markup=False)


# A column shows a row's key, or what a function makes of the row.
Column = str | Callable[[Mapping[str, Any]], Any]


def listing(
    ctx: typer.Context, title: str, rows: Sequence[Mapping[str, Any]], columns: Mapping[str, Column]
) -> None:
    """Rows as JSON, or as a table for people."""
    if not as_json(ctx, rows):
        table(title, rows, columns)


def table(title: str, rows: Iterable[Mapping[str, Any]], columns: Mapping[str, Column]) -> None:
    """Rows as a table, one column a heading and what it shows of each row."""
    grid = Table(title=title, title_justify="left", show_lines=False)
    for heading in columns:
        grid.add_column(heading, overflow="fold")
    count = 0
    for row in rows:
        grid.add_row(*(cell(_value(row, column)) for column in columns.values()))
        count += 1
    if count == 0:
        console.print(f"{title}: none")
        return
    console.print(grid)


def _value(row: Mapping[str, Any], column: Column) -> Any:
    return row[column] if isinstance(column, str) else column(row)


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(v) for v in value) or "-"
    return str(value)


def outcome(value: str) -> str:
    style = _OUTCOME_STYLE.get(value, "white")
    return f"[{style}]{value}[/{style}]"


def decision_line(decided: dict[str, Any]) -> None:
    """One decision as a person reads it: who, what, outcome, and the sentence why."""
    previous = decided.get("previous")
    moved = f"{previous} → " if previous and previous != decided["outcome"] else ""
    console.print(
        f"  request {decided['request']}: {decided['item']} → {decided['recipient']} "
        f"for {decided['purpose']}: {moved}{outcome(decided['outcome'])}"
    )
    console.print(f"    {decided['explanation']}", style="dim", markup=False)


def decided_again(decisions: list[dict[str, Any]]) -> None:
    """The held requests a write decided again, one decision each."""
    if not decisions:
        return
    console.print(f"Held queue decided again ({len(decisions)}):")
    for decided in decisions:
        decision_line(decided)


def error(exc: GaranteError, *, as_json: bool) -> None:
    if as_json:
        sys.stderr.write(json.dumps({"error": exc.to_dict()}, ensure_ascii=False) + "\n")
        return
    errors.print(f"[red]error[/red] {escape(f'[{exc.code}]')}: {escape(exc.message)}")
    if exc.field:
        errors.print(f"  field: {exc.field}", markup=False)
    if exc.hint:
        errors.print(f"  hint: {exc.hint}", markup=False)
