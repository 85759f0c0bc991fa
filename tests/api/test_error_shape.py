"""Every error path of the API answers in the one documented shape, with a documented code.

``assert_canonical_error`` is the one definition of that shape: a JSON object with ``code`` and
``message`` and optionally ``field`` and ``hint``, all strings, and nothing else. Each test
below provokes one error path on a real server; the last tests check that docs/errors.md lists
every error class and every code literal in ``src/``.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

import garante.api.app
import garante.cli.main
from garante.api.app import MAX_BODY
from garante.domain.errors import GaranteError
from garante.ledger.errors import LedgerError
from garante.ledger.verify import VerificationError
from tests.support.servers import Server

ROOT = Path(__file__).resolve().parents[2]
ERRORS_DOC = ROOT / "docs" / "errors.md"
SHAPE = {"code", "message", "field", "hint"}


def documented_codes() -> dict[str, set[str]]:
    """Each code listed in a table of docs/errors.md, with the statuses its rows give."""
    rows = re.findall(r"^\|\s*`([^`]+)`\s*\|\s*(\d{3}|—)\s*\|", ERRORS_DOC.read_text(), re.M)
    codes: dict[str, set[str]] = {}
    for code, status in rows:
        codes.setdefault(code, set()).add(status)
    return codes


def assert_canonical_error(
    response: httpx.Response, status: int, code: str | None = None
) -> dict[str, str]:
    """The response is an error in the one shape, with this status (and code, if given)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert isinstance(body, dict), body
    assert {"code", "message"} <= body.keys() <= SHAPE, body
    assert all(isinstance(value, str) and value for value in body.values()), body
    if code is not None:
        assert body["code"] == code, body
    assert body["code"] in documented_codes(), f"{body['code']} is not in docs/errors.md"
    return body


@pytest.fixture(scope="module")
def client(demo_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=demo_server.api, timeout=30) as session:
        yield session


@pytest.fixture(scope="module")
def auth(demo_server: Server) -> dict[str, dict[str, str]]:
    """Authorization headers by role."""
    tokens = {
        "analyst": demo_server.token("analyst", agency="dipol"),
        "liaison": demo_server.token("liaison", agency="dipol"),
        "authority": demo_server.token("authority", authority="presidency"),
        "partner": demo_server.token("partner", agency="dea"),
    }
    return {role: {"Authorization": f"Bearer {token}"} for role, token in tokens.items()}


# -- 401 and 403 ------------------------------------------------------------------------------


def test_no_token_is_401_unauthenticated(client: httpx.Client) -> None:
    body = assert_canonical_error(client.get("/held"), 401, "auth.unauthenticated")
    assert "hint" in body


@pytest.mark.parametrize(
    "token", ["gar_" + "A" * 43, "not-a-garante-token"], ids=["unknown", "not-garante"]
)
def test_a_bad_token_is_401_unauthenticated(client: httpx.Client, token: str) -> None:
    response = client.get("/held", headers={"Authorization": f"Bearer {token}"})
    assert_canonical_error(response, 401, "auth.unauthenticated")


def test_a_scheme_other_than_bearer_is_401_unauthenticated(client: httpx.Client) -> None:
    response = client.get("/held", headers={"Authorization": "Basic ZGVhOnNlY3JldA=="})
    assert_canonical_error(response, 401, "auth.unauthenticated")


def test_a_role_that_may_not_is_403_forbidden_naming_the_roles_that_may(
    client: httpx.Client, auth: dict[str, dict[str, str]]
) -> None:
    body = assert_canonical_error(
        client.get("/held", headers=auth["partner"]), 403, "auth.forbidden"
    )
    assert body["hint"] == "allowed roles: analyst, authority, liaison, overseer"


