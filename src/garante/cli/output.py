"""Everything the CLI prints: Rich tables for people, JSON for scripts, errors in one shape."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape

from garante.cli.context import settings
from garante.domain.errors import GaranteError

if TYPE_CHECKING:
    from garante.records import Decided

console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)

_OUTCOME_STYLE = {"released": "green", "held": "yellow", "denied": "red"}


def emit_json(value: Any) -> None:
    """``value`` as JSON: records (dataclasses), enums and tuples as the API would say them."""
    from pydantic_core import to_jsonable_python  # only when JSON is asked for: a fast start

    text = json.dumps(to_jsonable_python(value), indent=2, ensure_ascii=False, default=str)
    sys.stdout.write(text + "\n")


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
    ctx: typer.Context, value: Any, message: str, *, moved: Sequence[Decided] | None = None
) -> None:
    """What a command did: ``value`` as JSON (with ``moved`` beside it when the command can
    move the held queue), or for people the message and the requests decided again."""
    if as_json(ctx, value if moved is None else {**fields_of(value), "moved": moved}):
        return
    if message:
        console.print(message)
    if moved is not None:
        decided_again(moved)


NONE = "—"


def fields_of(value: object) -> Mapping[str, Any]:
    """A record's fields by name (a dataclass's, shallow), or a mapping as it is."""
    if isinstance(value, Mapping):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    raise TypeError(f"not a record: {type(value).__name__}")


def record(
    ctx: typer.Context,
    value: object,
    shown: Mapping[str, Any] | None = None,
) -> None:
    """One record: ``value`` as JSON, or for people a field a line, names right-aligned.

    ``shown`` replaces fields by what a person reads (a scope as "countries US", not its
    dictionary), in their place; a ``Relabelled`` one also under another name. Lists are
    joined with commas, times stay in ISO 8601 form, an absent value is "—"; long text wraps
    under itself, between words, at the terminal's width.
    """
    if as_json(ctx, value):
        return
    import textwrap

    fields: dict[str, Any] = {}
    for name, field_value in {**fields_of(value), **(shown or {})}.items():
        if isinstance(field_value, Relabelled):
            fields[field_value.label] = field_value.text
        else:
            fields[name.replace("_", " ")] = field_value
    width = max(len(name) for name in fields)
    room = max(console.width - width - 2, 20)
    for name, field_value in fields.items():
        lines = textwrap.wrap(
            human(field_value), room, break_long_words=False, break_on_hyphens=False
        ) or [NONE]
        console.print(f"{name:>{width}}: {lines[0]}", markup=False)
        for line in lines[1:]:
            console.print(f"{'':>{width}}  {line}", markup=False)


@dataclass(frozen=True)
class Relabelled:
    """A field of a record shown under another name than its JSON key."""

    label: str
    text: str


def human(value: Any) -> str:
    """A value as a person reads it: no Python reprs, "—" for none."""
    if value is None or value == "" or value == [] or value == {}:
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | set | frozenset):
        return (
            ", ".join(sorted(human(v) for v in value))
            if isinstance(value, set | frozenset)
            else ", ".join(human(v) for v in value)
        )
    if isinstance(value, Mapping):
        return "; ".join(f"{k.replace('_', ' ')} {human(v)}" for k, v in value.items() if v)
    return visible(str(value))


_CONTROLS = {code: f"\\x{code:02x}" for code in [*range(0x20), *range(0x7F, 0xA0)] if code != 0x0A}
"""Every C0 and C1 control character but the newline, and DEL, as the escape that names it."""


def visible(text: str) -> str:
    """``text`` with its control characters written out (ESC as ``\\x1b``): what a store
    holds was written by others (an item's title, an upstream's STIX), and printed as it is
    an escape sequence would move the cursor, recolour or retitle the terminal, or hide the
    text around it. JSON output keeps every character: it is for programs."""
    return text.translate(_CONTROLS)


@dataclass(frozen=True)
class Col:
    """A column that says how it behaves on a narrow terminal.

    ``wrap``: prose or a list, broken at spaces and never inside a word (a plain column is an
    identifier, a date or a short value, and is never broken at all). ``drop``: the column may
    be left out when the table does not fit the terminal, 1 first, then 2, ...; 0 never.
    """

    value: str | Callable[[Any], Any]
    wrap: bool = False
    drop: int = 0
    floor: int = 20  # a wrapped column is never narrower than this, unless its text is


# A column shows a row's field (a record's attribute, a mapping's key), or what a function
# makes of the row; a plain one is never broken.
Column = str | Callable[[Any], Any] | Col


def listing(
    ctx: typer.Context,
    title: str,
    rows: Sequence[object],
    columns: Mapping[str, Column],
    *,
    more: str | None = None,
) -> None:
    """Rows as JSON, or as a table for people; ``more`` says where hidden columns are shown."""
    if not as_json(ctx, rows):
        table(title, rows, columns, more=more)


def table(
    title: str,
    rows: Iterable[object],
    columns: Mapping[str, Column],
    *,
    more: str | None = None,
) -> None:
    """Rows as a table that fits the terminal: identifiers and short values whole on one line,
    text wrapped between words, and low-value columns left out (and named) when it is narrow."""
    from rich.table import Table

    specs = {heading: c if isinstance(c, Col) else Col(c) for heading, c in columns.items()}
    cells = [[cell(_value(row, spec.value)) for spec in specs.values()] for row in rows]
    plain = [[_plain(text) for text in row_cells] for row_cells in cells]
    if not cells:
        console.print(f"{title}: none")
        return
    shown, widths = _layout(list(specs.items()), plain, console.width)
    grid = Table(title=title, title_justify="left", show_lines=False)
    for index in shown:
        heading, spec = list(specs.items())[index]
        grid.add_column(
            heading,
            width=widths.get(index),
            no_wrap=not spec.wrap and bool(widths),
            overflow="fold",
        )
    for row_cells in cells:
        grid.add_row(*(row_cells[index] for index in shown))
    console.print(grid)
    hidden = [heading for index, heading in enumerate(specs) if index not in shown]
    if hidden:
        for line in (
            f"Not shown at {console.width} columns: {', '.join(hidden)}.",
            f"See them with {more} or --json." if more else "See them with --json.",
        ):
            console.print(line, style="dim", markup=False, soft_wrap=False)


def _layout(
    specs: list[tuple[str, Col]], cells: list[list[str]], width: int
) -> tuple[list[int], dict[int, int]]:
    """The columns shown and their widths, so the table is at most ``width`` wide.

    Each column has a least width: its longest value if it is never broken, its longest word
    (or its ``floor``) if it wraps. Droppable columns go in their order (``drop`` 1 first)
    until the least widths fit; the room left widens the wrapped columns towards their longest
    line. If even then it cannot fit, widths are left to Rich.
    """
    from rich.cells import cell_len

    least: list[int] = []
    most: list[int] = []
    for index, (heading, spec) in enumerate(specs):
        values = [row[index] for row in cells]
        longest = max(cell_len(text) for text in [heading, *values])
        if spec.wrap:
            words = [w for text in [heading, *values] for w in text.split()] or [""]
            least.append(min(longest, max(spec.floor, *(cell_len(w) for w in words))))
        else:
            least.append(longest)
        most.append(longest)
    shown = list(range(len(specs)))

    def room(columns: list[int]) -> int:  # what is left for the cells: borders and padding off
        return width - (3 * len(columns) + 1)

    droppable = sorted(
        (i for i, (_h, spec) in enumerate(specs) if spec.drop), key=lambda i: specs[i][1].drop
    )
    while sum(least[i] for i in shown) > room(shown) and droppable:
        shown.remove(droppable.pop(0))
    spare = room(shown) - sum(least[i] for i in shown)
    if spare < 0:
        return shown, {}
    widths = {i: least[i] for i in shown}
    growing = [i for i in shown if widths[i] < most[i]]
    while spare > 0 and growing:  # wrapped columns widen in turn, up to their longest line
        for i in list(growing):
            if spare == 0:
                break
            widths[i] += 1
            spare -= 1
            if widths[i] == most[i]:
                growing.remove(i)
    return shown, widths


def _plain(text: str) -> str:
    """A cell as the terminal shows it: without its Rich markup (an outcome's colour)."""
    from rich.errors import MarkupError
    from rich.text import Text

    try:
        return Text.from_markup(text).plain
    except MarkupError:
        return text


def day(value: Any) -> str | None:
    """An ISO 8601 time as its date alone (a listing's validity dates), None kept."""
    return None if value is None else str(value)[:10]


def _value(row: object, column: str | Callable[[Any], Any]) -> Any:
    if not isinstance(column, str):
        return column(row)
    return row[column] if isinstance(row, Mapping) else getattr(row, column)


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(visible(str(v)) for v in value) or "-"
    return visible(str(value))


def outcome(value: str) -> str:
    style = _OUTCOME_STYLE.get(value, "white")
    return f"[{style}]{value}[/{style}]"


def decision_line(decided: Decided) -> None:
    """One decision as a person reads it: who, what, outcome, and the sentence why."""
    previous = decided.previous
    moved = f"{previous} → " if previous and previous != decided.outcome else ""
    console.print(
        f"  request {decided.request}: {decided.item} → {decided.recipient} "
        f"for {decided.purpose}: {moved}{outcome(decided.outcome)}"
    )
    console.print(f"    {decided.explanation}", style="dim", markup=False)


def decided_again(decisions: Sequence[Decided]) -> None:
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
    message = escape(visible(exc.message))
    errors.print(f"[red]error[/red] {escape(f'[{exc.code}]')}: {message}")
    if exc.field:
        errors.print(f"  field: {visible(exc.field)}", markup=False)
    if exc.hint:
        errors.print(f"  hint: {visible(exc.hint)}", markup=False)
