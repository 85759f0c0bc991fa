"""Everything the CLI prints: Rich tables for people, JSON for scripts, errors in one shape."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from garante.domain.errors import GaranteError

console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)

_OUTCOME_STYLE = {"released": "green", "held": "yellow", "denied": "red"}


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")


def plain(text: str) -> None:
    """Bytes-exact output (a canonical statement to sign): no markup, no wrapping."""
    sys.stdout.write(text + "\n")


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    grid = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        grid.add_column(column, overflow="fold")
    count = 0
    for row in rows:
        grid.add_row(*(cell(value) for value in row))
        count += 1
    if count == 0:
        console.print(f"{title}: none")
        return
    console.print(grid)


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


def moved(decisions: list[dict[str, Any]]) -> None:
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
