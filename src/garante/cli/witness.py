"""``garante witness``: cosign the audit log's checkpoints, refusing forks and rollbacks.

A witness directory holds ``witness.key`` (Go note private key string, mode 0600),
``witness.vkey`` (its type 0x04 cosigner verifier key) and one
``state-<origin>.json`` per log: the latest checkpoint cosigned, and the signed note
it came from, kept as evidence should the log later fork. The check and the state
update run under a lock on ``witness.lock`` and the state is replaced atomically, so
concurrent runs cannot roll each other back (c2sp.org/tlog-witness, "add-checkpoint").
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import typer

from garante.cli import output
from garante.domain.errors import AlreadyExists, GaranteError, InvalidKey, ValidationError
from garante.textfile import read_text

if TYPE_CHECKING:
    from garante.ledger.note import Signer, VerifierKey
    from garante.ledger.witness import WitnessError, WitnessState

# The ledger (and with it cryptography) is imported by the commands, so the CLI starts without.

app = typer.Typer(
    help="A witness for the audit log (c2sp.org/tlog-witness): cosigns a checkpoint only "
    "if the log grew append-only since the last one it cosigned.",
    no_args_is_help=True,
)

KEY_FILE = "witness.key"
VKEY_FILE = "witness.vkey"
LOCK_FILE = "witness.lock"
STATE_VERSION = 1
_MAX_NAME = 200


class WitnessRefused(GaranteError):
    """The witness refused to cosign; ``code`` is the ledger's ``witness.*`` code."""

    code = "witness.refused"
    http_status = 409
    exit_code = 6

    def __init__(self, error: WitnessError, *, hint: str | None = None) -> None:
        super().__init__(error.message, hint=hint if hint is not None else error.hint)
        self.code = error.code


@dataclass(frozen=True)
class ProofFile:
    """``{"old_size": int, "new_size": int, "proof": [base64 hashes]}``."""

    old_size: int
    new_size: int
    hashes: tuple[bytes, ...]


DIR_OPTION = typer.Option(..., "--dir", help="The witness directory.", metavar="DIR")


def state_path(directory: Path, origin: str) -> Path:
    """``state-<origin>.json`` with the origin percent-encoded (injective, no slashes)."""
    name = quote(origin, safe="")
    if len(name) > _MAX_NAME:
        name = "sha256-" + hashlib.sha256(origin.encode()).hexdigest()
    return directory / f"state-{name}.json"


@app.command("init")
def init(
    ctx: typer.Context,
    name: str = typer.Argument(
        ...,
        help="The witness's key name, a schema-less URL, e.g. witness.example.org/w1.",
        metavar="NAME",
    ),
    directory: Path = DIR_OPTION,
) -> None:
    """Create DIR/witness.key (mode 0600) and DIR/witness.vkey; print the verifier key."""
    from garante.ledger.errors import KeyFormatError
    from garante.ledger.note import SIG_COSIGNATURE_V1, Signer

    private = directory / KEY_FILE
    public = directory / VKEY_FILE
    if private.exists():
        raise AlreadyExists(
            f"{private} exists; refusing to overwrite a witness key",
            field="dir",
            hint="a witness keeps its key for life; pick another directory for a new one",
        )
    try:
        signer = Signer.generate(name)
    except KeyFormatError as exc:
        raise ValidationError(exc.message, field="name", hint=exc.hint) from None
    directory.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise AlreadyExists(
            f"{private} exists; refusing to overwrite a witness key", field="dir"
        ) from None
    with os.fdopen(fd, "w") as handle:
        handle.write(signer.to_private_key_string() + "\n")
    vkey = signer.verifier_key(SIG_COSIGNATURE_V1).to_text()
    public.write_text(vkey + "\n")
    if output.as_json(
        ctx, {"name": name, "private_key": str(private), "verifier_key": vkey, "vkey": str(public)}
    ):
        return
    output.console.print(f"Wrote {private} (keep it secret) and {public}. Verifier key:")
    output.plain(vkey)


