"""``garante audit``: checkpoints, proofs, receipts, export and verification of the log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from garante.cli import logkeys, output
from garante.cli.context import bounded, service, settings
from garante.domain.errors import GaranteError, ValidationError
from garante.domain.numbers import INT64_MAX

if TYPE_CHECKING:
    from garante.ledger.logcheck import LogReport
    from garante.ledger.note import VerifierKey
    from garante.replay.run import LogReplay

# The records, the ledger, httpx, the inspector and the replay are imported by the commands
# that use them, so that the CLI starts without them.

app = typer.Typer(help="The verifiable audit log.", no_args_is_help=True)


class LogVerificationFailed(GaranteError):
    code = "ledger.verification_failed"
    exit_code = 7


class LogNotRead(GaranteError):
    """The log's server could not be read (unreachable, timed out, refusing or failing):
    nothing was verified, and nothing was found wrong with the log either. Apart from
    ``ledger.verification_failed`` so that an inspector's script never takes a network
    failure, or a token that may not read the log, for a log that does not verify."""

    code = "ledger.not_read"
    http_status = 502
    exit_code = 11


@app.command("key")
def key(
    ctx: typer.Context,
    generate_in: str | None = typer.Option(
        None,
        "--generate-in",
        help="Make the log's Ed25519 key in an HSM instead, at this PKCS#11 URI (its object= "
        "is the new key's label), and print its verifier key; no store is opened.",
        metavar="URI",
    ),
    name: str | None = typer.Option(
        None,
        "--name",
        help="With --generate-in: the key's note name (the log's origin), e.g. "
        "garante.example.org/log; default: one derived from the public key. Give the same "
        "name to the server as GARANTE_LOG_KEY_NAME.",
        metavar="NAME",
    ),
) -> None:
    """Print the log's public verifier key (give it to inspectors out of band)."""
    from garante import records

    if generate_in is not None:
        from garante.service.hsm import generate_key

        signer = generate_key(generate_in, name)
        value = signer.verifier_key().to_text()
        if not output.as_json(ctx, records.LogKey(log_key=value)):
            output.plain(value)
        return
    if name is not None:
        raise ValidationError("--name goes with --generate-in", field="name")
    value = service(ctx).log_verifier_key()
    if not output.as_json(ctx, records.LogKey(log_key=value)):
        output.plain(value)


@app.command("checkpoint")
def checkpoint(
    ctx: typer.Context,
    latest: bool = typer.Option(False, "--latest", help="Show the latest; publish nothing."),
) -> None:
    """Publish a signed checkpoint at the current size (C2SP tlog-checkpoint) and print it."""
    garante = service(ctx)
    published = garante.latest_checkpoint() if latest else garante.publish_checkpoint()
    if published is None:
        raise ValidationError("no checkpoint was published yet", hint="run without --latest")
    if not output.as_json(ctx, published.served()):
        output.plain(published.note.rstrip("\n"))


@app.command("add-cosignature")
def add_cosignature(
    ctx: typer.Context,
    size: int = typer.Option(
        ...,
        "--size",
        help="The checkpoint's tree size.",
        metavar="N",
        callback=bounded(1, INT64_MAX),
    ),
    line: str = typer.Argument(
        ..., help="The cosignature line a witness returned.", metavar="LINE"
    ),
) -> None:
    """Publish a witness's cosignature with the checkpoint it cosigned.

    The witness checks the line; the log only keeps and serves it, so that readers can require
    cosignatures from witnesses they trust (c2sp.org/tlog-witness).
    """
    published = service(ctx).add_cosignature(size, line)
    if not output.as_json(ctx, {"size": published.size, "note": published.note}):
        output.plain(published.note.rstrip("\n"))


