"""``garante demo``: replay the November 2025 scenario into a store, step by step."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import typer

from garante.cli import demonode, output
from garante.cli.context import bounded, settings
from garante.domain.errors import Conflict, ValidationError
from garante.domain.numbers import MAX_PORT
from garante.domain.timeutil import parse_time
from garante.scenarios import NOVEMBER_2025
from garante.store.sqlite_writer import LOCK_SUFFIX

if TYPE_CHECKING:
    from garante.scenarios.runner import StepResult
    from garante.service.app import Garante

DEMO_ACTOR = "demo"
"""Who acts in every entry the demo logs, its first among them: how a demo store is known."""


class NotADemoStore(Conflict):
    """``garante demo`` pointed at a store it did not make: it neither replays into it, nor
    serves it, nor (``--fresh``) deletes it."""

    code = "demo.not_a_demo_store"


def demo(
    ctx: typer.Context,
    fresh: bool = typer.Option(
        False,
        "--fresh",
        help="Delete the demo store, its log key and its signing keys, and replay a new "
        "history under a new log key. Without it, an existing demo store is served as it is. "
        "A store the demo did not make is never deleted (exit 4, demo.not_a_demo_store).",
    ),
    scenario: Path = typer.Option(
        NOVEMBER_2025, "--scenario", help="Scenario file.", metavar="FILE"
    ),
    no_serve: bool = typer.Option(False, "--no-serve", help="Exit after the replay."),
    live_clock: bool = typer.Option(
        False,
        "--live-clock",
        help="After the replay, let the clock run (the system clock) instead of staying at "
        "the scenario's end, so what you do next happens now; logged as a settings change.",
    ),
    port: int = typer.Option(
        8000,
        "--port",
        help="Port for the API (0 picks a free one).",
        metavar="PORT",
        callback=bounded(0, MAX_PORT),
    ),
    nodes: int = typer.Option(
        1,
        "--nodes",
        help="2: also make and serve the DEA's own Garante (garante-demo-dea.db, on the next "
        "port), a partner node that takes Colombia's releases to the DEA, verified against "
        "Colombia's log, and shares onward with the NCA.",
        metavar="N",
    ),
) -> None:
    """Replay the November 2025 scenario on a clock and show every decision.

    The store defaults to garante-demo.db; its clock stays pinned at the scenario's end, so
    commands run against it afterwards (garante --db garante-demo.db held) see that time;
    --live-clock lets it run from then on instead. Run
    again, it serves the store it made, as it is; --fresh starts a new history, which gets a
    new log key: a witness that cosigned the old one would otherwise see the log rewritten.
    --nodes 2 serves the DEA's partner node beside it (garante-demo-dea.db, on the next port).
    A --db holding a store whose log the demo did not begin is refused and left as it is, with
    or without --fresh: the demo replays into, serves and deletes only its own stores (and
    replays into one with nothing logged yet, deleting nothing there).
    """
    from garante.scenarios import runner
    from garante.service.app import Garante
    from garante.service.clock import FixedClock

    current = settings(ctx)
    db = current.db or "garante-demo.db"
    demonode.check_nodes(nodes, db)
    # Read and checked before anything is removed or created: a bad file changes nothing.
    replayed = runner.load(scenario)
    start = parse_time(replayed.setup_at)
    stores = [db, demonode.node_db(db)] if nodes == 2 else [db]
    kinds = {path: _demo_store(path) for path in stores}  # all refused before any is removed
    if nodes == 2 and port == 0:
        port = demonode.free_port()  # the node's source must name Colombia's address first
    if fresh:
        for path, kind in kinds.items():
            if kind != "empty":  # nothing logged: nothing to start over from, its key kept
                _remove(path)
    clock = FixedClock(start)
    garante = Garante.open(db, clock=clock, actor=DEMO_ACTOR, create=True)
    if garante.ledger_size() > 0:
        _existing(ctx, garante, db, no_serve=no_serve, port=port, nodes=nodes)
        return
    if not current.json:
        output.console.print(f"[bold]{replayed.title}[/bold]")
        output.console.print(f"Store: {db}. Clock replayed from {start:%d %B %Y}.\n")
    run = runner.replay(garante, clock, scenario, on_step=None if current.json else _print_step)
    if current.json:
        output.emit_json(run.to_dict())
    else:
        output.console.print("")
        output.table(
            "Held queue at the end of 13 November",
            garante.held_queue(),
            {
                "request": "id",
                "item": "item",
                "to": "recipient",
                "purpose": "purpose",
                "reason": output.Col("reason", wrap=True, floor=16),
            },
        )
        output.console.print(
            f"\n{garante.ledger_size()} audit entries. "
            f"Explore it: garante --db {db} orders list | held | releases list"
        )
        keys = _write_keys(garante, db)
        if keys is not None:
            directory, names = keys
            output.console.print(
                f"Signing keys of the demo's {', '.join(names)}: {directory}/NAME.key "
                f"(sign with --key {directory}/presidency.key; demo keys only: anyone can "
                "derive them).",
                markup=False,
            )
    if run.mismatches:
        for mismatch in run.mismatches:
            output.errors.print(f"[red]scenario mismatch[/red]: {mismatch}")
        raise typer.Exit(1)
    if live_clock:
        garante.pin_clock(None)
        if not current.json:
            output.console.print(
                "The clock now runs: what you do next happens at the present time, and the "
                "scenario's orders stay in force until someone lifts them.",
                markup=False,
            )
    node = _node(garante, db, port) if nodes == 2 else None
    if no_serve:
        garante.close()
        return
    _serve(garante, port, node)


StoreKind = Literal["none", "empty", "demo", "other"]


def _demo_store(db: str) -> StoreKind:
    """What is at ``db``, refused unless the demo may make, replay into or delete it: before
    anything is read into, served from or removed, since an operator's store named by a
    mistyped or reused --db is not the demo's to replay over or delete."""
    from garante.store.database import database_url, shown

    url = database_url(db)
    kind = _store_kind(url)
    if kind != "other":
        return kind
    where = shown(url)
    raise NotADemoStore(
        f"the store at {where} is not a demo store: `garante demo` replays into, serves and "
        "(--fresh) deletes only a store it made itself; nothing was changed",
        field="db",
        hint="give the demo a --db path of its own, or none for the default garante-demo.db; "
        f"serve the store at {where} with `garante --db {where} serve`",
    )