def test_a_partner_giving_another_agencys_undertaking_is_403_on_field_agency(
    client: httpx.Client, auth: dict[str, dict[str, str]]
) -> None:
    response = client.post(
        "/undertakings/draft",
        json={"agency": "fbi", "permits": ["analysis"]},
        headers=auth["partner"],
    )
    assert assert_canonical_error(response, 403, "auth.forbidden")["field"] == "agency"


# -- 404 and 405 ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/no-such-route", "/no-such-route"])
def test_an_unknown_route_is_404_not_found(demo_server: Server, url: str) -> None:
    assert_canonical_error(httpx.get(demo_server.url + url), 404, "not_found")


@pytest.mark.parametrize(
    ("role", "method", "path", "body", "code"),
    [
        ("analyst", "GET", "/items/no-such-item", None, "item.not_found"),
        ("analyst", "GET", "/agencies/no-such-agency", None, "agency.not_found"),
        ("analyst", "GET", "/agencies/no-such-agency/standing", None, "agency.not_found"),
        ("analyst", "GET", "/orders/no-such-order", None, "order.not_found"),
        ("analyst", "GET", "/releases/999999", None, "request.not_found"),
        ("analyst", "GET", "/releases/999999/decisions", None, "request.not_found"),
        (
            "authority",
            "POST",
            "/conditions/no-such-condition/set",
            {"active": True, "evidence": "test"},
            "condition.not_found",
        ),
        (
            "liaison",
            "POST",
            "/undertakings/no-such-undertaking/revoke",
            {"reason": "test"},
            "undertaking.not_found",
        ),
        ("analyst", "GET", "/audit/proof/inclusion?index=999999", None, "ledger.entry_not_found"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_an_unknown_object_is_404_with_its_kinds_code(
    client: httpx.Client,
    auth: dict[str, dict[str, str]],
    role: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    code: str,
) -> None:
    response = client.request(method, path, json=body, headers=auth[role])
    assert_canonical_error(response, 404, code)


def test_a_method_the_route_lacks_is_405_with_allow(client: httpx.Client) -> None:
    response = client.delete("/held")
    assert_canonical_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET"


def test_405_allow_lists_every_method_of_the_path(client: httpx.Client) -> None:
    response = client.delete("/items")
    assert_canonical_error(response, 405, "method_not_allowed")
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}


# -- 409 and 413 ------------------------------------------------------------------------------


def test_a_duplicate_id_is_409_already_exists_on_field_id(
    client: httpx.Client, auth: dict[str, dict[str, str]]
) -> None:
    response = client.post(
        "/agencies", json={"id": "dea", "name": "Again", "country": "US"}, headers=auth["liaison"]
    )
    assert assert_canonical_error(response, 409, "conflict.already_exists")["field"] == "id"


def test_a_change_the_state_forbids_is_409_invalid_state(
    client: httpx.Client, auth: dict[str, dict[str, str]]
) -> None:
    # The demo's condition is derived from events; only events may move it.
    response = client.post(
        "/conditions/caribbean-vessel-strikes/set",
        json={"active": False, "evidence": "test"},
        headers=auth["authority"],
    )
    assert_canonical_error(response, 409, "conflict.invalid_state")


@pytest.mark.parametrize("role", ["analyst", None], ids=["analyst", "no-token"])
def test_a_body_over_2_mib_is_413_too_large(
    client: httpx.Client, auth: dict[str, dict[str, str]], role: str | None
) -> None:
    headers = {"Content-Type": "application/json", **(auth[role] if role else {})}
    response = client.post("/items", content=b" " * (MAX_BODY + 1), headers=headers)
    assert_canonical_error(response, 413, "request.too_large")


def test_a_body_of_exactly_2_mib_is_read(
    client: httpx.Client, auth: dict[str, dict[str, str]]
) -> None:
    headers = {"Content-Type": "application/json", **auth["analyst"]}
    response = client.post("/items", content=b" " * MAX_BODY, headers=headers)
    assert_canonical_error(response, 422, "validation.invalid")


def test_a_chunked_body_over_2_mib_is_413_too_large(
    client: httpx.Client, auth: dict[str, dict[str, str]]
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"id": "too-large", "title": "'
        for _ in range(3 * 1024):
            yield b"x" * 1024
        yield b'"}'

    headers = {"Content-Type": "application/json", **auth["analyst"]}
    response = client.post("/items", content=chunks(), headers=headers)
    assert "content-length" not in response.request.headers
    assert_canonical_error(response, 413, "request.too_large")


# -- 422 --------------------------------------------------------------------------------------

RELEASE = {"item": "co-2025-0417", "recipient": "dea", "purpose": "seizure"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**RELEASE, "item": 417}, "item"),
        ({**RELEASE, "urgent": True}, "urgent"),
        ({"item": "co-2025-0417", "recipient": "dea"}, "purpose"),
    ],
    ids=["wrong-type", "extra-field", "missing-field"],
)
def test_a_body_of_the_wrong_shape_is_422_naming_the_field(
    client: httpx.Client, auth: dict[str, dict[str, str]], body: dict[str, Any], field: str
) -> None:
    response = client.post("/releases", json=body, headers=auth["analyst"])
    error = assert_canonical_error(response, 422, "validation.invalid")
    assert error["field"] == field
    assert error["message"].startswith(f"{field}: ")
    assert "openapi.json" in error["hint"]


