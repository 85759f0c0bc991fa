"""``garante witness``: init a witness, cosign a growing log, refuse a fork with exit code 6."""

from __future__ import annotations

import base64
import json
import re
import stat
from pathlib import Path

import pytest
import typer
from rich.cells import cell_len
from typer.testing import CliRunner

from garante.cli import main, output
from garante.cli.context import Settings
from garante.cli.witness import app as witness_app
from garante.cli.witness import state_path
from garante.ledger.checkpoint import (
    SIG_COSIGNATURE_V1,
    Checkpoint,
    Signer,
    VerifierKey,
    sign_checkpoint,
    verify_cosignature,
)
from garante.ledger.merkle import consistency_proof, root
from tests.support.memlog import MemoryLog

runner = CliRunner()
ORIGIN = "garante.example/audit"
LOG = Signer.generate(ORIGIN)
HONEST = MemoryLog(b"entry-%d" % i for i in range(20))
FORKED = MemoryLog(b"forged-%d" % i for i in range(20))


def _root_app() -> typer.Typer:
    """The real root if it mounts ``witness``; else a root with the same error handler."""
    if any(group.name == "witness" for group in main.app.registered_groups):
        return main.app
    root_app = typer.Typer(cls=main._Root, rich_markup_mode=None, pretty_exceptions_enable=False)

    @root_app.callback()
    def _settings(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
        ctx.obj = Settings(json=as_json)

    root_app.add_typer(witness_app, name="witness")
    return root_app


ROOT = _root_app()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(ROOT, list(args))
    return result.exit_code, result.stdout, result.stderr


def _checkpoint(log: MemoryLog, size: int) -> Checkpoint:
    return Checkpoint(ORIGIN, size, root(size, log.get))


def _files(tmp_path: Path, log: MemoryLog, size: int, old: int, tag: str) -> tuple[Path, Path]:
    note = tmp_path / f"{tag}.note"
    note.write_text(sign_checkpoint(_checkpoint(log, size), LOG))
    proof = tmp_path / f"{tag}.proof.json"
    hashes = consistency_proof(old, size, log.get)
    proof.write_text(
        json.dumps(
            {
                "old_size": old,
                "new_size": size,
                "proof": [base64.b64encode(h).decode() for h in hashes],
            }
        )
    )
    return note, proof


def _cosign(wdir: Path, note: Path, proof: Path | None, *extra: str) -> tuple[int, str, str]:
    args = [*extra, "witness", "cosign", "--dir", str(wdir), "--log-key"]
    args += [LOG.verifier_key().to_text(), "--checkpoint", str(note)]
    if proof is not None:
        args += ["--proof", str(proof)]
    return _run(*args)


@pytest.fixture
def wdir(tmp_path: Path) -> Path:
    directory = tmp_path / "w"
    code, _out, err = _run("witness", "init", "witness.example/w1", "--dir", str(directory))
    assert code == 0, err
    return directory


def _vkey(wdir: Path) -> VerifierKey:
    return VerifierKey.parse((wdir / "witness.vkey").read_text().strip())


def test_init_writes_a_private_key_readable_only_by_its_owner(wdir: Path) -> None:
    key = wdir / "witness.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    signer = Signer.from_private_key_string(key.read_text().strip())
    assert signer.name == "witness.example/w1"


def test_init_prints_the_cosigner_verifier_key(tmp_path: Path) -> None:
    code, out, _err = _run("witness", "init", "witness.example/w1", "--dir", str(tmp_path))
    assert code == 0
    vkey = (tmp_path / "witness.vkey").read_text().strip()
    assert vkey in out
    assert VerifierKey.parse(vkey).sig_type == SIG_COSIGNATURE_V1


def test_init_refuses_to_overwrite_a_key(wdir: Path) -> None:
    before = (wdir / "witness.key").read_text()
    code, _out, err = _run("witness", "init", "witness.example/w2", "--dir", str(wdir))
    assert code != 0
    assert "refusing to overwrite" in err
    assert (wdir / "witness.key").read_text() == before


def test_cosign_first_checkpoint_then_growth(wdir: Path, tmp_path: Path) -> None:
    note3, proof3 = _files(tmp_path, HONEST, 3, 0, "c3")
    code, out, err = _cosign(wdir, note3, proof3)
    assert code == 0, err
    assert verify_cosignature(_checkpoint(HONEST, 3).to_text(), out.strip(), _vkey(wdir)) > 0

    note9, proof9 = _files(tmp_path, HONEST, 9, 3, "c9")
    code, out, err = _cosign(wdir, note9, proof9)
    assert code == 0, err
    assert verify_cosignature(_checkpoint(HONEST, 9).to_text(), out.strip(), _vkey(wdir)) > 0
    state = json.loads(state_path(wdir, ORIGIN).read_text())
    assert state["state"]["size"] == 9
    assert state["checkpoint"] == note9.read_text()


def test_cosign_json_output(wdir: Path, tmp_path: Path) -> None:
    note, proof = _files(tmp_path, HONEST, 4, 0, "c4")
    code, out, err = _cosign(wdir, note, proof, "--json")
    assert code == 0, err
    body = json.loads(out)
    assert (body["origin"], body["size"], body["previous_size"]) == (ORIGIN, 4, None)
    assert verify_cosignature(_checkpoint(HONEST, 4).to_text(), body["cosignature"], _vkey(wdir))


def test_cosign_without_a_proof_file_for_the_first_checkpoint(wdir: Path, tmp_path: Path) -> None:
    note, _proof = _files(tmp_path, HONEST, 4, 0, "c4")
    code, _out, err = _cosign(wdir, note, None)
    assert code == 0, err


def test_fork_is_refused_with_exit_code_6_and_state_kept(wdir: Path, tmp_path: Path) -> None:
    note, proof = _files(tmp_path, HONEST, 7, 0, "honest")
    assert _cosign(wdir, note, proof)[0] == 0
    before = state_path(wdir, ORIGIN).read_text()

    forked, forked_proof = _files(tmp_path, FORKED, 7, 7, "forked")
    code, out, err = _cosign(wdir, forked, forked_proof)
    assert code == 6
    assert out == ""
    assert "witness.fork" in err and "fork" in err
    assert state_path(wdir, ORIGIN).read_text() == before


def test_fork_through_a_bad_proof_is_refused(wdir: Path, tmp_path: Path) -> None:
    note, proof = _files(tmp_path, HONEST, 5, 0, "honest")
    assert _cosign(wdir, note, proof)[0] == 0
    forked, forked_proof = _files(tmp_path, FORKED, 12, 5, "forked")
    code, _out, err = _cosign(wdir, forked, forked_proof, "--json")
    assert code == 6
    assert json.loads(err)["error"]["code"] == "witness.fork"


def test_rollback_is_refused(wdir: Path, tmp_path: Path) -> None:
    note, proof = _files(tmp_path, HONEST, 9, 0, "c9")
    assert _cosign(wdir, note, proof)[0] == 0
    old, old_proof = _files(tmp_path, HONEST, 4, 0, "c4")
    code, _out, err = _cosign(wdir, old, old_proof)
    assert code == 6
    assert "witness.rollback" in err


def test_checkpoint_from_another_key_is_refused(wdir: Path, tmp_path: Path) -> None:
    note = tmp_path / "impostor.note"
    note.write_text(sign_checkpoint(_checkpoint(HONEST, 3), Signer.generate(ORIGIN)))
    code, _out, err = _cosign(wdir, note, None)
    assert code == 6
    assert "witness.bad_signature" in err
    assert not state_path(wdir, ORIGIN).exists()


def test_stale_old_size_is_refused_naming_the_stored_size(wdir: Path, tmp_path: Path) -> None:
    note, proof = _files(tmp_path, HONEST, 5, 0, "c5")
    assert _cosign(wdir, note, proof)[0] == 0
    later, later_proof = _files(tmp_path, HONEST, 12, 3, "c12")
    code, _out, err = _cosign(wdir, later, later_proof)
    assert code == 6
    assert "witness.old_size_mismatch" in err and "size 5" in err


def test_log_key_from_a_file(wdir: Path, tmp_path: Path) -> None:
    vkey = tmp_path / "log.vkey"
    vkey.write_text(LOG.verifier_key().to_text() + "\n")
    note, proof = _files(tmp_path, HONEST, 2, 0, "c2")
    code, _out, err = _run(
        "witness", "cosign", "--dir", str(wdir), "--log-key", f"@{vkey}",
        "--checkpoint", str(note), "--proof", str(proof),
    )  # fmt: skip
    assert code == 0, err


def test_cosign_without_init_is_refused(tmp_path: Path) -> None:
    note, proof = _files(tmp_path, HONEST, 2, 0, "c2")
    code, _out, err = _cosign(tmp_path / "nowhere", note, proof)
    assert code == 2
    assert "witness init" in err


def test_malformed_proof_file_is_refused(wdir: Path, tmp_path: Path) -> None:
    note, proof = _files(tmp_path, HONEST, 2, 0, "c2")
    proof.write_text('{"old_size": 0, "new_size": "2", "proof": []}')
    code, _out, err = _cosign(wdir, note, proof)
    assert code == 2
    assert "non-negative integers" in err


def test_show_lists_the_witnessed_logs(wdir: Path, tmp_path: Path) -> None:
    note, proof = _files(tmp_path, HONEST, 6, 0, "c6")
    assert _cosign(wdir, note, proof)[0] == 0
    code, out, err = _run("--json", "witness", "show", "--dir", str(wdir))
    assert code == 0, err
    body = json.loads(out)
    assert body["verifier_key"] == _vkey(wdir).to_text()
    assert [(r["origin"], r["size"]) for r in body["logs"]] == [(ORIGIN, 6)]


def test_state_file_name_keeps_the_origin_unambiguous(tmp_path: Path) -> None:
    assert state_path(tmp_path, "a/b") != state_path(tmp_path, "a_b")
    assert state_path(tmp_path, "a/b").parent == tmp_path


def test_show_fits_80_columns_with_each_origin_and_key_whole(
    wdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note, proof = _files(tmp_path, HONEST, 5, 0, "c5")
    assert _cosign(wdir, note, proof)[0] == 0
    monkeypatch.setattr(output.console, "_width", 80)
    code, out, err = _run("witness", "show", "--dir", str(wdir))
    assert code == 0, err
    lines = out.splitlines()
    assert [line for line in lines if cell_len(line.rstrip()) > 80] == []
    vkey = (wdir / "witness.vkey").read_text().strip()
    assert any(vkey in line for line in lines), out
    assert any(re.search(rf"\b{re.escape(ORIGIN)}\b.*\b5\b", line) for line in lines), out
