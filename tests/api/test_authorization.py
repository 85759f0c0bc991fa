"""Who may call what: every role against every operation of the OpenAPI document.

One row per operation names the roles allowed to call it (``PUBLIC``: no token needed). Each
row is tried with a token of every role and with none: an allowed role must get past the role
check (neither 401 nor 403, nor a 5xx), any other role must get ``403 auth.forbidden``, and no
token must get ``401 auth.unauthenticated``. A partner authenticated by its client certificate
(the headers a trusted proxy sets, sent from loopback, which this server trusts) is held to the
partner's row. A route the table does not list fails
``test_every_operation_of_the_document_has_a_row``, so a new route cannot go unchecked.

Allowed calls send plausible bodies and change this module's own server (never the shared
``demo_server``): an allowed caller may still be refused past the role check (409 on a second
call, 422 for a statement that needs a signature); only 401, 403 and 5xx count against it.
"""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from garante.api.clientcert import CERT_HEADER, VERIFIED, VERIFY_HEADER
from garante.signatures import public_key_bytes
from tests.support import reach
from tests.support.pki import Pki
from tests.support.scenario import scenario_bundle
from tests.support.servers import Server, running_server
from tests.support.stores import new_store

ANALYST, LIAISON, AUTHORITY, PARTNER, OVERSEER = (
    "analyst",
    "liaison",
    "authority",
    "partner",
    "overseer",
)
ROLES = (ANALYST, LIAISON, AUTHORITY, PARTNER, OVERSEER)
PARTNER_CERT = "partner-certificate"  # the partner, by a client certificate a proxy verified
CALLERS = (*ROLES, PARTNER_CERT, None)  # None: no token at all
INTERNAL = frozenset({ANALYST, LIAISON, AUTHORITY, OVERSEER})
EVERYONE = INTERNAL | {PARTNER}
PUBLIC = frozenset({*ROLES, None})

PARTNER_AGENCY = "hsi"  # registers no key in the demo, so it may give undertakings unsigned

# Objects of the demo that path parameters name.
PATH = {
    "agency_id": "cti",
    "authority_id": "presidency",
    "item_id": "co-2025-0417",
    "undertaking_id": "fbi-2025-01",
    "order_id": "co-us-suspension",
    "condition_id": "caribbean-vessel-strikes",
    "request_id": "1",
    "agreement_id": "hsi-authz",
    "source_id": "authz-source",
}


def _fresh_key() -> str:
    return base64.b64encode(public_key_bytes(Ed25519PrivateKey.generate().public_key())).decode()


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # as in the OpenAPI document, without the /api/v1 prefix
    allowed: frozenset[str | None]
    body: dict[str, Any] | None = None
    query: dict[str, Any] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)  # path parameters other than PATH's

    @property
    def url_path(self) -> str:
        return self.path.format(**{**PATH, **self.params})

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


def _set(*roles: str) -> frozenset[str | None]:
    return frozenset(roles)


PERIOD = {"from": "2025-11-01T00:00:00Z", "to": "2025-11-14T00:00:00Z"}
ORDER_TERMS = {"effect": "hold", "scope": {"agencies": ["nca"]}, "reason": "authorization matrix"}
AGREEMENT_TERMS = {"partner": "hsi", "purposes": ["analysis"], "tlp_ceiling": "green"}