@app.command("cosign")
def cosign(
    ctx: typer.Context,
    directory: Path = DIR_OPTION,
    log_key: str = typer.Option(
        ...,
        "--log-key",
        help="The log's verifier key (type 0x01 vkey text), or @FILE.",
        metavar="KEY|@FILE",
    ),
    checkpoint: Path | None = typer.Option(
        None,
        "--checkpoint",
        help="The log's signed checkpoint (with --tiles: read from the log if omitted).",
        metavar="FILE",
    ),
    proof: Path | None = typer.Option(
        None,
        "--proof",
        help='JSON {"old_size": N, "new_size": M, "proof": [base64 hashes]}; '
        "omit for an empty proof with no old size claimed.",
        metavar="FILE",
    ),
    origin: str | None = typer.Option(
        None,
        "--origin",
        help="The log's origin line (default: the log key's name).",
        metavar="ORIGIN",
    ),
    tiles: str | None = typer.Option(
        None,
        "--tiles",
        help="The log's tiles (c2sp.org/tlog-tiles) at their prefix, e.g. http://host:8000/log: "
        "the consistency proof from the last size cosigned is computed from them instead of "
        "read from --proof, and the checkpoint read from them unless --checkpoint is given.",
        metavar="URL",
    ),
) -> None:
    """Cosign a checkpoint if it is consistent with the last one cosigned for its log."""
    from garante.ledger.errors import LedgerError
    from garante.ledger.witness import WitnessError, witness_checkpoint

    if tiles is not None and proof is not None:
        raise ValidationError(
            "--tiles computes the consistency proof: give --proof or --tiles, not both",
            field="proof",
        )
    if tiles is None and checkpoint is None:
        raise ValidationError(
            "which checkpoint? give --checkpoint FILE, or --tiles URL to read the log's",
            field="checkpoint",
        )
    signer = _load_signer(directory)
    key = _read_log_key(log_key)
    note = (
        None if checkpoint is None else read_text(checkpoint, field="checkpoint", what="checkpoint")
    )
    claim = None if proof is None else _read_proof(proof)
    expected = origin if origin is not None else key.name
    path = state_path(directory, expected)
    requests: dict[str, int] = {}
    with _locked(directory):
        state, _previous_note = _load_state(path, expected)
        if tiles is not None:
            note, claim, requests["requests"] = _from_tiles(tiles, note, state, key)
        assert note is not None
        try:
            new_state, line = witness_checkpoint(
                state,
                note,
                () if claim is None else claim.hashes,
                key,
                signer,
                int(time.time()),
                origin=expected,
                old_size=None if claim is None else claim.old_size,
            )
        except WitnessError as exc:
            offered = checkpoint if checkpoint is not None else f"{tiles}/checkpoint"
            raise WitnessRefused(exc, hint=_evidence_hint(exc, path, offered)) from None
        except LedgerError as exc:
            raise InvalidKey(exc.message, field="log_key", hint=exc.hint) from None
        if claim is not None and claim.new_size != new_state.size:
            raise ValidationError(
                f"proof file says new_size {claim.new_size}, "
                f"but the checkpoint has size {new_state.size}",
                field="proof",
            )
        _write_state(path, new_state, note)
    if output.as_json(
        ctx,
        {
            **new_state.to_dict(),
            "previous_size": None if state is None else state.size,
            "witness": signer.name,
            "cosignature": line.removesuffix("\n"),
            **requests,
        },
    ):
        return
    output.plain(line.removesuffix("\n"))


@app.command("show")
def show(ctx: typer.Context, directory: Path = DIR_OPTION) -> None:
    """The logs this witness follows and the latest checkpoint cosigned for each."""

    rows: list[dict[str, object]] = []
    for path in sorted(directory.glob("state-*.json")):
        saved = _read_state_file(path)
        rows.append({**saved.state.to_dict(), "file": str(path)})
    vkey_path = directory / VKEY_FILE
    vkey = read_text(vkey_path, field="dir").strip() if vkey_path.exists() else None
    if output.as_json(ctx, {"verifier_key": vkey, "logs": rows}):
        return
    if vkey is not None:
        output.console.print(f"Witness {vkey}", markup=False)
    output.table(
        "Witnessed logs",
        rows,
        {"origin": "origin", "size": "size", "root hash": output.Col("root_hash", drop=1)},
    )


def _from_tiles(
    url: str, note: str | None, state: WitnessState | None, key: VerifierKey
) -> tuple[str, ProofFile | None, int]:
    """The checkpoint (``note``, or the log's) and the consistency proof from ``state``'s size
    to its size, computed from the log's tiles as the log would compute it from its store;
    and how many requests that took. The witness checks both as it checks any it is given."""
    import httpx

    from garante.ledger.checkpoint import Checkpoint
    from garante.ledger.errors import LedgerError
    from garante.ledger.note import open_note
    from garante.ledger.tiles import TileReader
    from garante.tiled import TiledLog

    with TiledLog(url) as log:
        try:
            if note is None:
                note = log.checkpoint()
            try:
                new_size = Checkpoint.parse(open_note(note, [key])[0]).size
            except LedgerError:
                return note, None, log.requests  # the witness refuses it, saying why
            if state is None:
                return note, None, log.requests
            hashes: list[bytes] = []
            if 0 < state.size < new_size:
                hashes = TileReader(new_size, log.fetch).consistency_proof(state.size)
            return note, ProofFile(state.size, new_size, tuple(hashes)), log.requests
        except (httpx.HTTPError, LedgerError, UnicodeDecodeError) as exc:
            raise ValidationError(
                f"cannot read the log's tiles: {exc}",
                field="tiles",
                hint="give the prefix the log serves its tiles under, e.g. http://host:8000/log",
            ) from None


