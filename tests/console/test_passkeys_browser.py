"""Passkeys in Chromium: the DevTools virtual authenticator (CTAP2, internal, resident keys,
user verified) registers a credential for an authority from the console, which then issues and
lifts an order with it; the log keeps each assertion and replays with no disagreement.

Runs against a real ``garante serve`` opened at http://localhost (WebAuthn takes no IP address
as relying party id), on the demo replayed. Without Chromium or Playwright it skips, saying
why (and fails under CI).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from garante.replay import LoggedEntry, Replayer
from tests.console.browser import ARGS, CHROMIUM, ERRORS, missing, new_page
from tests.support.servers import Server, running_server
from tests.support.unavailable import unavailable

_REASON = missing()
if _REASON is not None:
    unavailable(_REASON, module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def origin() -> str:
    return f"http://localhost:{_free_port()}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, origin: str) -> Iterator[Server]:
    port = origin.rsplit(":", 1)[1]
    extra = ("--port", port, "--webauthn-origin", origin)
    db = tmp_path_factory.mktemp("console-passkeys") / "garante.db"
    with running_server(db, demo=True, extra=extra) as s:
        s.store.cli("authorities", "add", "tribunal", "--name", "Tribunal")
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def _authenticated_page(browser: Browser, server: Server, origin: str) -> Page:
    """A page with a virtual authenticator, signed in as the tribunal's authority."""
    page = new_page(browser, width=1280, height=900, locale="en-GB")
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    token = server.token("authority", authority="tribunal")
    page.goto(f"{origin}/signin")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/partners")
    return page


def _entries(server: Server) -> list[dict[str, object]]:
    with server.store.service("test") as garante:
        rows = garante.entries(0, garante.ledger_size())
        report = Replayer().replay(LoggedEntry.read(r.index, r.entry) for r in rows)
        assert report.disagreements == [], [str(d) for d in report.disagreements[:3]]
        return [json.loads(r.entry) for r in rows]


def test_a_passkey_made_in_the_browser_issues_and_lifts_an_order(
    browser: Browser, server: Server, origin: str, tmp_path: Path
) -> None:
    page = _authenticated_page(browser, server, origin)

    page.goto(f"{origin}/passkeys")
    expect(page.locator("#no-passkeys")).to_be_visible()
    page.get_by_role("button", name="Create a passkey").click()
    page.wait_for_url("**/passkeys/preview")
    expect(page.locator("#statement-canonical")).to_contain_text("garante.authority-passkey/v1")
    page.get_by_role("button", name="Register the passkey").click()
    expect(page.locator("#passkey-registered")).to_be_visible()
    expect(page.locator("#passkeys tbody tr")).to_have_count(1)

    page.goto(f"{origin}/orders/new")
    page.locator("select[name=effect]").select_option("hold")
    page.locator("input[name=countries][value=US]").check()
    page.locator("textarea[name=reason]").fill("hold the US while the tribunal sits")
    page.locator("form[action='/orders/preview'] button[type=submit]").click()
    page.wait_for_url("**/orders/preview")
    page.get_by_role("button", name="Sign with a passkey").click()
    page.wait_for_url("**/orders/issue")
    expect(page.locator("main h1")).to_contain_text("issued")
    order_id = page.locator("main h1").inner_text().split()[1]  # "Order order-5 issued"

    page.goto(f"{origin}/orders/{order_id}")
    page.locator("#lift-reason").fill("adjourned")
    page.locator(f"form[action='/orders/{order_id}/lift/preview'] button[type=submit]").click()
    page.wait_for_url(f"**/orders/{order_id}/lift/preview")
    page.get_by_role("button", name="Sign with a passkey").click()
    page.wait_for_url(f"**/orders/{order_id}/lift")
    expect(page.locator("main h1")).to_contain_text("lifted")
    assert not ERRORS.get(id(page)), ERRORS[id(page)]

    entries = _entries(server)
    registered = [e for e in entries if e["kind"] == "authority.passkey-registered"]
    signed = [
        e["data"]
        for e in entries
        if e["kind"] in ("order.issued", "order.lifted") and json.dumps(e["data"]).count(order_id)
    ]
    assert len(registered) == 1 and len(signed) == 2
    for data in signed:
        assert isinstance(data, dict) and data["signature"] is None
        assertion = data["assertion"]
        assert set(assertion) == {
            "credential_id", "authenticator_data", "client_data_json", "signature",
        }  # fmt: skip
    page.context.close()
