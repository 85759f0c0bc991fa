"""`garante demo` leaves the keys of its signers beside the store, so every role can act."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from garante.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    result = runner.invoke(app, ["--db", str(db), "demo", "--no-serve"])
    assert result.exit_code == 0, result.stderr
    assert f"{db}.keys/NAME.key" in result.stdout
    return db


def test_the_demo_writes_each_signers_key_readable_by_its_owner_only(demo_db: Path) -> None:
    keys = Path(f"{demo_db}.keys")
    assert sorted(p.name for p in keys.iterdir()) == [
        "dea.key",
        "dipol.key",
        "mininterior.key",
        "nca.key",
        "presidency.key",
    ]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in keys.iterdir())


def _lift_breach_hold(demo_db: Path, authority: str, *more: str) -> Result:
    """``garante orders lift breach-hsi-2`` as ``authority``: the demo's breach hold on HSI."""
    lift = ["orders", "lift", "breach-hsi-2", "--authority", authority, "--reason", "reviewed"]
    return runner.invoke(app, ["--db", str(demo_db), *lift, *more])


def test_no_one_lifts_the_breach_hold_as_the_system_authority(demo_db: Path) -> None:
    """DESIGN.md, "Who may do what": any authority lifts it, signed; never garante-system."""
    entries = runner.invoke(app, ["--db", str(demo_db), "audit", "entries", "0"]).stdout
    result = _lift_breach_hold(demo_db, "garante-system")
    assert result.exit_code == 10, result.stderr
    assert "auth.not_entitled" in result.stderr
    assert "lift it as an authority of your own, signed" in result.stderr
    after = runner.invoke(app, ["--db", str(demo_db), "audit", "entries", "0"]).stdout
    assert after == entries


def test_an_authority_acts_in_the_demo_with_the_key_it_wrote(demo_db: Path) -> None:
    """docs/outcomes.md: the presidency lifts the breach hold on HSI, signed."""
    result = _lift_breach_hold(demo_db, "presidency", "--key", f"{demo_db}.keys/presidency.key")
    assert result.exit_code == 0, result.stderr
    assert "Lifted order breach-hsi-2" in result.stdout