# -- files ----------------------------------------------------------------------------


def _load_signer(directory: Path) -> Signer:
    from garante.ledger.errors import KeyFormatError
    from garante.ledger.note import Signer

    path = directory / KEY_FILE
    if not path.exists():
        raise ValidationError(
            f"{path} not found",
            field="dir",
            hint="create a witness first: garante witness init NAME --dir DIR",
        )
    try:
        return Signer.from_private_key_string(read_text(path, field="dir").strip())
    except KeyFormatError as exc:
        raise InvalidKey(f"{path}: {exc.message}", field="dir", hint=exc.hint) from None


def _read_log_key(value: str) -> VerifierKey:
    from garante.ledger.errors import KeyFormatError
    from garante.ledger.note import VerifierKey

    text = (
        read_text(Path(value[1:]), field="log_key", what="log key")
        if value.startswith("@")
        else value
    )
    try:
        return VerifierKey.parse(text.strip())
    except KeyFormatError as exc:
        raise InvalidKey(exc.message, field="log_key", hint=exc.hint) from None


def _read_proof(path: Path) -> ProofFile:
    try:
        data = json.loads(read_text(path, field="proof", what="proof"))
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{path} is not JSON: {exc.msg}", field="proof") from None
    shape = 'expected {"old_size": int, "new_size": int, "proof": [base64 hashes]}'
    if not isinstance(data, dict):
        raise ValidationError(f"{path}: {shape}", field="proof")
    old_size, new_size, hashes = data.get("old_size"), data.get("new_size"), data.get("proof")
    sizes_ok = all(
        isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in (old_size, new_size)
    )
    if not sizes_ok or not isinstance(old_size, int) or not isinstance(new_size, int):
        raise ValidationError(
            f"{path}: sizes must be non-negative integers; {shape}", field="proof"
        )
    if not isinstance(hashes, list) or not all(isinstance(h, str) for h in hashes):
        raise ValidationError(f"{path}: proof must be a list of base64 strings", field="proof")
    decoded: list[bytes] = []
    for i, h in enumerate(hashes):
        try:
            decoded.append(base64.b64decode(h.encode("ascii"), validate=True))
        except (binascii.Error, UnicodeEncodeError):
            raise ValidationError(f"{path}: proof[{i}] is not base64", field="proof") from None
    return ProofFile(old_size, new_size, tuple(decoded))


@dataclass(frozen=True, kw_only=True)
class _StateFile:
    """A witness's state file for one log: the state it cosigned last (``WitnessState``) and
    that checkpoint's note, the evidence it keeps should the log fork or roll back."""

    state: WitnessState
    checkpoint: str | None


def _read_state_file(path: Path) -> _StateFile:
    from garante.ledger.witness import WitnessError, WitnessState

    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"cannot read witness state {path}: {exc}", field="dir") from None
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        raise ValidationError(
            f"{path} is not a version {STATE_VERSION} witness state file", field="dir"
        )
    try:
        state = WitnessState.from_dict(data.get("state", {}))
    except WitnessError as exc:
        raise ValidationError(f"{path}: {exc.message}", field="dir") from None
    note = data.get("checkpoint")
    return _StateFile(state=state, checkpoint=note if isinstance(note, str) else None)


def _load_state(path: Path, origin: str) -> tuple[WitnessState | None, str | None]:
    if not path.exists():
        return None, None
    saved = _read_state_file(path)
    if saved.state.origin != origin:
        raise ValidationError(
            f"{path} holds state for {saved.state.origin!r}, not {origin!r}", field="dir"
        )
    return saved.state, saved.checkpoint


def _write_state(path: Path, state: WitnessState, note: str) -> None:
    """Write to a temporary file in the same directory, fsync, then ``os.replace``."""
    body = json.dumps(
        {"version": STATE_VERSION, "state": state.to_dict(), "checkpoint": note},
        indent=2,
        ensure_ascii=False,
    )
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on DIR/witness.lock: load, check and persist as one step."""
    with open(directory / LOCK_FILE, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _evidence_hint(exc: WitnessError, state_file: Path, offered: Path | str) -> str | None:
    from garante.ledger.witness import WitnessFork, WitnessRollback

    if not isinstance(exc, WitnessFork | WitnessRollback):
        return exc.hint
    where = (
        f"the cosigned checkpoint is under 'checkpoint' in {state_file}; "
        f"the offered one is {offered}"
    )
    return f"{exc.hint}; {where}" if exc.hint else where