@app.command("prove")
def prove(
    ctx: typer.Context,
    index: int = typer.Option(..., "--index", help="The entry to prove.", metavar="N"),
    size: int | None = typer.Option(
        None, "--size", help="Tree size (default: current).", metavar="N"
    ),
) -> None:
    """Print an RFC 9162 inclusion proof of entry INDEX in the tree of SIZE entries."""
    proof = service(ctx).inclusion_proof(index, size).encoded()
    if output.as_json(ctx, proof):
        return
    output.console.print(f"entry {index} in tree of size {proof.size}:", markup=False)
    output.console.print(f"  {proof.entry}", markup=False)
    output.console.print(f"  leaf hash {proof.leaf_hash}")
    for step, value in enumerate(proof.proof):
        output.console.print(f"  proof[{step}] {value}")


@app.command("consistency")
def consistency(
    ctx: typer.Context,
    old: int = typer.Option(..., "--old", help="The older tree size.", metavar="N"),
    new: int | None = typer.Option(
        None, "--new", help="The newer tree size (default: current).", metavar="N"
    ),
) -> None:
    """Print an RFC 9162 consistency proof between tree sizes OLD and NEW."""
    proof = service(ctx).consistency_proof(old, new).encoded()
    if output.as_json(ctx, proof):
        return
    output.console.print(f"consistency of size {old} with size {proof.new_size}:")
    for step, value in enumerate(proof.proof):
        output.console.print(f"  proof[{step}] {value}")


@app.command("receipt")
def receipt(
    ctx: typer.Context, index: int = typer.Argument(..., help="Entry index.", metavar="INDEX")
) -> None:
    """A signed checkpoint covering entry INDEX, with the entry's inclusion proof in it."""
    output.emit_json(service(ctx).receipt(index).encoded())


@app.command("entries")
def entries(
    ctx: typer.Context,
    start: int = typer.Option(
        0, "--start", metavar="N", help="The first entry's index.", callback=bounded(0, INT64_MAX)
    ),
    limit: int = typer.Option(
        20,
        "--limit",
        metavar="N",
        help="How many entries to print.",
        callback=bounded(1, INT64_MAX),
    ),
) -> None:
    """Print audit entries (canonical JSON) from START."""
    rows = service(ctx).entries(start, min(start + limit, INT64_MAX))
    if output.as_json(ctx, rows):
        return
    for row in rows:
        output.console.print(f"{row.index:>6} {row.entry}", markup=False)


@app.command("export")
def export(
    ctx: typer.Context, directory: Path = typer.Argument(..., help="Where to write.", metavar="DIR")
) -> None:
    """Write the whole log for an inspector: entries.jsonl, checkpoints.json, log.vkey."""
    garante = service(ctx)
    directory.mkdir(parents=True, exist_ok=True)
    size = garante.ledger_size()
    with (directory / "entries.jsonl").open("w") as handle:
        for start in range(0, size, 10_000):
            for row in garante.entries(start, start + 10_000):
                handle.write(json.dumps({"index": row.index, "entry": row.entry}) + "\n")
    notes = [c.note for c in garante.checkpoints()]
    (directory / "checkpoints.json").write_text(json.dumps(notes, indent=1) + "\n")
    (directory / "log.vkey").write_text(garante.log_verifier_key() + "\n")
    output.console.print(f"Exported {size} entries and {len(notes)} checkpoints to {directory}.")


