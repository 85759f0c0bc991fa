"""Files a person points the CLI at (``@FILE`` keys, bundles, the log key's file, the OpenID
configuration) that are not there, are directories, or are not text: each a typed error that
names the file, never a traceback, and nothing stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from garante.cli.main import app
from tests.support.stores import Store

runner = CliRunner()
BINARY = bytes([0x89, 0xFA, 0x00, 0xFF]) * 16


def _binary(tmp_path: Path) -> Path:
    path = tmp_path / "key.bin"
    path.write_bytes(BINARY)
    return path


def _run(store: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["--db", str(store), *args], env=env)
    return result.exit_code, result.stdout + result.stderr


@pytest.fixture
def store(tmp_path: Path) -> Path:
    db = tmp_path / "store.db"
    assert runner.invoke(app, ["--db", str(db), "init"]).exit_code == 0
    return db


@pytest.mark.parametrize(
    ("command", "named"),
    [
        (("agencies", "set-key", "dipol"), "the public key"),
        (("witnesses", "add"), "the log key"),
    ],
    ids=lambda value: value[0] if isinstance(value, tuple) else "",
)
def test_a_binary_file_given_as_a_key_is_refused_by_name(
    store: Path, tmp_path: Path, command: tuple[str, ...], named: str
) -> None:
    binary = _binary(tmp_path)
    code, out = _run(store, *command, f"@{binary}")
    assert code == 2, out
    assert f"{named} {binary} is not UTF-8 text (byte 0 is 0x89)" in out
    assert "Traceback" not in out


def test_a_bundle_that_is_a_directory_is_refused_by_name(store: Path, tmp_path: Path) -> None:
    item = ("--title", "t", "--category", "c", "--region", "caribbean", "--tlp", "green")
    code, out = _run(store, "items", "add", "co-1", "--bundle", str(tmp_path), *item,
                     "--originator", "dipol")  # fmt: skip
    assert code == 2, out
    assert f"cannot read the bundle {tmp_path}: it is a directory" in out


@pytest.mark.parametrize("kind", ["binary", "directory"])
def test_a_log_key_file_that_is_not_a_key_file_is_refused_by_name(
    store: Path, tmp_path: Path, kind: str
) -> None:
    path = _binary(tmp_path) if kind == "binary" else tmp_path / "keys"
    path.mkdir() if kind == "directory" else None
    code, out = _run(store, "agencies", "list", env={"GARANTE_LOG_KEY_FILE": str(path)})
    assert code == 2, out
    assert f"the log key {path}" in out and "[validation.invalid]" in out
    assert "Traceback" not in out


def test_an_openid_configuration_that_is_not_text_is_refused_before_serving(
    store: Path, tmp_path: Path
) -> None:
    binary = _binary(tmp_path)
    served = Store.sqlite(store).cli("serve", "--oidc-config", str(binary), timeout=60)
    assert served.returncode == 2, served.stdout + served.stderr
    assert f"the OpenID configuration {binary} is not UTF-8 text" in served.stderr


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        (("reports", "partners", "--from", "2025-01-01", "--to", "2026-01-01", "--csv", "{dir}"),
         "{dir}: Is a directory"),
        (("reports", "partners", "--from", "2025-01-01", "--to", "2026-01-01", "--csv",
          "{dir}/missing/r.csv"), "{dir}/missing/r.csv: No such file or directory"),
        (("audit", "export", "{file}"), "{file}: File exists"),
        (("keys", "generate", "k", "--dir", "{file}"), "{file}: File exists"),
        (("witness", "init", "w.example/w", "--dir", "{file}"), "{file}: File exists"),
    ],
    ids=["csv to a directory", "csv to a missing folder", "export to a file",
         "keys to a file", "witness to a file"],
)  # fmt: skip
def test_a_path_to_write_that_cannot_be_used_is_refused_by_name(
    store: Path, tmp_path: Path, command: tuple[str, ...], shown: str
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("kept\n")
    named = {"dir": str(tmp_path), "file": str(a_file)}
    code, out = _run(store, *(part.format(**named) for part in command))
    assert code == 2, out
    assert f"[validation.invalid]: cannot use {shown.format(**named)}" in out
    assert "Traceback" not in out and a_file.read_text() == "kept\n"