def test_a_nested_member_of_the_wrong_type_is_named_by_its_path(
    client: httpx.Client, auth: dict[str, dict[str, str]]
) -> None:
    body = {"effect": "hold", "scope": {"agencies": "dea"}, "reason": "test"}
    response = client.post("/orders/draft", json=body, headers=auth["authority"])
    assert assert_canonical_error(response, 422, "validation.invalid")["field"] == "scope.agencies"


def test_a_value_outside_its_vocabulary_is_422_naming_the_field_with_a_hint(
    client: httpx.Client, auth: dict[str, dict[str, str]]
) -> None:
    body = {**RELEASE, "purpose": "seizur"}
    response = client.post("/releases", json=body, headers=auth["analyst"])
    error = assert_canonical_error(response, 422, "validation.unknown_value")
    assert error["field"] == "purpose"
    assert error["hint"].startswith("did you mean 'seizure'?")


def test_an_unknown_query_value_is_422_unknown_value(
    client: httpx.Client, auth: dict[str, dict[str, str]]
) -> None:
    response = client.get("/releases", params={"outcome": "leaked"}, headers=auth["analyst"])
    assert assert_canonical_error(response, 422, "validation.unknown_value")["field"] == "outcome"


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    ["!!!not-base64!!!", _cursor({"before": 1}), _cursor({"after": True}), _cursor([1])],
    ids=["garbage", "no-after", "bool-after", "not-an-object"],
)
def test_a_cursor_the_server_did_not_issue_is_422_on_field_cursor(
    client: httpx.Client, auth: dict[str, dict[str, str]], cursor: str
) -> None:
    response = client.get("/releases", params={"cursor": cursor}, headers=auth["analyst"])
    assert assert_canonical_error(response, 422, "validation.invalid")["field"] == "cursor"


@pytest.mark.parametrize("limit", ["0", "1001", "-1", "ten"])
def test_a_limit_out_of_range_is_422_on_field_limit(
    client: httpx.Client, auth: dict[str, dict[str, str]], limit: str
) -> None:
    response = client.get("/releases", params={"limit": limit}, headers=auth["analyst"])
    error = assert_canonical_error(response, 422, "validation.invalid")
    # The request parser names it by its location (query.limit); the pager would say limit.
    assert error["field"] in ("limit", "query.limit")


def test_a_path_parameter_of_the_wrong_type_is_422(
    client: httpx.Client, auth: dict[str, dict[str, str]]
) -> None:
    response = client.get("/releases/first", headers=auth["analyst"])
    error = assert_canonical_error(response, 422, "validation.invalid")
    assert error["field"] in ("request_id", "path.request_id")


