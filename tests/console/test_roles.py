"""The console's role rules are the API's: who may see each page, and who may write.

Every rule here holds however the person signed in: with an API token through the form, or
through the real OpenID provider (tests/support/oidc), its claims mapped to the same roles.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.console.pages import Console, copy_served
from tests.support.agreements import make_agreement

PAGES = ["/partners", "/orders", "/orders/co-us-suspension", "/held", "/releases", "/audit"]
PAGES += [
    "/charts",
    "/orders/new",
    "/audit/inclusion.json?index=0",
    "/audit/consistency.json?old=1",
]
PAGES += ["/items", "/items/co-2025-0417", "/releases/11"]
# Standing agreements: the test makes dea-ag-1, the DEA's (the partner signed in).
PAGES += ["/agreements", "/agreements/new", "/agreements/dea-ag-1"]
# An authority's passkeys (WebAuthn).
PAGES += ["/passkeys"]
# Sources' health: the roles the service admits to sources (analysts and overseers).
PAGES += ["/sources"]
SOURCES = {"/sources"}


@pytest.fixture(params=["token", "oidc"])
def console(request: pytest.FixtureRequest, demo_store: Path, tmp_path: Path) -> Iterator[Console]:
    provider = request.getfixturevalue("oidc_provider") if request.param == "oidc" else None
    with copy_served(demo_store, tmp_path, provider) as served:
        yield served


INTERNAL = {"authority", "overseer", "analyst", "liaison"}
# Pages every signed-in role sees (a partner sees its own part of them).
EVERYONE = {"/partners", "/releases", "/audit", "/charts", "/agreements", "/agreements/dea-ag-1"}
AUTHORITY_ONLY = {"/orders/new", "/passkeys"}
LIAISON_ONLY = {"/agreements/new"}
# Items and who they went to: the roles the service admits to items (not a liaison officer).
ITEMS = {"/items", "/items/co-2025-0417"}


def _allowed(role: str, path: str) -> bool:
    if path in AUTHORITY_ONLY:
        return role == "authority"
    if path in LIAISON_ONLY:
        return role == "liaison"
    if path in ITEMS:
        return role in {"authority", "overseer", "analyst"}
    if path in SOURCES:
        return role in {"overseer", "analyst"}
    if path in EVERYONE:
        return True
    return role in INTERNAL


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role", ["authority", "overseer", "analyst", "liaison", "partner"])
def test_role_sees_a_page_or_gets_403(console: Console, role: str, path: str) -> None:
    if path.startswith("/agreements/"):
        make_agreement(console.garante)
    console.sign_in(role)
    response = console.client.get(path, follow_redirects=False)
    assert response.status_code == (200 if _allowed(role, path) else 403), response.text[:500]


WRITES = [
    ("/orders/preview", {"effect": "hold", "reason": "r"}),
    ("/orders/issue", {"effect": "hold", "reason": "r"}),
    ("/orders/co-us-suspension/amend/preview", {"effect": "hold"}),
    ("/orders/co-us-suspension/amend", {"effect": "hold"}),
    ("/orders/co-us-suspension/lift/preview", {"reason": "r"}),
    ("/orders/co-us-suspension/lift", {"reason": "r"}),
    ("/passkeys/preview", {"challenge": "AA", "client_data_json": "AA"}),
    ("/passkeys", {"challenge": "AA", "client_data_json": "AA"}),
]


@pytest.mark.parametrize(("path", "data"), WRITES, ids=[w[0] for w in WRITES])
@pytest.mark.parametrize("role", ["overseer", "analyst", "liaison", "partner"])
def test_only_an_authority_may_post_order_forms(
    console: Console, role: str, path: str, data: dict[str, str]
) -> None:
    console.sign_in(role)
    token = console.csrf("/releases")
    before = console.garante.ledger_size()
    response = console.client.post(path, data={**data, "csrf": token}, follow_redirects=False)
    assert response.status_code == 403
    assert console.garante.ledger_size() == before


@pytest.mark.parametrize(("path", "data"), WRITES, ids=[w[0] for w in WRITES])
def test_order_forms_need_the_csrf_token(console: Console, path: str, data: dict[str, str]) -> None:
    console.sign_in("authority")
    response = console.client.post(path, data=data, follow_redirects=False)
    assert response.status_code == 403
    assert "Form expired" in response.text


AGREEMENT_WRITES = [
    ("/agreements/preview", {"partner": "dea", "purposes": "seizure", "tlp_ceiling": "amber"}),
    ("/agreements/make", {"partner": "dea", "purposes": "seizure", "tlp_ceiling": "amber"}),
    ("/agreements/dea-ag-1/amend", {"purposes": "arrest", "reason": "r"}),
    ("/agreements/dea-ag-1/suspend", {"reason": "r"}),
    ("/agreements/dea-ag-1/resume", {"reason": "r"}),
    ("/agreements/dea-ag-1/end", {"reason": "r"}),
]


@pytest.mark.parametrize(("path", "data"), AGREEMENT_WRITES, ids=[w[0] for w in AGREEMENT_WRITES])
@pytest.mark.parametrize("role", ["authority", "overseer", "analyst", "partner"])
def test_only_a_liaison_may_post_agreement_forms(
    console: Console, role: str, path: str, data: dict[str, str]
) -> None:
    make_agreement(console.garante)
    console.sign_in(role)
    token = console.csrf("/agreements")
    before = console.garante.ledger_size()
    response = console.client.post(path, data={**data, "csrf": token}, follow_redirects=False)
    assert response.status_code == 403
    assert console.garante.ledger_size() == before


@pytest.mark.parametrize(("path", "data"), AGREEMENT_WRITES, ids=[w[0] for w in AGREEMENT_WRITES])
def test_agreement_forms_need_the_csrf_token(
    console: Console, path: str, data: dict[str, str]
) -> None:
    make_agreement(console.garante)
    console.sign_in("liaison")
    before = console.garante.ledger_size()
    response = console.client.post(path, data=data, follow_redirects=False)
    assert response.status_code == 403 and "Form expired" in response.text
    assert console.garante.ledger_size() == before


def test_a_post_without_a_session_goes_to_sign_in(console: Console) -> None:
    response = console.client.post("/orders/issue", data={}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin")


def test_a_partner_sees_only_its_own_releases(console: Console) -> None:
    console.sign_in("partner")
    page = console.client.get("/releases?partner=fbi&outcome=held").text
    rows = page.split('<table id="requests"')[1].split("</table>")[0]
    assert '<td data-label="Partner">dea</td>' in rows
    for other in ("fbi", "hsi", "nca"):
        assert f">{other}</td>" not in rows
    assert "held</span>" not in rows and "denied</span>" not in rows


def test_a_partner_sees_only_its_own_outcomes(console: Console) -> None:
    console.sign_in("partner-hsi")
    page = console.client.get("/releases").text
    outcomes = page.split('<table id="outcomes"')[1]
    assert "lethal force" in outcomes  # hsi's own breach
    assert "seizure" not in outcomes  # the DEA's outcome


def test_a_partner_sees_no_orders_on_its_agency_page(console: Console) -> None:
    console.sign_in("partner")
    page = console.client.get("/partners").text
    assert "Drug Enforcement Administration" in page
    assert "co-us-suspension" not in page
    assert "Federal Bureau" not in page


def test_a_partner_chart_shows_only_its_releases(console: Console) -> None:
    console.sign_in("partner")
    page = console.client.get("/charts?days=30").text
    assert 'data-partner="dea"' in page
    assert 'data-partner="fbi"' not in page
    assert '"held"' not in page.split('id="chart-data">')[1].split("</script>")[0]


def test_a_partner_may_check_the_checkpoint_but_not_browse_entries(console: Console) -> None:
    console.sign_in("partner")
    page = console.client.get("/audit").text
    assert "Verify the checkpoint&#39;s signature" in page or "checkpoint's signature" in page
    assert 'id="entries"' not in page


def test_the_overseer_gets_no_order_forms(console: Console) -> None:
    console.sign_in("overseer")
    page = console.client.get("/orders/co-us-suspension").text
    assert "/amend/preview" not in page
    assert "/lift/preview" not in page
    assert "/orders/new" not in console.client.get("/orders").text


def test_the_authority_gets_the_order_forms(console: Console) -> None:
    console.sign_in("authority")
    page = console.client.get("/orders/co-us-suspension").text
    assert 'action="/orders/co-us-suspension/amend/preview"' in page
    assert 'action="/orders/co-us-suspension/lift/preview"' in page


def test_the_passkeys_page_says_when_the_server_has_no_relying_party(console: Console) -> None:
    console.sign_in("authority")
    page = console.client.get("/passkeys").text
    assert 'id="passkeys-unavailable"' in page and "Orders signed with a passkey" in page