@app.command("verify")
def verify(
    ctx: typer.Context,
    export_dir: Path | None = typer.Option(
        None,
        "--export",
        help="Verify an export (no database needed) instead of the store.",
        metavar="DIR",
    ),
    log_key: str | None = typer.Option(
        None,
        "--log-key",
        help="The log's verifier key, got out of band (text or @FILE).",
        metavar="KEY|@FILE",
    ),
    server: str | None = typer.Option(
        None,
        "--server",
        help="Check a running server over HTTP only, e.g. http://host:8000.",
        metavar="URL",
    ),
    token: str | None = typer.Option(
        None,
        "--token",
        envvar="GARANTE_TOKEN",
        help="Overseer token, for proofs and entries.",
        metavar="TOKEN",
    ),
    state: Path | None = typer.Option(
        None,
        "--state",
        help="With --server: the last checkpoint verified, kept between runs.",
        metavar="FILE",
    ),
    full: bool = typer.Option(False, "--full", help="With --server: rebuild the whole tree."),
    tree_only: bool = typer.Option(
        False,
        "--tree-only",
        help="With the store or an export: check the tree alone (indices, leaf hashes, signed "
        "roots), not that each entry is RFC 8785 canonical JSON; several times faster.",
    ),
    tiles: str | None = typer.Option(
        None,
        "--tiles",
        help="Check a tiled log (c2sp.org/tlog-tiles) at its prefix, e.g. "
        "http://host:8000/log: every tile and entry bundle of its latest checkpoint.",
        metavar="URL",
    ),
    witness_keys: list[str] = typer.Option(
        [],
        "--witness-key",
        help="A witness's verifier key (type 0x04, or a partner node's log key; text or "
        "@FILE) whose cosignature the latest checkpoint must carry; repeatable.",
        metavar="KEY|@FILE",
    ),
    min_witnesses: int | None = typer.Option(
        None,
        "--min-witnesses",
        help="With --witness-key: how many of those witnesses must have cosigned the latest "
        "checkpoint (default: all given).",
        metavar="N",
    ),
) -> None:
    """Check every entry against every signed checkpoint; name the first index that fails.

    Four modes: the store (--db), an export (--export DIR), a running server (--server URL),
    which needs nothing but HTTP, the key and an overseer token (the signed checkpoint is
    public; the entries and proofs it checks are not): an inspector's check; or a tiled log
    (--tiles URL), whose every tile and entry bundle is checked against its latest checkpoint,
    the requests it took counted. With --witness-key, the latest checkpoint must also carry
    valid cosignatures of --min-witnesses of those witnesses (exit code 7 if not).
    """
    key_text = logkeys.key_text(log_key) if log_key else None
    required = _witnesses_required(witness_keys, min_witnesses)
    if tiles is not None:
        if server is not None or export_dir is not None:
            raise ValidationError(
                "verify checks one copy of the log: give --tiles, --server or --export",
                field="tiles",
            )
        _require_cosigned(ctx, _verify_tiles(ctx, tiles, key_text, token), required)
        return
    if server is not None:
        _require_cosigned(ctx, _verify_server(ctx, server, key_text, token, state, full), required)
        return
    if export_dir is not None:
        if key_text is None:
            raise ValidationError(
                "verifying an export needs the log's key from a source you trust",
                field="log_key",
                hint="pass --log-key with the key the operator published (not log.vkey from "
                "the export itself)",
            )
        report, latest = _verify_export(export_dir, key_text, forms=not tree_only)
    else:
        garante = service(ctx)
        report = garante.verify_log(key_text, forms=not tree_only)
        published = garante.latest_checkpoint()
        latest = published.note if published is not None else None
    _report(ctx, report)
    _require_cosigned(ctx, latest, required)


Required = tuple[list["VerifierKey"], int]
"""The witnesses whose cosignatures a reader requires, and how many of them."""


def _witnesses_required(texts: list[str], minimum: int | None) -> Required | None:
    """``--witness-key`` and ``--min-witnesses``, read and checked before anything is."""
    from garante.service.witnesses import cosigner_key

    if not texts:
        if minimum is not None:
            raise ValidationError(
                "--min-witnesses counts the witnesses given with --witness-key, and none is",
                field="min_witnesses",
                hint="add --witness-key KEY for each witness you trust",
            )
        return None
    keys = list(
        dict.fromkeys(cosigner_key(logkeys.key_text(t), field="witness_key") for t in texts)
    )
    wanted = len(keys) if minimum is None else minimum
    if not 1 <= wanted <= len(keys):
        raise ValidationError(
            f"--min-witnesses {wanted} is not between 1 and the {len(keys)} witness key(s) given",
            field="min_witnesses",
        )
    return keys, wanted