@pytest.mark.parametrize(
    ("role", "path", "body"),
    [
        (
            "authority",
            "/orders",
            {"effect": "hold", "scope": "all", "reason": "test", "signature": "%%%garbage"},
        ),
        (
            "liaison",
            "/undertakings",
            {"agency": "fbi", "permits": ["analysis"], "signature": "bm90IDY0IGJ5dGVz"},
        ),
    ],
    ids=["order-not-base64", "undertaking-not-64-bytes"],
)
def test_a_signature_that_is_not_base64_of_64_bytes_is_422_signature_invalid(
    client: httpx.Client,
    auth: dict[str, dict[str, str]],
    role: str,
    path: str,
    body: dict[str, Any],
) -> None:
    response = client.post(path, json=body, headers=auth[role])
    assert assert_canonical_error(response, 422, "signature.invalid")["field"] == "signature"


def test_an_unsigned_statement_from_a_signer_with_a_key_is_422_signature_required(
    client: httpx.Client, auth: dict[str, dict[str, str]]
) -> None:
    body = {"effect": "hold", "scope": {"agencies": ["nca"]}, "reason": "test"}
    response = client.post("/orders", json=body, headers=auth["authority"])
    error = assert_canonical_error(response, 422, "signature.required")
    assert error["field"] == "signature"


def test_a_public_key_that_cannot_be_read_is_422_key_invalid(
    client: httpx.Client, auth: dict[str, dict[str, str]]
) -> None:
    response = client.put(
        "/agencies/fbi/key", json={"public_key": "not a key"}, headers=auth["liaison"]
    )
    assert assert_canonical_error(response, 422, "key.invalid")["field"] == "public_key"


def test_a_body_that_is_not_json_is_422(
    client: httpx.Client, auth: dict[str, dict[str, str]]
) -> None:
    headers = {"Content-Type": "application/json", **auth["analyst"]}
    response = client.post("/releases", content=b"{not json", headers=headers)
    assert_canonical_error(response, 422, "validation.invalid")


def test_a_body_that_is_not_json_names_no_character_offset_as_field(
    client: httpx.Client, auth: dict[str, dict[str, str]]
) -> None:
    headers = {"Content-Type": "application/json", **auth["analyst"]}
    response = client.post("/releases", content=b"{not json", headers=headers)
    error = assert_canonical_error(response, 422, "validation.invalid")
    assert not error.get("field", "body").isdigit()


def test_a_body_that_is_not_utf8_is_422_like_any_body_that_is_not_json(
    client: httpx.Client, auth: dict[str, dict[str, str]]
) -> None:
    headers = {"Content-Type": "application/json", **auth["analyst"]}
    response = client.post("/releases", content=b'{"item": "\xe9"}', headers=headers)
    assert_canonical_error(response, 422, "validation.invalid")


@pytest.mark.parametrize(
    "path",
    [f"/releases/{2**64}", f"/releases/{2**64}/decisions", f"/audit/entries?start={2**64}"],
)
def test_an_integer_beyond_64_bits_is_a_client_answer_not_a_500(
    client: httpx.Client, auth: dict[str, dict[str, str]], path: str
) -> None:
    response = client.get(path, headers=auth["analyst"])
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert_canonical_error(response, response.status_code)