MATRIX: tuple[Row, ...] = (
    # meta
    Row("GET", "/health", PUBLIC),
    Row("GET", "/me", EVERYONE),
    # agencies and authorities
    Row("GET", "/agencies", EVERYONE),
    Row(
        "POST",
        "/agencies",
        _set(LIAISON),
        body={"id": "authz-agency", "name": "Authz Agency", "country": "PE"},
    ),
    Row("GET", "/agencies/{agency_id}", EVERYONE),
    Row(
        "POST",
        "/agencies/{agency_id}/key/draft",
        _set(LIAISON),
        body={"public_key": _fresh_key()},
    ),
    Row("PUT", "/agencies/{agency_id}/key", _set(LIAISON), body={"public_key": _fresh_key()}),
    Row("GET", "/agencies/{agency_id}/standing", INTERNAL),
    Row("GET", "/standings", INTERNAL),
    Row("GET", "/authorities", INTERNAL),
    Row("POST", "/authorities", _set(LIAISON), body={"id": "authz-authority", "name": "Authz"}),
    Row(
        "POST",
        "/authorities/{authority_id}/key/draft",
        _set(LIAISON),
        body={"public_key": _fresh_key()},
    ),
    Row("PUT", "/authorities/{authority_id}/key", _set(LIAISON), body={"public_key": _fresh_key()}),
    # items
    Row("GET", "/items", _set(ANALYST, AUTHORITY, OVERSEER)),
    Row(
        "POST",
        "/items",
        _set(ANALYST),
        body={
            "id": "authz-item",
            "title": "Authorization matrix item",
            "category": "drug-trafficking",
            "region": "caribbean",
            "tlp": "amber",
            "bundle": scenario_bundle(),
        },
    ),
    Row("GET", "/items/{item_id}", _set(ANALYST, AUTHORITY, OVERSEER)),
    Row("GET", "/items/{item_id}/versions", _set(ANALYST, AUTHORITY, OVERSEER)),
    # undertakings
    Row("GET", "/undertakings", EVERYONE),
    Row(
        "POST",
        "/undertakings/draft",
        _set(LIAISON, PARTNER),
        body={"agency": PARTNER_AGENCY, "permits": ["analysis"]},
    ),
    Row(
        "POST",
        "/undertakings",
        _set(LIAISON, PARTNER),
        body={"agency": PARTNER_AGENCY, "permits": ["analysis"]},
    ),
    Row(
        "POST",
        "/undertakings/{undertaking_id}/revoke",
        _set(LIAISON),
        body={"reason": "authorization matrix"},
    ),
    # standing agreements
    Row("GET", "/agreements", EVERYONE),
    Row("GET", "/agreements/{agreement_id}", EVERYONE),
    Row("POST", "/agreements/draft", _set(LIAISON), body=AGREEMENT_TERMS),
    Row("POST", "/agreements", _set(LIAISON), body={**AGREEMENT_TERMS, "id": "hsi-authz"}),
    Row(
        "POST",
        "/agreements/simulate",
        _set(LIAISON),
        body={**AGREEMENT_TERMS, "backfill_from": "2025-01-01T00:00:00Z"},
    ),
    Row("POST", "/agreements/{agreement_id}/amend/draft", _set(LIAISON), body={}),
    Row("POST", "/agreements/{agreement_id}/amend", _set(LIAISON), body={"reason": "matrix"}),
    Row("POST", "/agreements/{agreement_id}/suspend", _set(LIAISON), body={"reason": "matrix"}),
    Row("POST", "/agreements/{agreement_id}/resume", _set(LIAISON), body={"reason": "matrix"}),
    Row("POST", "/agreements/{agreement_id}/end", _set(LIAISON), body={"reason": "matrix"}),
    # orders
    Row("GET", "/orders", INTERNAL),
    Row("GET", "/orders/{order_id}", INTERNAL),
    Row("POST", "/orders/draft", _set(AUTHORITY), body=ORDER_TERMS),
    Row("POST", "/orders", _set(AUTHORITY), body=ORDER_TERMS),
    Row("POST", "/orders/{order_id}/amend/draft", _set(AUTHORITY), body={"reason": "matrix"}),
    Row("POST", "/orders/{order_id}/amend", _set(AUTHORITY), body={"reason": "matrix"}),
    Row("POST", "/orders/{order_id}/lift/draft", _set(AUTHORITY), body={"reason": "matrix"}),
    Row("POST", "/orders/{order_id}/lift", _set(AUTHORITY), body={"reason": "matrix"}),
    Row("POST", "/orders/simulate", _set(AUTHORITY), body=ORDER_TERMS, query=PERIOD),
    Row(
        "POST",
        "/orders/{order_id}/amend/simulate",
        _set(AUTHORITY),
        body={"reason": "matrix"},
        query=PERIOD,
    ),
    Row("POST", "/orders/{order_id}/lift/simulate", _set(AUTHORITY), query=PERIOD),
    # outcomes and reports
    Row("GET", "/outcomes", EVERYONE),
    Row(
        "POST",
        "/outcomes",
        _set(PARTNER, ANALYST),
        body={"release": 1, "agency": PARTNER_AGENCY, "kind": "no-action"},
    ),
    Row("GET", "/reports/partners", INTERNAL, query=PERIOD),
    # conditions and events
    Row("GET", "/conditions", INTERNAL),
    Row(
        "POST",
        "/conditions",
        _set(AUTHORITY),
        body={"id": "authz-condition", "description": "Authorization matrix", "active": False},
    ),
    Row("POST", "/conditions/refresh", _set(AUTHORITY, ANALYST)),
    Row(
        "POST",
        "/conditions/{condition_id}/set/draft",
        _set(AUTHORITY),
        body={"active": True, "evidence": "authorization matrix"},
    ),
    Row(
        "POST",
        "/conditions/{condition_id}/set",
        _set(AUTHORITY),
        body={"active": True, "evidence": "authorization matrix"},
    ),
    Row("GET", "/events", INTERNAL),
    Row(
        "POST",
        "/events/draft",
        _set(ANALYST, AUTHORITY),
        body={"kind": "matrix", "region": "pacific"},
    ),
    Row("POST", "/events", _set(ANALYST, AUTHORITY), body={"kind": "matrix", "region": "pacific"}),
    # releases
    Row(
        "POST",
        "/releases",
        _set(ANALYST),
        body={"item": "co-2025-0431", "recipient": "nca", "purpose": "analysis"},
    ),
    Row(
        "POST",
        "/releases/batch",
        _set(ANALYST),
        body={"releases": [{"item": "co-2025-0431", "recipient": "nca", "purpose": "analysis"}]},
    ),
    Row("GET", "/releases", EVERYONE),
    Row("GET", "/releases/{request_id}", EVERYONE),
    Row("GET", "/releases/{request_id}/decisions", INTERNAL),
    Row(
        "POST",
        "/releases/{request_id}/recall",
        _set(ANALYST),
        body={"reason": "authorization matrix"},
    ),
    Row("GET", "/held", INTERNAL),
    # audit
    Row("GET", "/audit/key", PUBLIC),
    Row("GET", "/audit/checkpoint", PUBLIC),
    Row("GET", "/audit/witnesses", PUBLIC),
    # The liaison, who keeps the registry, registers and removes witnesses (a key that is none
    # and a witness that is not registered are refused past the role check: 422, 404).
    Row("POST", "/audit/witnesses", _set(LIAISON), body={"key": "not-a-verifier-key"}),
    Row(
        "POST",
        "/audit/witnesses/{witness_id}/remove",
        _set(LIAISON),
        body={"reason": "authorization matrix"},
        params={"witness_id": "no-such-witness"},
    ),
    # Authenticated by the cosignature itself: a note that is none is refused (422) for all.
    Row("POST", "/audit/cosignatures", PUBLIC, body={"note": "not a signed checkpoint"}),
    Row("GET", "/audit/entries", INTERNAL, query={"start": 0, "end": 2}),
    Row("GET", "/audit/proof/inclusion", INTERNAL, query={"index": 0}),
    Row("GET", "/audit/proof/consistency", EVERYONE, query={"old": 1}),
    # receipts: a partner's own (another index is a 404, past the role check)
    Row("GET", "/receipts/{index}", EVERYONE, params={"index": "0"}),
    # sources
    Row("GET", "/sources", _set(ANALYST, OVERSEER)),
    Row(
        "POST",
        "/sources",
        _set(ANALYST),
        body={
            "id": "authz-source",
            "kind": "folder",
            "url": tempfile.gettempdir(),
            "category": "drug-trafficking",
            "region": "caribbean",
            "tlp": "amber",
            "interval": 86400,
        },
    ),
    Row("GET", "/sources/{source_id}", _set(ANALYST, OVERSEER)),
    Row("POST", "/sources/{source_id}/pause", _set(ANALYST), body={"reason": "matrix"}),
    Row("POST", "/sources/{source_id}/resume", _set(ANALYST), body={"reason": "matrix"}),
    Row("POST", "/sources/{source_id}/remove", _set(ANALYST), body={"reason": "matrix"}),
    Row("POST", "/sources/{source_id}/pull", _set(ANALYST)),
    Row("POST", "/sources/{source_id}/misp-events", _set(ANALYST), body={"Event": {}}),
    # client certificates of partners
    Row("GET", "/agencies/{agency_id}/certificates", EVERYONE),
    Row(
        "POST",
        "/agencies/{agency_id}/certificates",
        _set(LIAISON),
        body={"certificate": "ab" * 32},
        params={"agency_id": PARTNER_AGENCY},
    ),
    Row(
        "POST",
        "/agencies/{agency_id}/certificates/rotate",
        _set(LIAISON),
        body={"old": "cd" * 32, "new": "ef" * 32},
        params={"agency_id": PARTNER_AGENCY},
    ),
    Row(
        "DELETE",
        "/agencies/{agency_id}/certificates/{fingerprint}",
        _set(LIAISON),
        params={"agency_id": PARTNER_AGENCY, "fingerprint": "12" * 32},
    ),
    # partners writing back
    Row(
        "POST",
        "/acknowledgements",
        _set(PARTNER),
        body={
            "id": "note--authz",
            "of": "delivery",
            "release": 1,
            "agency": PARTNER_AGENCY,
            "acknowledged_at": "2025-11-13T22:00:00Z",
            "signature": base64.b64encode(bytes(64)).decode(),
        },
    ),
    Row("GET", "/acknowledgements", EVERYONE),
    Row("GET", "/recalls/unacknowledged", EVERYONE),
    # consent to share onward
    Row(
        "POST",
        "/consents",
        _set(PARTNER),
        body={
            "id": "consent--authz",
            "agency": PARTNER_AGENCY,
            "release": 1,
            "recipient": "authz-onward",
            "country": "GB",
            "purpose": "analysis",
            "requested_at": "2025-11-13T22:00:00Z",
            "signature": base64.b64encode(bytes(64)).decode(),
        },
    ),
    Row("GET", "/consents", EVERYONE),
    Row("GET", "/consents/{consent_id}", EVERYONE, params={"consent_id": "consent--none"}),
    Row(
        "POST",
        "/consents/{consent_id}/grant",
        _set(LIAISON),
        body={"reason": "authz"},
        params={"consent_id": "consent--none"},
    ),
    Row(
        "POST",
        "/consents/{consent_id}/refuse",
        _set(LIAISON),
        body={"reason": "authz"},
        params={"consent_id": "consent--none"},
    ),
)
ROWS = {(row.method, row.path): row for row in MATRIX}
# Writes that need a token (a public one, a witness's cosignature, authenticates itself).
MUTATING = tuple(row for row in MATRIX if row.method in ("POST", "PUT") and None not in row.allowed)