def _require_cosigned(ctx: typer.Context, note: str | None, required: Required | None) -> None:
    """The latest checkpoint carries valid cosignatures of enough of the witnesses given."""
    if required is None:
        return
    from garante.ledger.checkpoint import cosigners
    from garante.ledger.errors import LedgerError

    keys, wanted = required
    try:
        found = cosigners(note, keys) if note is not None else []
        size = note.split("\n")[1] if note is not None else "-"
    except (LedgerError, IndexError):
        found, size = [], "-"
    names = ", ".join(k.name for k in found) or "none"
    if len(found) < wanted:
        raise LogVerificationFailed(
            f"the latest checkpoint (size {size}) carries valid cosignatures of {len(found)} of "
            f"the {len(keys)} witness(es) given ({names}); at least {wanted} required",
            field="witness_key",
            hint="the witnesses may not have cosigned this checkpoint yet (each cosigns when "
            "it next verifies the log): try again later, or ask the log's operator which "
            "witnesses it registered (`garante witnesses list`)",
        )
    if not settings(ctx).json:
        output.console.print(
            f"[green]OK[/green] checkpoint of size {size} cosigned by {len(found)} of the "
            f"{len(keys)} witness(es) given ({names}).",
            highlight=False,
        )


@app.command("replay")
def replay(
    ctx: typer.Context,
    export_dir: Path | None = typer.Option(
        None, "--export", help="Replay an export (`garante audit export DIR`).", metavar="DIR"
    ),
    server: str | None = typer.Option(
        None,
        "--server",
        help="Replay a running server's log over HTTP, e.g. http://host:8000.",
        metavar="URL",
    ),
    log_key: str = typer.Option(
        ...,
        "--log-key",
        help="The log's verifier key as the operator published it (text or @FILE); never the "
        "log.vkey shipped inside an export.",
        metavar="KEY|@FILE",
    ),
    token: str | None = typer.Option(
        None,
        "--token",
        envvar="GARANTE_TOKEN",
        help="With --server: an overseer token.",
        metavar="TOKEN",
    ),
) -> None:
    """Rebuild the whole state from the log alone and re-derive every act in it.

    Checks the entries against the signed checkpoints, then, entry by entry: every signature
    against the keys the log registered at that point, that every act was entitled (orders
    changed by their authority, the system's holds only from a breach, recalls by the
    originator, tokens for agencies that can hold their role), and every decision, enforcement
    and breach verdict decided again with the state at the version it cites. Prints the counts
    and the first entry that disagrees. Needs no database.
    """
    if (export_dir is None) == (server is None):
        raise ValidationError(
            "replay reads one log: give --export DIR or --server URL",
            field="export",
            hint="garante audit replay --export DIR --log-key @published.vkey",
        )
    if export_dir is not None:
        _refuse_key_from(export_dir, log_key, what="the export it would vouch for")
    from garante.replay.run import replay_log
    from garante.replay.sources import UnreadableLog, from_export, from_server

    key = logkeys.verifier_key(logkeys.key_text(log_key))
    try:
        copy = from_export(export_dir) if export_dir is not None else None
        if copy is None:
            assert server is not None
            copy = from_server(server, token=token)
        result = replay_log(copy.entries, copy.checkpoints, key)
    except UnreadableLog as exc:
        hint = NEEDS_TOKEN if server is not None and exc.refused else None
        if exc.not_read:  # the server could not be read: nothing replayed, nothing found
            raise LogNotRead(
                f"the server's log at {server} could not be read, so nothing was replayed: {exc}",
                field="server",
                hint=hint or "check the URL and that the server is up, then run it again",
            ) from None
        raise ValidationError(
            str(exc), field="export" if export_dir else "server", hint=hint
        ) from None
    _replayed(ctx, result)


def _refuse_key_from(place: Path, log_key: str, *, what: str) -> None:
    """A key read from inside ``place`` came with what it would vouch for: refuse it."""
    if not log_key.startswith("@"):
        return
    path = Path(log_key[1:]).resolve()
    if path.is_relative_to(place.resolve()):
        raise ValidationError(
            f"{log_key[1:]} lies inside {place}: a key that comes with {what} proves nothing",
            field="log_key",
            hint="give the key the operator published (its website, a letter, a witness), "
            "not one copied beside the data",
        )