@pytest.mark.parametrize(
    ("role", "path", "body"),
    [
        (
            "analyst",
            "/events",
            {"kind": "x", "region": "pacific", "occurred_at": "0001-01-01T00:00:00+01:00"},
        ),
        (
            "analyst",
            "/events",
            {"kind": "x", "region": "pacific", "occurred_at": "9999-12-31T23:59:59-01:00"},
        ),
        (
            "authority",
            "/orders/draft",
            {"effect": "hold", "reason": "x", "valid_until": "0001-01-01T00:00:00+01:00"},
        ),
        (
            "liaison",
            "/undertakings/draft",
            {"agency": "fbi", "permits": ["analysis"], "valid_from": "0001-01-01T00:00:00+01:00"},
        ),
    ],
    ids=["event-before-year-1", "event-after-9999", "order-valid-until", "undertaking-valid-from"],
)
def test_a_timestamp_outside_the_calendar_in_utc_is_422_not_500(
    client: httpx.Client,
    auth: dict[str, dict[str, str]],
    role: str,
    path: str,
    body: dict[str, Any],
) -> None:
    response = client.post(path, json=body, headers=auth[role])
    assert_canonical_error(response, 422, "validation.invalid")


@pytest.mark.parametrize(
    ("role", "method", "path", "body", "code"),
    [
        (
            "authority",
            "POST",
            "/orders",
            {"effect": "hold", "scope": "all", "reason": "x", "signature": "sígnature"},
            "signature.invalid",
        ),
        (
            "liaison",
            "POST",
            "/undertakings",
            {"agency": "fbi", "permits": ["analysis"], "signature": "sígnature"},
            "signature.invalid",
        ),
        ("liaison", "PUT", "/agencies/fbi/key", {"public_key": "clé"}, "key.invalid"),
    ],
    ids=["order-signature", "undertaking-signature", "agency-key"],
)
def test_a_signature_or_key_with_non_ascii_characters_is_422_not_500(
    client: httpx.Client,
    auth: dict[str, dict[str, str]],
    role: str,
    method: str,
    path: str,
    body: dict[str, Any],
    code: str,
) -> None:
    response = client.request(method, path, json=body, headers=auth[role])
    assert assert_canonical_error(response, 422, code)["field"] in ("signature", "public_key")


# -- docs/errors.md ---------------------------------------------------------------------------


E = TypeVar("E", bound=Exception)


