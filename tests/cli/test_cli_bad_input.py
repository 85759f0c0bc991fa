"""Bad input to the real `garante` command: a typed error that says what is wrong and what is
accepted, with its exit code and, with --json, the one error shape; never a Python traceback,
and nothing stored."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

GARANTE = str(Path(sys.executable).parent / "garante")
BEYOND_64_BITS = "9223372036854775808"  # 2**63: no 64-bit column holds it
INT64_MAX = "9223372036854775807"


def _garante(db: Path, *args: str, timeout: float = 60) -> tuple[int, str, str]:
    done = subprocess.run(
        [GARANTE, "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def _refusal(db: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """The exit code and the JSON error of a command that must be refused."""
    code, out, err = _garante(db, "--json", *args)
    assert "Traceback" not in err, err
    assert out == "", out
    body: dict[str, Any] = json.loads(err)["error"]
    return code, body


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("bad-input") / "demo.db"
    code, _out, err = _garante(db, "demo", "--no-serve")
    assert code == 0, err
    return db


def _log_size(db: Path) -> int:
    code, out, err = _garante(db, "--json", "audit", "entries", "--limit", "100000")
    assert code == 0, err
    return len(json.loads(out))


# -- integers: each option takes the range it can hold ------------------------------------------

OUT_OF_RANGE = [
    (("audit", "entries", "--start", BEYOND_64_BITS), "start", "0 to 9223372036854775807"),
    (("audit", "entries", "--start", "0", "--limit", "-1"), "limit", "1 to 9223372036854775807"),
    (("releases", "show", BEYOND_64_BITS), "request_id", "9223372036854775807"),
    (("releases", "recall", BEYOND_64_BITS, "--reason", "r"), "request_id", "9223372036854775807"),
    (("audit", "add-cosignature", "L", "--size", "1" + "0" * 23), "size",
     "1 to 9223372036854775807"),
    (("sources", "add", "s", "--url", "https://cti.example/taxii2/", "--category",
      "maritime-interdiction", "--region", "caribbean", "--tlp", "amber", "--originator",
      "dipol", "--interval", "1" + "0" * 23), "interval", "10 to 31622400"),
    (("conditions", "add", "c", "--description", "d", "--kind", "strike", "--region",
      "caribbean", "--window-days", "2000000"), "window_days", "1 to 3650"),
    (("conditions", "add", "c", "--description", "d", "--kind", "strike", "--region",
      "caribbean", "--min-events", "9" * 20), "min_events", "1 to 100000"),
    (("outcomes", "report", "1", "--agency", "dea", "--kind", "seizure", "--casualties",
      "9" * 20), "casualties", "0 to 100000"),
    (("outcomes", "report", "1", "--agency", "dea", "--kind", "seizure", "--persons",
      "9007199254740993"), "persons", "0 to 100000"),
    (("outcomes", "report", BEYOND_64_BITS, "--agency", "dea", "--kind", "seizure"),
     "release", "9223372036854775807"),
    (("acknowledgements", "add", "9" * 23, "--of", "delivery", "--agency", "dea"), "release",
     "9223372036854775807"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("command", "field", "bound"),
    OUT_OF_RANGE,
    ids=[f"{c[0]} {c[1]} {f}" for c, f, _ in OUT_OF_RANGE],
)
def test_an_integer_outside_what_its_option_holds_is_refused_naming_the_range(
    demo: Path, command: tuple[str, ...], field: str, bound: str
) -> None:
    before = _log_size(demo)
    code, error = _refusal(demo, *command)
    assert (code, error["code"], error["field"]) == (2, "validation.invalid", field)
    assert bound in error["message"]
    assert _log_size(demo) == before


def test_entries_from_the_last_64_bit_index_on_are_none(demo: Path) -> None:
    code, out, err = _garante(demo, "--json", "audit", "entries", "--start", INT64_MAX)
    assert (code, json.loads(out)) == (0, []), err


# -- garante serve: where it listens ------------------------------------------------------------


def test_serve_on_a_port_outside_0_to_65535_is_refused(demo: Path) -> None:
    for port in ("-1", "70000"):
        code, error = _refusal(demo, "serve", "--port", port)
        assert (code, error["code"], error["field"]) == (2, "validation.invalid", "port")
        assert "0 to 65535" in error["message"]


def test_serve_on_a_host_that_is_no_address_is_refused_naming_it(demo: Path) -> None:
    code, error = _refusal(demo, "serve", "--host", "999.1.1.1", "--port", "0")
    assert (code, error["code"], error["field"]) == (2, "validation.invalid", "host")
    assert "999.1.1.1" in error["message"]
    assert "127.0.0.1" in error["hint"]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_on_a_port_in_use_is_refused_naming_it(demo: Path, workers: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        code, error = _refusal(demo, "serve", "--port", port, "--workers", workers)
    assert (code, error["code"], error["field"]) == (14, "serve.address_unavailable", "port")
    assert f"127.0.0.1:{port}" in error["message"]
    assert "in use" in error["message"]
    assert "another --port" in error["hint"]


# -- garante demo --scenario FILE ---------------------------------------------------------------

SCENARIOS = {
    "empty": ("", "title: Field required"),
    "not-toml": ("steps = [", "is not TOML"),
    "wrong-shape": ("title = 3\n", "title: Input should be a valid string"),
    "missing": (None, "No such file or directory"),
    "directory": ("/", "Is a directory"),
}


@pytest.mark.parametrize("case", SCENARIOS)
def test_a_scenario_file_that_is_not_one_is_refused_naming_the_file_and_its_first_problem(
    tmp_path: Path, case: str
) -> None:
    text, problem = SCENARIOS[case]
    scenario = tmp_path / f"{case}.toml"
    if text == "/":
        scenario.mkdir()
    elif text is not None:
        scenario.write_text(text)
    db = tmp_path / "demo.db"
    code, error = _refusal(db, "demo", "--no-serve", "--scenario", str(scenario))
    assert (code, error["code"], error["field"]) == (2, "validation.invalid", "scenario")
    assert str(scenario) in error["message"]
    assert problem in error["message"]
    assert "\n" not in error["message"]  # the first problem, not pydantic's whole report
    assert not db.exists()


# -- garante items check-commitment FILE --------------------------------------------------------

OPENINGS: dict[str, tuple[Any, str]] = {
    "title-null": ({"title": None}, 'its "title" is not a string'),
    "no-salt": ({"salt": ...}, 'it has no "salt"'),
    "salt-not-hex": ({"salt": "zz"}, 'its "salt" is not hexadecimal'),
    "a-list": ([], "it is a JSON list, not an object"),
    "not-json": ("{", "it is not JSON"),
}


@pytest.mark.parametrize("case", OPENINGS)
def test_an_opening_file_that_is_not_one_is_refused_saying_what_is_wrong(
    demo: Path, tmp_path: Path, case: str
) -> None:
    good = tmp_path / "good.json"
    code, _out, err = _garante(demo, "items", "open-commitment", "co-2025-0417", "--out", str(good))
    assert code == 0, err
    opening = json.loads(good.read_text())
    change, problem = OPENINGS[case]
    bad = tmp_path / "bad.json"
    if isinstance(change, dict):
        for key, value in change.items():
            opening[key] = value
            if value is ...:
                del opening[key]
        bad.write_text(json.dumps(opening))
    elif isinstance(change, list):
        bad.write_text(json.dumps([opening]))
    else:
        bad.write_text(change)
    code, error = _refusal(
        demo, "items", "check-commitment", str(bad), "--commitment", opening.get("commitment", "")
    )
    assert (code, error["code"], error["field"]) == (2, "validation.invalid", "opening")
    assert error["message"].startswith(f"{bad} is not an opening: {problem}")