def _replayed(ctx: typer.Context, result: LogReplay) -> None:
    log, replay = result.log, result.replay
    if not output.as_json(
        ctx,
        {
            "ok": result.ok,
            "log": {
                "ok": log.ok,
                "entries": log.entries,
                "checkpoints_verified": log.checkpoints_verified,
                "latest_verified_size": log.latest_verified_size,
                "findings": [{"index": f.index, "message": f.message} for f in log.findings],
            },
            "replay": {
                "ok": replay.ok,
                "entries": replay.entries,
                "kinds": dict(sorted(replay.kinds.items())),
                "signatures_verified": replay.signatures_verified,
                "decisions_rederived": replay.decisions_rederived,
                "acts_checked": replay.acts_checked,
                "disagreements": [
                    {"index": d.index, "kind": d.kind, "message": d.message}
                    for d in replay.disagreements
                ],
            },
        },
    ):
        say = output.console.print
        for finding in log.findings:
            say(f"[red]FAIL[/red] log: {escape(str(finding))}", highlight=False)
        if log.ok:
            tail = (
                f"; {result.unsigned} newer entries are not yet under a signed checkpoint"
                if result.unsigned
                else ""
            )
            say(
                f"[green]OK[/green]   log: {log.entries} entries; {log.checkpoints_verified} "
                f"signed checkpoints verified, the latest at size {log.latest_verified_size}"
                f"{tail}.",
                highlight=False,
            )
        shown = replay.disagreements[:20]
        for disagreement in shown:
            say(f"[red]FAIL[/red] replay: {escape(str(disagreement))}", highlight=False)
        if len(replay.disagreements) > len(shown):
            say(f"[red]FAIL[/red] replay: {len(replay.disagreements) - len(shown)} more not shown")
        verdict = "[green]OK[/green]  " if replay.ok else "[red]FAIL[/red]"
        say(
            f"{verdict} replay: {replay.entries} entries; {replay.signatures_verified} "
            f"signatures verified, {replay.decisions_rederived} decisions re-derived, "
            f"{replay.acts_checked} acts checked; {len(replay.disagreements)} disagreements.",
            highlight=False,
        )
    if not log.ok:
        first = log.first_bad_index
        where = f" (first bad index {first})" if first is not None else ""
        raise LogVerificationFailed(f"the log does not verify{where}")
    if replay.first is not None:
        raise LogVerificationFailed(
            f"the log disagrees with itself: {replay.first}",
            hint="the entry named is the first an inspector should read",
        )


def _verify_server(
    ctx: typer.Context,
    server: str,
    key_text: str | None,
    token: str | None,
    state: Path | None,
    full: bool,
) -> str:
    import httpx

    from garante.inspector import inspect
    from garante.ledger.errors import LedgerError

    if key_text is None:
        raise ValidationError(
            "checking a server needs the log's key from a source you trust", field="log_key"
        )
    key = logkeys.verifier_key(key_text)  # a malformed key is bad input (exit 2), not a bad log
    try:
        result = inspect(server, key, token=token, state_file=state, full=full)
    except httpx.HTTPError as exc:
        raise _not_read(f"the server's log at {server}", exc, token) from None
    except LedgerError as exc:
        raise LogVerificationFailed(f"the server's log cannot be verified: {exc}") from None
    if not output.as_json(
        ctx,
        {
            "ok": result.ok,
            "size": result.checkpoint.size,
            "previous_size": result.previous_size,
            "sampled": result.sampled,
            "entries_checked": result.entries_checked,
            "problems": result.problems,
        },
    ):
        for problem in result.problems:
            output.console.print(f"[red]FAIL[/red] {escape(str(problem))}", highlight=False)
        if result.ok:
            since = (
                f"; consistent with size {result.previous_size} seen before"
                if result.previous_size is not None
                else ""
            )
            output.console.print(
                f"[green]OK[/green] checkpoint of size {result.checkpoint.size} signed by the log"
                f"{since}; {len(result.sampled)} inclusion proofs verified"
                + (f"; {result.entries_checked} entries rebuilt" if full else "")
                + "."
            )
    if not result.ok:
        raise LogVerificationFailed("the server's log does not verify")
    return result.note