def _store_kind(url: str) -> StoreKind:
    """What is at ``url``: no store (no file, or a database with no table), a store with
    nothing logged yet (just created, or migrated), one the demo made, or anything else.

    A demo store is one whose first log entry the demo logged (its actor is ``demo``): every
    demo store ever made has it, the DEA's node's too, and keeps it whatever is done with the
    store afterwards. A store whose log begins otherwise is another's, and so is a file that is
    no database, or a database whose tables are not Garante's. Read without migrating or
    setting anything, so a store refused is left as it was.
    """
    from sqlalchemy import create_engine, inspect, text
    from sqlalchemy.exc import DatabaseError

    from garante.store.database import file_missing, reachable

    if file_missing(url):
        return "none"
    engine = create_engine(url)
    try:
        with reachable(engine), engine.connect() as connection:
            tables = inspect(connection).get_table_names()
            if not tables:
                return "none"
            if "ledger_entries" not in tables:
                return "other"
            first = connection.execute(
                text("SELECT entry FROM ledger_entries WHERE idx = 0")
            ).scalar()
    except DatabaseError:  # a file that is not a database (reachable() took the rest)
        return "other"
    finally:
        engine.dispose()
    if first is None:
        return "empty"
    try:
        entry = json.loads(bytes(first))
    except (ValueError, TypeError):
        return "other"
    return "demo" if isinstance(entry, dict) and entry.get("actor") == DEMO_ACTOR else "other"


def _remove(db: str) -> None:
    """A demo store file, its log key and its signing keys, gone: said, never silent."""
    if "://" in db:
        raise ValidationError(
            "--fresh deletes a demo store file; it does not empty a database server",
            field="db",
            hint="point --db at a new, empty database instead",
        )
    removed = [
        path
        for path in (Path(db + suffix) for suffix in ("", "-wal", "-shm", LOCK_SUFFIX, ".log-key"))
        if path.exists()
    ]
    for path in removed:
        path.unlink()
    keys = Path(f"{db}.keys")
    if keys.is_dir():
        shutil.rmtree(keys)
        removed.append(keys)
    if removed:
        output.errors.print(
            f"Removed the previous demo: {', '.join(str(p) for p in removed)}. The new history "
            "gets a new log key.",
            markup=False,
        )