@pytest.fixture(scope="module")
def authz_server(request: pytest.FixtureRequest, server_backend: str) -> Iterator[Server]:
    store = new_store(request, server_backend, "authz")
    extra: tuple[str, ...] = ("--trusted-proxy", "127.0.0.1/32")  # we stand in for nginx
    extra += reach.serve_options()  # its source is a folder under the temporary directory
    with running_server(store, demo=True, extra=extra) as server:
        yield server


@pytest.fixture(scope="module")
def tokens(
    authz_server: Server, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, str]]:
    """The headers each caller sends: a token's, or the ones nginx sets for a certificate."""
    certificate = Pki(tmp_path_factory.mktemp("authz-pki")).issue("hsi-feed")
    done = authz_server.cli(
        "agencies", "certificate", "add", PARTNER_AGENCY, f"@{certificate.cert}"
    )
    assert done.returncode == 0, done.stderr
    bearer = {
        ANALYST: authz_server.token(ANALYST, agency="dipol"),
        LIAISON: authz_server.token(LIAISON, agency="dipol"),
        AUTHORITY: authz_server.token(AUTHORITY, authority="presidency"),
        PARTNER: authz_server.token(PARTNER, agency=PARTNER_AGENCY),
        OVERSEER: authz_server.token(OVERSEER, agency="cti"),
    }
    return {
        **{role: {"Authorization": f"Bearer {token}"} for role, token in bearer.items()},
        PARTNER_CERT: {VERIFY_HEADER: VERIFIED, CERT_HEADER: certificate.escaped()},
    }