NEEDS_TOKEN = (
    "the entries and proofs are served to internal roles only: give an overseer token with "
    "--token or GARANTE_TOKEN (the operator makes one with `garante tokens create --role "
    "overseer --agency AGENCY`)"
)


def _not_read(what: str, exc: Exception, token: str | None) -> LogNotRead:
    """The log could not be read: say why, and what to check, never that it does not verify."""
    return LogNotRead(
        f"{what} could not be read, so nothing was verified: {exc}",
        field="server",
        hint=_token_hint(exc, token)
        or "check the URL and that the server is up, then run the check again",
    )


def _token_hint(exc: Exception, token: str | None) -> str | None:
    """Say what token is needed when the server refused to show entries or proofs."""
    import httpx

    if isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code in (401, 403):
        return (
            NEEDS_TOKEN
            if token is None
            else "the token given may not read the log: " + (NEEDS_TOKEN.split(": ", 1)[1])
        )
    return None


def _verify_tiles(ctx: typer.Context, url: str, key_text: str | None, token: str | None) -> str:
    """Check a tiled log: its checkpoint with the key, then every tile and bundle against it."""
    import httpx

    from garante.ledger.errors import LedgerError
    from garante.ledger.tilecheck import check_tiles
    from garante.tiled import TiledLog

    if key_text is None:
        raise ValidationError(
            "checking a tiled log needs the log's key from a source you trust", field="log_key"
        )
    key = logkeys.verifier_key(key_text)  # a malformed key is bad input (exit 2), not a bad log
    with TiledLog(url, token=token) as log:
        try:
            note = log.checkpoint()
            report = check_tiles(note, key, log.fetch)
        except httpx.HTTPError as exc:
            raise _not_read(f"the tiled log at {url}", exc, token) from None
        except (LedgerError, UnicodeDecodeError) as exc:
            raise LogVerificationFailed(
                f"the tiled log cannot be verified: {exc}",
                hint=f"{log.requests} requests made",
            ) from None
        requests = log.requests
    _report(ctx, report, requests=requests)
    return note


def _verify_export(directory: Path, key_text: str, *, forms: bool) -> tuple[LogReport, str | None]:
    from garante.ledger.errors import LedgerError
    from garante.ledger.logcheck import StoredEntry, check_log

    key = logkeys.verifier_key(key_text)
    try:
        notes: list[str] = json.loads((directory / "checkpoints.json").read_text())
        with (directory / "entries.jsonl").open() as handle:
            entries = [StoredEntry.from_json(json.loads(line)) for line in handle if line.strip()]
    except (OSError, ValueError, KeyError, LedgerError) as exc:
        raise ValidationError(
            f"cannot read the export in {directory}: {exc}", field="export"
        ) from None
    return check_log(entries, notes, key, forms=forms), (notes[-1] if notes else None)


def _report(ctx: typer.Context, report: LogReport, *, requests: int | None = None) -> None:
    fetched = {} if requests is None else {"requests": requests}
    if not output.as_json(
        ctx,
        {
            **fetched,
            "ok": report.ok,
            "entries": report.entries,
            "checkpoints_verified": report.checkpoints_verified,
            "latest_verified_size": report.latest_verified_size,
            "first_bad_index": report.first_bad_index,
            "findings": [{"index": f.index, "message": f.message} for f in report.findings],
        },
    ):
        for finding in report.findings:
            output.console.print(f"[red]FAIL[/red] {escape(str(finding))}", highlight=False)
        if report.ok:
            took = f" in {requests} requests" if requests is not None else ""
            output.console.print(
                f"[green]OK[/green] {report.entries} entries; {report.checkpoints_verified} signed "
                f"checkpoints verified, the latest at size {report.latest_verified_size}{took}."
            )
        elif requests is not None:
            output.console.print(f"{requests} requests made.")
    if not report.ok:
        first = report.first_bad_index
        where = f" (first bad index {first})" if first is not None else ""
        raise LogVerificationFailed(f"the log does not verify{where}")
