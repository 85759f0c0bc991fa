"""Orders signed with a passkey over the API: the assertion goes where the signature would,
in the same body (``assertion``), and is checked as the service checks it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from garante.domain.passkeys import Assertion
from tests.support.passkey import RP, SoftAuthenticator
from tests.support.servers import Server

API = "/api/v1"


@pytest.fixture(scope="module")
def device(demo_server: Server) -> SoftAuthenticator:
    """A passkey of a new authority that has no Ed25519 key: its first key, without proof."""
    authenticator = SoftAuthenticator()
    with demo_server.store.service("test") as garante:
        garante.context.settings.relying_party = RP
        garante.register_authority("tribunal", name="Tribunal")
        garante.register_passkey("tribunal", authenticator.create())
    return authenticator


@pytest.fixture(scope="module")
def tribunal(demo_server: Server, device: SoftAuthenticator) -> Iterator[httpx.Client]:
    token = demo_server.token("authority", authority="tribunal")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=demo_server.url + API, headers=headers, timeout=30) as client:
        yield client


def _body(assertion: Assertion) -> dict[str, str]:
    return {
        "credential_id": assertion.credential_id,
        "authenticator_data": assertion.authenticator_data,
        "client_data_json": assertion.client_data_json,
        "signature": assertion.signature,
    }


def _drafted(client: httpx.Client, reason: str) -> tuple[dict[str, Any], dict[str, Any]]:
    terms: dict[str, Any] = {"effect": "hold", "scope": {"countries": ["US"]}, "reason": reason}
    draft = client.post("/orders/draft", json=terms)
    assert draft.status_code == 200, draft.text
    statement: dict[str, Any] = draft.json()["statement"]
    return {**terms, "id": statement["id"], "valid_from": statement["valid_from"]}, statement


def test_an_order_signed_with_a_passkey_is_issued_and_lifted(
    tribunal: httpx.Client, device: SoftAuthenticator
) -> None:
    terms, statement = _drafted(tribunal, "hold while the tribunal sits")
    issued = tribunal.post("/orders", json={**terms, "assertion": _body(device.sign(statement))})
    assert issued.status_code == 201, issued.text
    order_id = issued.json()["order"]["id"]
    lift = tribunal.post(f"/orders/{order_id}/lift/draft", json={"reason": "adjourned"})
    assertion = _body(device.sign(lift.json()["statement"]))
    lifted = tribunal.post(
        f"/orders/{order_id}/lift", json={"reason": "adjourned", "assertion": assertion}
    )
    assert lifted.status_code == 200, lifted.text


def test_an_assertion_over_another_statement_is_refused(
    tribunal: httpx.Client, device: SoftAuthenticator
) -> None:
    terms, _ = _drafted(tribunal, "one order")
    _, other = _drafted(tribunal, "another order")
    refused = tribunal.post("/orders", json={**terms, "assertion": _body(device.sign(other))})
    assert refused.status_code == 422
    assert refused.json()["code"] == "signature.invalid"
    assert "another statement" in refused.json()["message"]


def test_an_unsigned_order_of_an_authority_with_a_passkey_is_refused(
    tribunal: httpx.Client,
) -> None:
    terms, _ = _drafted(tribunal, "unsigned")
    refused = tribunal.post("/orders", json=terms)
    assert refused.status_code == 422
    assert refused.json()["code"] == "signature.required"


def test_an_assertion_that_is_not_base64url_is_a_validation_error(
    tribunal: httpx.Client, device: SoftAuthenticator
) -> None:
    terms, statement = _drafted(tribunal, "malformed")
    body = _body(device.sign(statement)) | {"signature": "not base64url!"}
    refused = tribunal.post("/orders", json={**terms, "assertion": body})
    assert refused.status_code == 422
    assert refused.json()["code"].startswith("validation")
