"""``garante db``: bring a store's schema up to date, and check a store before trusting it.

Both commands open the engine themselves rather than through ``Garante.open``, which migrates
on open: ``check`` must be able to report a schema that is behind, and ``upgrade`` is what an
operator runs once, before starting N servers, so it needs no log key and changes nothing else.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from garante.cli import logkeys, output
from garante.cli.context import settings
from garante.domain.errors import GaranteError, ValidationError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from garante.ledger.note import VerifierKey
    from garante.service.dbcheck import StoreReport

# SQLAlchemy and the store are imported by the commands, so that the CLI starts without them.

app = typer.Typer(
    help="The store: schema migrations and a consistency check.", no_args_is_help=True
)


class StoreCheckFailed(GaranteError):
    """``garante db check`` found the store out of date or inconsistent with its log."""

    code = "store.check_failed"
    exit_code = 8


def _shown(url: str) -> str:
    """The URL as printed: never with its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _engine(url: str, *, must_exist: bool) -> Engine:
    """The store's engine; a SQLite file that is not there is refused rather than created."""

    from garante.store.database import create_store_engine

    if must_exist:
        from garante.service.context import require_store

        require_store(url)  # store.missing (exit 9), as every other command says it
    return create_store_engine(url)


@app.command("upgrade")
def upgrade_command(ctx: typer.Context) -> None:
    """Migrate the schema to the newest revision (safe to run again); print it before and after.

    Run it once per release, before the servers start; `garante serve` and every other command
    also migrate on open, so a single-machine store needs nothing but them. It migrates a store
    that exists; `garante init` creates one.
    """
    from garante.service.context import missing_store, require_store
    from garante.store import integrity
    from garante.store.database import create_store_engine, database_url, upgrade

    url = database_url(settings(ctx).db)
    require_store(url)
    engine = create_store_engine(url)
    try:
        before = integrity.schema_revision(engine)
        if before is None:
            raise missing_store(url)
        upgrade(engine)
        after = integrity.schema_revision(engine)
        head = integrity.head_revision(engine)
    finally:
        engine.dispose()
    if output.as_json(
        ctx,
        {
            "db": _shown(url),
            "before": before,
            "after": after,
            "head": head,
            "upgraded": before != after,
        },
    ):
        return
    if before == after:
        output.console.print(f"Schema already at revision {after}, the newest.", markup=False)
    else:
        output.console.print(
            f"Schema upgraded from {before or 'nothing (empty database)'} to revision {after}.",
            markup=False,
        )


@app.command("check")
def check(
    ctx: typer.Context,
    log_key: str | None = typer.Option(
        None,
        "--log-key",
        help="The log's verifier key as the operator published it (text or @FILE). With it, "
        "the log is verified against that key and replayed, and the store's state compared "
        "with the replay, naming every row that differs.",
        metavar="KEY|@FILE",
    ),
) -> None:
    """Check the schema revision, the log against its signed checkpoints, and state against log.

    Exits non-zero if the schema is not the newest, the log does not verify, or a state change
    lacks its audit entry (or an entry its state change). With --log-key it also replays the
    log and fails on any row the log does not say (an edited scope, outcome, undertaking, key
    or token role). Without it, the log is checked only with the key the store names, which
    vouches for nothing to someone who does not trust the store. It only reads, in one
    snapshot, so it can run beside live servers; it never migrates.
    """
    from garante.service import dbcheck
    from garante.service.logkey import load_log_signer
    from garante.store.database import database_url

    url = database_url(settings(ctx).db)
    key = _published_key(log_key, url) if log_key is not None else None
    engine = _engine(url, must_exist=True)
    try:
        signer = load_log_signer(url)
        configured = signer.verifier_key().to_text() if signer is not None else None
        report = dbcheck.check_store(engine, configured_key=configured, log_key=key)
    finally:
        engine.dispose()
    if not output.as_json(ctx, {"db": _shown(url), **report.to_dict()}):
        _print(report)
    if not report.ok:
        hint = None
        if report.schema.revision is None:
            hint = "create the store with `garante init` (or check --db for a typo)"
        elif not report.schema.ok:
            hint = "run `garante db upgrade`, then `garante db check` again"
        elif report.log is not None and not report.log.ok:
            hint = "see docs/audit.md; `garante audit verify` names the first bad index"
        raise StoreCheckFailed(
            "the store fails its check: " + ", ".join(report.failed), field="db", hint=hint
        )


def _published_key(value: str, url: str) -> VerifierKey:
    """The key given to vouch for the store; never one kept beside the store's own file."""
    from garante.store.database import sqlite_file

    database = sqlite_file(url)
    if value.startswith("@") and database is not None:
        path = Path(value[1:]).resolve()
        store = Path(database).resolve()
        if path.parent == store.parent and path.name.startswith(store.name):
            raise ValidationError(
                f"{value[1:]} is kept beside the store it would vouch for, so it proves nothing",
                field="log_key",
                hint="give the key the operator published (`garante audit key` printed it "
                "when the store was made), from a copy you keep yourself",
            )
    return logkeys.verifier_key(logkeys.key_text(value))


def _ok(passed: bool) -> str:
    return "[green]OK[/green]  " if passed else "[red]FAIL[/red]"


def _print(report: StoreReport) -> None:
    say = output.console.print
    schema = report.schema
    fix = "" if schema.ok else "; run `garante db upgrade`"
    if schema.revision is None:
        fix = "; create the store with `garante init`"
    say(f"{_ok(schema.ok)} schema: {schema.message}{fix}.")
    log = report.log
    if log is None:
        say(f"{_ok(False)} audit log: not checked (the schema is not current).")
    else:
        for finding in log.findings:
            say(f"{_ok(False)} " + escape(f"audit log: {finding}"))
        if log.ok and log.entries == 0:
            say(f"{_ok(True)} audit log: empty, nothing to verify yet.")
        elif log.ok:
            unsigned = log.entries - (log.latest_checkpoint or 0)
            tail = f"; {unsigned} newer entries await the next checkpoint" if unsigned else ""
            say(
                f"{_ok(True)} audit log: {log.entries} entries; {log.checkpoints} signed "
                f"checkpoints verified, the latest at size {log.verified_size}{tail}."
            )
    links = report.links
    if links is None:
        say(f"{_ok(False)} state and log: not checked (the schema is not current).")
    else:
        for orphan in links.orphans:
            say(f"{_ok(False)} " + escape(f"state and log: {orphan.message}"))
        for link, more in links.truncated.items():
            say(f"{_ok(False)} " + escape(f"state and log: {more} more for {link!r} not listed"))
        if links.error is not None:
            say(f"{_ok(False)} " + escape(f"state and log: {links.error}"))
        if links.ok:
            say(
                f"{_ok(True)} state and log: every state change has its entry and every entry "
                f"its state change ({len(links.links)} links checked)."
            )
    replay = report.replay
    if replay is None:
        say(
            "--    state against the replayed log: not checked; the log was verified only with "
            "the key the store names. Give --log-key with the published key to vouch for it.",
            markup=False,
        )
    else:
        for problem in [*replay.disagreements, *replay.differences]:
            say(f"{_ok(False)} " + escape(f"state against the replayed log: {problem}"))
        if replay.ok:
            say(
                f"{_ok(True)} state against the replayed log: {replay.entries} entries replayed "
                f"({replay.signatures_verified} signatures verified, "
                f"{replay.decisions_rederived} decisions re-derived); every row is as the log "
                "says."
            )
    say("Not checked:", style="dim")
    for note in report.not_linked:
        say(f"  - {note}", style="dim", markup=False)
