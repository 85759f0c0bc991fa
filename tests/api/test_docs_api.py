"""docs/api.md, checked by machine: its examples run as printed, its tables match the server.

The examples run in document order against a real server holding the demo, with the shell
variables the document names ($ANALYST, $LIAISON, $AUTHORITY, $PARTNER, $OVERSEER) set to real
tokens and the demo's address replaced by the test server's. A ```sh block runs when it begins
with ``curl`` or follows ``<!-- doctest: run -->``; every other ```sh block must follow
``<!-- doctest: skip -->``, so that no example escapes the test by accident. Every ```python
block runs too.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

import garante.api.app
import garante.service.app
from garante.domain.errors import GaranteError
from tests.support.servers import Server

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
DEMO_URL = "http://127.0.0.1:8000"
ROLES = ("analyst", "liaison", "authority", "partner", "overseer")
TOKENS = {
    "ANALYST": ("analyst", "dipol", None),
    "LIAISON": ("liaison", "dipol", None),
    "AUTHORITY": ("authority", None, "presidency"),
    "PARTNER": ("partner", "dea", None),
    "OVERSEER": ("overseer", "cti", None),
}
STATUS = "__http_status__"
# Report the status of each curl call on a line of its own, after whatever it printed.
CURL_STATUS = f"curl() {{ command curl -w '\\n{STATUS}%{{http_code}}\\n' \"$@\"; }}\n"


@dataclass(frozen=True)
class Block:
    language: str
    code: str
    line: int
    marker: str | None  # "run" or "skip", from an HTML comment just before the fence

    @property
    def is_curl(self) -> bool:
        return self.language == "sh" and self.code.startswith("curl ")

    @property
    def runs(self) -> bool:
        return self.language == "python" or self.is_curl or self.marker == "run"


def blocks() -> list[Block]:
    found: list[Block] = []
    lines = DOC.read_text().splitlines()
    marker: str | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        comment = re.fullmatch(r"<!-- doctest: (run|skip) -->", line.strip())
        if comment:
            marker = comment.group(1)
        elif line.startswith("```") and len(line) > 3:
            end = lines.index("```", index + 1)
            code = "\n".join(lines[index + 1 : end]) + "\n"
            found.append(Block(line[3:].strip(), code, index + 1, marker))
            marker, index = None, end
        elif line.strip():
            marker = None
        index += 1
    return found


EXAMPLES = [block for block in blocks() if block.runs]


@pytest.fixture(scope="module")
def environment(demo_server: Server) -> dict[str, str]:
    # Each token is a CLI process; the store's busy timeout lets them write side by side.
    with ThreadPoolExecutor(len(TOKENS)) as pool:
        futures = {
            name: pool.submit(demo_server.token, role, agency=agency, authority=authority)
            for name, (role, agency, authority) in TOKENS.items()
        }
        tokens = {name: future.result() for name, future in futures.items()}
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, **tokens, "PATH": path}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory, server_backend: str) -> Path:
    """A directory per store: the examples write files (keys, exports) they expect new."""
    return tmp_path_factory.mktemp(f"docs-{server_backend}")


def test_every_shell_example_is_run_or_explicitly_skipped() -> None:
    unmarked = [b.line for b in blocks() if b.language == "sh" and not b.runs and not b.marker]
    assert unmarked == [], f"docs/api.md lines {unmarked}: mark them doctest run or skip"
    assert sum(block.is_curl for block in EXAMPLES) >= 15


def test_every_curl_in_the_docs_fails_on_an_http_error() -> None:
    commands = re.findall(r"^\s*curl (.*)$", DOC.read_text(), flags=re.MULTILINE)
    assert commands
    assert all(command.startswith("-sf ") for command in commands), commands


@pytest.mark.parametrize("block", EXAMPLES, ids=lambda block: f"line-{block.line}")
def test_the_example_runs_against_the_demo(
    block: Block, demo_server: Server, environment: dict[str, str], workdir: Path
) -> None:
    code = block.code.replace(DEMO_URL, demo_server.url)
    if block.language == "python":
        command = [sys.executable, "-c", code]
    elif block.is_curl:
        command = ["bash", "-euo", "pipefail", "-c", CURL_STATUS + code]
    else:
        command = ["bash", "-euo", "pipefail", "-c", code]
    result = subprocess.run(
        command, cwd=workdir, env=environment, capture_output=True, text=True, timeout=60
    )
    where = f"docs/api.md line {block.line}:\n{block.code}\nstdout: {result.stdout}\n"
    assert result.returncode == 0, where + f"stderr: {result.stderr}"
    if block.is_curl:
        statuses = [int(s) for s in re.findall(rf"^{STATUS}(\d+)$", result.stdout, re.MULTILINE)]
        assert statuses and all(200 <= s < 300 for s in statuses), where


def roles_table() -> list[tuple[str, str, list[str]]]:
    rows = re.findall(r"^\| `(GET|POST|PUT|DELETE) (/api/v1/\S*)` \|(.*)\|$", DOC.read_text(), re.M)
    return [(method, path, [c.strip() for c in cells.split("|")]) for method, path, cells in rows]


def test_the_roles_table_lists_every_route_of_the_api(demo_server: Server) -> None:
    document = httpx.get(f"{demo_server.api}/openapi.json").json()
    served = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        if path.startswith("/api/v1/")
        for method in operations
    }
    documented = [(method, path) for method, path, _ in roles_table()]
    assert len(documented) == len(set(documented))
    assert set(documented) == served


PATH_VALUES = {
    "authority_id": "presidency",
    "agency_id": "dea",
    "item_id": "co-2025-0417",
    "undertaking_id": "dea-2025-01",
    "order_id": "co-us-suspension",
    "condition_id": "caribbean-vessel-strikes",
    "request_id": "1",
    "agreement_id": "dea-maritime",
    "source_id": "no-such-source",
    "fingerprint": "12" * 32,
    "index": "0",
    "consent_id": "consent--none",
    "witness_id": "no-such-witness",
}


def test_the_roles_table_is_what_the_server_enforces(
    demo_server: Server, environment: dict[str, str]
) -> None:
    """Each role calls each route: a dot must be 403, anything else must get past the check.

    Writes send an empty body: a permitted role then fails validation (422) before anything
    is changed, while a refused one is stopped by the role check first.
    """
    calls: list[tuple[str, str, str | None, str]] = [
        (method, path, role, cell)
        for method, path, cells in roles_table()
        for role, cell in zip(ROLES, cells, strict=True)
    ]
    calls += [(m, p, None, "public") for m, p, cells in roles_table() if set(cells) == {"public"}]

    def status(http: httpx.Client, method: str, path: str, role: str | None) -> int:
        headers = {"Authorization": f"Bearer {environment[role.upper()]}"} if role else {}
        body: dict[str, str] | None = {} if method in ("POST", "PUT") else None
        url = path.format(**PATH_VALUES)
        return http.request(method, url, json=body, headers=headers).status_code

    with httpx.Client(base_url=demo_server.url, timeout=20) as http, ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda call: status(http, *call[:3]), calls))
    mismatches = [
        f"{method} {path} as {role or 'no token'}: the table says {cell!r}, the server {got}"
        for (method, path, role, cell), got in zip(calls, statuses, strict=True)
        if got == 401 or (got == 403) != (cell == "·")
    ]
    assert mismatches == []


def _subclasses(cls: type[GaranteError]) -> list[type[GaranteError]]:
    return [c for sub in cls.__subclasses__() for c in (sub, *_subclasses(sub))]


# Codes the API layer answers with itself, not through a GaranteError class.
API_CODES = {
    "not_found": 404,
    "method_not_allowed": 405,
    "request.too_large": 413,
    "validation.invalid": 422,
    "internal.error": 500,
}
# Bases that exist to be subclassed, never raised to an API caller as such.
BASES = {"garante.error", "conflict"}


def test_the_error_codes_table_matches_the_code() -> None:
    assert garante.api.app and garante.service.app  # every error class is imported
    known = {c.code: c.http_status for c in _subclasses(GaranteError)} | API_CODES
    rows = re.findall(r"^\| (\d{3}) \| `([a-z_.]+)` \|", DOC.read_text(), re.MULTILINE)
    documented = {code: int(status) for status, code in rows}
    assert len(rows) == len(documented)
    assert {c: known.get(c) for c in documented} == documented
    # Every error the server side defines (the CLI's own are not the API's).
    core = {c.code for c in _subclasses(GaranteError) if not c.__module__.startswith("garante.cli")}
    assert core - BASES - set(documented) == set()
