"""`garante authorities set-key`: a new authority key only on the current key's signature."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from garante.cli.main import app

runner = CliRunner()


def _run(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", str(db), *args])
    return result.exit_code, result.stdout, result.stderr


def _keys(tmp_path: Path, name: str) -> tuple[Path, Path]:
    code, _out, err = _run(tmp_path / "k.db", "keys", "generate", name, "--dir", str(tmp_path))
    assert code == 0, err
    return tmp_path / f"{name}.key", tmp_path / f"{name}.pub"


def test_set_key_replaces_an_authority_key_signed_by_the_current_one(tmp_path: Path) -> None:
    db = tmp_path / "g.db"
    _run(db, "init")
    old_key, old_pub = _keys(tmp_path, "old")
    _new, new_pub = _keys(tmp_path, "new")
    _run(db, "authorities", "add", "court", "--name", "Court", "--public-key", f"@{old_pub}")
    code, _out, _err = _run(db, "authorities", "set-key", "court", f"@{new_pub}")
    assert code != 0  # no proof
    code, out, err = _run(
        db, "authorities", "set-key", "court", f"@{new_pub}", "--key", str(old_key)
    )
    assert code == 0, err
    assert "Key registered for court." in out


def test_set_key_recovers_a_lost_authority_key_on_another_authoritys_signature(
    tmp_path: Path,
) -> None:
    db = tmp_path / "g.db"
    _run(db, "init")
    _lost, old_pub = _keys(tmp_path, "old")
    _new, new_pub = _keys(tmp_path, "new")
    pres_key, pres_pub = _keys(tmp_path, "pres")
    _run(db, "authorities", "add", "court", "--name", "Court", "--public-key", f"@{old_pub}")
    _run(db, "authorities", "add", "presidency", "--name", "P", "--public-key", f"@{pres_pub}")
    code, out, err = _run(
        db,
        "authorities",
        "set-key",
        "court",
        f"@{new_pub}",
        "--recovered-by",
        "presidency",
        "--key",
        str(pres_key),
    )
    assert code == 0, err
    assert "recovered on presidency's signature" in out


def test_authorities_set_key_help_says_what_proves_the_change() -> None:
    result = runner.invoke(app, ["authorities", "set-key", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "sign with the current one" in text
    assert "another authority with a key signs a recovery" in text


def test_undertakings_list_marks_one_signed_after_a_key_recovery(tmp_path: Path) -> None:
    db = tmp_path / "g.db"
    _run(db, "init")
    old_key, old_pub = _keys(tmp_path, "old")
    new_key, new_pub = _keys(tmp_path, "new")
    pres_key, pres_pub = _keys(tmp_path, "pres")
    _run(db, "authorities", "add", "presidency", "--name", "P", "--public-key", f"@{pres_pub}")
    _run(
        db,
        "agencies",
        "add",
        "nca",
        "--name",
        "NCA",
        "--country",
        "GB",
        "--public-key",
        f"@{old_pub}",
    )
    sign = ("undertakings", "sign", "nca", "--permits", "analysis")
    code, _out, err = _run(db, *sign, "--id", "nca-before", "--key", str(old_key))
    assert code == 0, err
    code, _out, err = _run(
        db, "agencies", "set-key", "nca", f"@{new_pub}", "--recovered-by", "presidency",
        "--key", str(pres_key),
    )  # fmt: skip
    assert code == 0, err
    code, _out, err = _run(db, *sign, "--id", "nca-after", "--key", str(new_key))
    assert code == 0, err
    code, out, err = _run(db, "--json", "undertakings", "list")
    assert code == 0, err
    assert {u["id"]: u["key_recovered"] for u in json.loads(out)} == {
        "nca-before": False,
        "nca-after": True,
    }
    wide = runner.invoke(app, ["--db", str(db), "undertakings", "list"], env={"COLUMNS": "200"})
    assert "after recovery" in wide.stdout