@pytest.fixture(scope="module")
def client(authz_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=authz_server.api, timeout=30) as session:
        yield session


def _call(
    client: httpx.Client, row: Row, headers: dict[str, str] | None, body: Any = None
) -> httpx.Response:
    return client.request(
        row.method,
        row.url_path,
        params=row.query,
        json=row.body if body is None else body,
        headers=headers or {},
    )


def _document_operations(client: httpx.Client) -> set[tuple[str, str]]:
    document = client.get("/openapi.json").json()
    return {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, methods in document["paths"].items()
        for method in methods
    }


def test_every_operation_of_the_document_has_a_row(client: httpx.Client) -> None:
    missing = _document_operations(client) - set(ROWS)
    assert not missing, f"add these routes to the authorization matrix: {sorted(missing)}"


def test_every_row_is_an_operation_of_the_document(client: httpx.Client) -> None:
    stale = set(ROWS) - _document_operations(client)
    assert not stale, f"these rows name no route of the API: {sorted(stale)}"


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c or "no-token")
@pytest.mark.parametrize("row", MATRIX, ids=lambda r: r.id)
def test_role_is_allowed_or_refused_as_the_matrix_says(
    client: httpx.Client, tokens: dict[str, dict[str, str]], row: Row, caller: str | None
) -> None:
    response = _call(client, row, tokens[caller] if caller else None)
    if caller in row.allowed or (caller == PARTNER_CERT and PARTNER in row.allowed):
        assert response.status_code not in (401, 403), response.text
        assert response.status_code < 500, response.text
    elif caller is None:
        assert response.status_code == 401, response.text
        assert response.json()["code"] == "auth.unauthenticated"
    else:
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "auth.forbidden"
        assert response.json()["hint"].startswith("allowed roles: ")


@pytest.mark.parametrize("row", MUTATING, ids=lambda r: r.id)
def test_the_role_check_comes_before_body_validation(
    client: httpx.Client, tokens: dict[str, dict[str, str]], row: Row
) -> None:
    """A body that fails validation still gets 401 without a token, 403 for a wrong role."""
    invalid = {"unexpected": ["field"]}
    assert _call(client, row, None, body=invalid).status_code == 401
    refused = [role for role in ROLES if role not in row.allowed]
    if refused:
        response = _call(client, row, tokens[refused[0]], body=invalid)
        assert response.status_code == 403, response.text


@pytest.mark.parametrize(
    "row", [row for row in MATRIX if None not in row.allowed], ids=lambda r: r.id
)
def test_an_unknown_token_is_401(client: httpx.Client, row: Row) -> None:
    response = _call(client, row, {"Authorization": "Bearer gar_" + "x" * 43})
    assert response.status_code == 401
    assert response.json()["code"] == "auth.unauthenticated"


@pytest.mark.parametrize("path", ["/openapi.json", "/docs"])
def test_the_api_description_is_public(client: httpx.Client, path: str) -> None:
    assert client.get(path).status_code == 200