def _existing(
    ctx: typer.Context, garante: Garante, db: str, *, no_serve: bool, port: int, nodes: int
) -> None:
    """Serve a demo store made before, as it is: replaying over it would rewrite its log."""
    if not output.as_json(ctx, {"db": db, "replayed": False, "ledger_size": garante.ledger_size()}):
        output.console.print(
            f"{db} holds a demo already ({garante.ledger_size()} audit entries): serving it as "
            "it is. Start over with `garante demo --fresh` (`make demo FRESH=1`), which deletes "
            "it and its log key.",
            markup=False,
        )
    node = _node(garante, db, port) if nodes == 2 else None
    if no_serve:
        garante.close()
        return
    _serve(garante, port, node)


@dataclass(frozen=True)
class _Node:
    """The DEA's node to serve beside Colombia's: its store, port and demo tokens."""

    db: str
    port: int
    tokens: demonode.NodeTokens


def _node(garante: Garante, db: str, port: int) -> _Node:
    """The DEA's node store, made (or kept) with Colombia's server at ``port`` as its source."""
    tokens = demonode.prepare(garante, db, f"http://127.0.0.1:{port}")
    node_port = demonode.free_port() if port == 0 else port + 1
    return _Node(db=demonode.node_db(db), port=node_port, tokens=tokens)


def _write_keys(garante: Garante, db: str) -> tuple[str, list[str]] | None:
    """Write the private keys of every party that signs in the demo beside its store file.

    Without them nobody trying the demo could act as an authority: its orders must be
    signed. Only for a store file; a database server's demo keeps none on disk.
    """
    from garante.scenarios.keys import write_demo_keys

    if "://" in db:
        return None
    signers = [a.id for a in garante.authorities() if a.public_key]
    signers += [a.id for a in garante.agencies() if a.public_key]
    directory = f"{db}.keys"
    write_demo_keys(Path(directory), signers)
    return directory, sorted(signers)


DEMO_TOKENS = (
    ("analyst", "dipol", None),
    ("liaison", "dipol", None),
    ("authority", None, "presidency"),
    ("partner", "dea", None),
    ("partner", "fbi", None),
    ("overseer", "cti", None),
)


def _serve(garante: Garante, port: int, node: _Node | None = None) -> None:
    """Serve the replayed store, with one token per role printed for the person trying it;
    with ``node``, the DEA's node too, beside it in the same process."""
    from garante.api.server import serve

    output.console.print("\nDemo tokens (shown once; stored hashed):")
    for role, agency, authority in DEMO_TOKENS:
        record, secret = garante.create_token(
            role=role, agency_id=agency, authority_id=authority, label="demo"
        )
        output.console.print(f"  {role:<9} {record.agency or record.authority:<11} {secret}")

    def ready(url: str) -> None:
        output.console.print(f"\nGarante API on {url}/api/v1 (OpenAPI: {url}/api/v1/docs).")
        output.console.print(
            f"Web console on {url}/ (sign in with a token above); TAXII 2.1 on {url}/taxii2/.",
            markup=False,
        )
        output.console.print(
            "Try: curl -H 'Authorization: Bearer <analyst token>' "
            f"{url}/api/v1/held   (Ctrl-C to stop)",
            markup=False,
        )
        if node is not None:
            _start_node(node, url)

    serve(garante, port=port, on_ready=ready)


def _start_node(node: _Node, colombia: str) -> None:
    """The DEA's node, started once Colombia's server is bound, and what to do with it."""
    demonode.start(node.db, node.port)
    url = f"http://127.0.0.1:{node.port}"
    output.console.print(
        f"\nThe DEA's node on {url}/ (store {node.db}, signing keys in "
        f"{node.db}.keys): it pulls what "
        f"Colombia ({colombia}) releases to the DEA every {demonode.PULL_EVERY} s as source "
        f"'{demonode.SOURCE}', verifies each delivery against Colombia's log, and shares "
        "onward with the NCA under agreement 'nca-onward'. Its tokens (shown once):",
        markup=False,
    )
    for role, party, secret in node.tokens.rows:
        output.console.print(f"  {role:<9} {party:<11} {secret}", markup=False)


def _print_step(step: StepResult) -> None:
    output.console.print(f"[bold]{step.at:%a %d %b %Y %H:%M}[/bold]  {step.narrative}")
    if step.action == "request":
        for decided in step.decisions:
            output.decision_line(decided)
        return
    output.console.print(f"  {step.summary}", style="cyan")
    if step.action == "item":  # what the agreements started, not the held queue moving
        for decided in step.decisions:
            output.decision_line(decided)
        return
    output.decided_again(step.decisions)
