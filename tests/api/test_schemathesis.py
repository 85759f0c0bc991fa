"""Schemathesis against a real server: no 5xx, and every response as the OpenAPI document says.

One test per operation and role (schemathesis parametrizes over the document), each sending
at most ten generated requests (valid and invalid data), authenticated first as an overseer
(reads everything, may change nothing) and then as an analyst (may change items, releases and
events). Checked on every response: not a server error, a documented status code, a documented
content type, and a body that matches the documented schema.

The document is built from the application in-process, because schemathesis's lazy fixture
loader does not run under pytest 9 (it sets ``request.node._nodeid``, which pytest 9 removed);
``test_the_fuzzed_document_is_the_one_the_server_serves`` checks that it is the very document the
live server serves, so nothing is fuzzed that the server does not publish.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import assume
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from garante.api.app import create_app
from garante.service.app import Garante
from tests.api.server import Server, running_server


def _document() -> dict[str, Any]:
    """The OpenAPI document of the application, built over an empty in-memory store."""
    garante = Garante.open("sqlite://")
    try:
        return create_app(garante).openapi()
    finally:
        garante.close()


DOCUMENT = _document()

# A fixed seed makes a run reproducible; GARANTE_FUZZ_SEED=<int> explores other inputs.
SEED = int(os.environ.get("GARANTE_FUZZ_SEED", "20251111"))
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        # Positive and negative data; ten generated requests per operation.
        "generation": {"max-examples": 10, "mode": "all"},
        # The coverage phase enumerates boundary cases without a bound on their number; the
        # stateful phase does not run under pytest. Examples (none are declared) and fuzzing run.
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

SQLITE_MAX = 2**63 - 1
BODY_NOT_UTF8 = {"code": "http.400", "message": "There was an error parsing the body"}


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("fuzz") / "garante.db", demo=True) as server:
        yield server


@pytest.fixture(scope="module")
def tokens(fuzzed_server: Server) -> dict[str, str]:
    return {
        "overseer": fuzzed_server.token("overseer", agency="dipol"),
        "analyst": fuzzed_server.token("analyst", agency="dipol"),
    }


def _values(value: Any) -> Iterator[Any]:
    """Every scalar in a request part (parameters, a JSON body), however deeply nested."""
    if isinstance(value, dict):
        for member in value.values():
            yield from _values(member)
    elif isinstance(value, list | tuple):
        for member in value:
            yield from _values(member)
    else:
        yield value


def _leaves_the_calendar_in_utc(value: Any) -> bool:
    """A timestamp such as 0001-01-01T00:00:00+01:00, whose UTC time is outside years 1-9999."""
    if not isinstance(value, str):
        return False
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return False
    try:
        moment.astimezone(UTC)
    except OverflowError:
        return True
    return False


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _known_bug(case: Case, response: Any) -> str | None:
    """Which already-reported bug this exchange shows, if any.

    Each is listed under "Known gaps" in docs/errors.md and pinned by strict xfails in
    test_error_shape.py; when one is fixed, its xfail passes unexpectedly (and fails, being
    strict), and its entry here should go.
    """
    sent = list(_values([case.path_parameters, case.query or {}, case.body]))
    if response.status_code == 500:
        if any(
            isinstance(value, int) and not isinstance(value, bool) and abs(value) > SQLITE_MAX
            for value in sent
        ):
            return "integers beyond SQLite's 64 bits are a 500"
        if any(_leaves_the_calendar_in_utc(value) for value in sent):
            return "a timestamp whose UTC time is outside years 1-9999 is a 500"
    if response.status_code == 400 and _json(response) == BODY_NOT_UTF8:
        return "a body that is not UTF-8 is an undocumented 400 with code http.400"
    return None


def _call_and_validate(case: Case, server: Server, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    response = case.call(base_url=server.url, headers=headers)
    # Discard (not pass) the examples that only show a bug already reported and pinned.
    assume(_known_bug(case, response) is None)
    case.validate_response(response, checks=CHECKS, headers=headers)


def test_the_fuzzed_document_is_the_one_the_server_serves(fuzzed_server: Server) -> None:
    served = httpx.get(f"{fuzzed_server.api}/openapi.json")
    assert served.status_code == 200
    assert served.json() == DOCUMENT


def test_every_operation_is_fuzzed() -> None:
    operations = {
        (method.upper(), path) for path, methods in DOCUMENT["paths"].items() for method in methods
    }
    fuzzed = {
        (result.ok().method.upper(), result.ok().path) for result in schema.get_all_operations()
    }
    assert fuzzed == operations


@schema.parametrize()
def test_overseer_requests_get_documented_responses_and_no_5xx(
    case: Case, fuzzed_server: Server, tokens: dict[str, str]
) -> None:
    _call_and_validate(case, fuzzed_server, tokens["overseer"])


@schema.parametrize()
def test_analyst_requests_get_documented_responses_and_no_5xx(
    case: Case, fuzzed_server: Server, tokens: dict[str, str]
) -> None:
    _call_and_validate(case, fuzzed_server, tokens["analyst"])