def _subclasses(cls: type[E]) -> Iterator[type[E]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _error_classes() -> list[type[GaranteError] | type[LedgerError] | type[VerificationError]]:
    # The API app and the CLI import every module that defines an error class.
    assert garante.api.app and garante.cli.main
    return [
        GaranteError,
        *_subclasses(GaranteError),
        LedgerError,
        *_subclasses(LedgerError),
        VerificationError,
    ]


def test_every_error_class_has_its_code_in_docs_errors_md() -> None:
    codes = documented_codes()
    missing = {
        f"{cls.__module__}.{cls.__qualname__}": cls.code
        for cls in _error_classes()
        if cls.code not in codes
    }
    assert not missing, f"list these codes in docs/errors.md: {missing}"


def test_docs_errors_md_gives_each_garante_error_its_http_status() -> None:
    codes = documented_codes()
    raised: list[type[GaranteError]] = [GaranteError, *_subclasses(GaranteError)]
    wrong = {
        cls.code: (cls.http_status, sorted(codes.get(cls.code, set())))
        for cls in raised
        if str(cls.http_status) not in codes.get(cls.code, set())
    }
    assert not wrong, f"code: (status raised, statuses documented): {wrong}"


CODE_LITERALS = (
    re.compile(r"\bcode\s*=\s*\"([a-z0-9_.]+)\""),  # code = "x" and code="x"
    re.compile(r"\"code\":\s*\"([a-z0-9_.]+)\""),  # {"code": "x"}
    re.compile(r"_body\(\s*\"([a-z0-9_.]+)\""),  # errors._body("x", ...)
    re.compile(r"\d{3}:\s*\"([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*)\""),  # {404: "not_found"}
)


def test_every_code_literal_in_src_is_listed_in_docs_errors_md() -> None:
    found: dict[str, str] = {}
    for path in sorted((ROOT / "src" / "garante").rglob("*.py")):
        text = path.read_text()
        for pattern in CODE_LITERALS:
            for code in pattern.findall(text):
                found.setdefault(code, str(path.relative_to(ROOT)))
    assert {"request.too_large", "internal.error", "method_not_allowed"} <= found.keys()
    missing = {code: where for code, where in found.items() if code not in documented_codes()}
    assert not missing, f"list these codes in docs/errors.md: {missing}"


# -- NUL characters, which PostgreSQL refuses in any text --------------------------------------


def test_a_nul_in_a_body_string_is_422_naming_the_field_and_stores_nothing(
    client: httpx.Client, auth: dict[str, dict[str, str]]
) -> None:
    before = len(client.get("/events", headers=auth["analyst"]).json()["items"])
    response = client.post(
        "/events",
        json={"kind": "vessel-strike", "region": "caribbean", "note": "cut\u0000here"},
        headers=auth["analyst"],
    )
    assert "NUL" in assert_canonical_error(response, 422, "validation.invalid")["message"]
    assert len(client.get("/events", headers=auth["analyst"]).json()["items"]) == before


@pytest.mark.parametrize(
    "path", ["/agencies/dea%00", "/releases?recipient=dea%00", "/orders/co-us%00suspension"]
)
def test_a_nul_in_a_path_or_query_is_422_on_every_store(
    client: httpx.Client, auth: dict[str, dict[str, str]], path: str
) -> None:
    assert_canonical_error(client.get(path, headers=auth["analyst"]), 422, "validation.invalid")


def test_a_nul_in_a_taxii_query_is_refused_not_a_server_error(demo_server: Server) -> None:
    response = httpx.get(f"{demo_server.url}/taxii2/api/collections/?x=%00", timeout=30)
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    "scope", [None, {}, {"agencies": []}], ids=["missing", "empty-object", "empty-lists"]
)
def test_an_order_without_a_scope_is_422_scope_not_explicit_saying_what_is_accepted(
    client: httpx.Client, auth: dict[str, dict[str, str]], scope: dict[str, Any] | None
) -> None:
    body: dict[str, Any] = {"effect": "hold", "reason": "test"}
    if scope is not None:
        body["scope"] = scope
    response = client.post("/orders/draft", json=body, headers=auth["authority"])
    error = assert_canonical_error(response, 422, "validation.scope_not_explicit")
    assert error["field"] == "scope"
    assert '"all"' in error["hint"]


def test_an_order_for_all_is_drafted_with_its_reach(
    client: httpx.Client, auth: dict[str, dict[str, str]]
) -> None:
    body = {"effect": "hold", "scope": "all", "reason": "test"}
    response = client.post("/orders/draft", json=body, headers=auth["authority"])
    assert response.status_code == 200, response.text
    drafted = response.json()
    assert drafted["statement"]["scope"] == {
        "agencies": [],
        "countries": [],
        "categories": [],
        "regions": [],
    }
    reach = drafted["reach"]
    assert reach["partners"] == reach["of_partners"] > 0
    assert reach["agencies"] == reach["of_agencies"] > reach["partners"]
    assert "(every partner)" in reach["summary"]


def test_a_scope_that_is_neither_all_nor_an_object_is_422_on_field_scope(
    client: httpx.Client, auth: dict[str, dict[str, str]]
) -> None:
    body = {"effect": "hold", "scope": "everything", "reason": "test"}
    response = client.post("/orders/draft", json=body, headers=auth["authority"])
    error = assert_canonical_error(response, 422, "validation.invalid")
    assert error["field"] == "scope"
    assert "'all'" in error["message"]


def test_an_amendment_clearing_the_scope_must_say_all(
    client: httpx.Client, auth: dict[str, dict[str, str]]
) -> None:
    path = "/orders/co-us-suspension/amend/draft"
    refused = client.post(path, json={"scope": {}}, headers=auth["authority"])
    error = assert_canonical_error(refused, 422, "validation.scope_not_explicit")
    assert error["field"] == "scope"
