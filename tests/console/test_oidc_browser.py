"""End to end in Chromium: ``garante serve --oidc-config`` signs people in through a real
OpenID provider (``oidc-provider`` under Node, tests/support/oidc) on loopback.

Without Chromium, Playwright or Node these tests skip, saying why, but never under CI.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.console.browser import ARGS, CHROMIUM, ERRORS, missing, new_page
from tests.support.oidc import OidcProvider, running_provider, settings_toml
from tests.support.oidc import missing as missing_node
from tests.support.servers import Server, running_server
from tests.support.unavailable import unavailable

_REASON = missing() or missing_node()
if _REASON is not None:
    unavailable(_REASON, module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    with running_provider() as started:
        yield started


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, provider: OidcProvider) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("console-oidc")
    config = folder / "oidc.toml"
    config.write_text(settings_toml(provider.issuer), encoding="utf-8")
    extra = ["--oidc-config", str(config)]
    with running_server(folder / "garante.db", demo=True, extra=extra) as s:
        provider.register(s.url)
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def _through_provider(browser: Browser, server: Server, account: str) -> Page:
    """Click "Sign in with Test provider" and sign in there as ``account``."""
    page = new_page(browser, width=1366, height=900, locale="en-GB")
    page.goto(f"{server.url}/signin")
    page.get_by_role("link", name="Sign in with Test provider").click()
    page.get_by_label("Account").fill(account)
    page.get_by_role("button", name="Continue").click()
    return page


def test_an_analyst_signs_in_through_the_provider_and_sees_the_console(
    browser: Browser, server: Server
) -> None:
    page = _through_provider(browser, server, "analyst")
    page.wait_for_url(f"{server.url}/partners")
    expect(page.locator("body")).to_contain_text("dipol")
    expect(page.locator("#partner-dea")).to_be_visible()
    page.goto(f"{server.url}/orders/new")
    expect(page.locator("h1")).to_have_text("Not allowed")  # an analyst issues no orders
    assert not ERRORS.get(id(page)), ERRORS[id(page)]
    page.context.close()


def test_a_partner_lands_on_its_own_releases(browser: Browser, server: Server) -> None:
    page = _through_provider(browser, server, "partner")
    page.wait_for_url(f"{server.url}/releases")
    page.goto(f"{server.url}/audit")
    expect(page.locator("h1")).to_be_visible()
    page.context.close()


def test_sign_out_goes_through_the_provider_and_back_to_sign_in(
    browser: Browser, server: Server, provider: OidcProvider
) -> None:
    page = _through_provider(browser, server, "overseer")
    page.wait_for_url(f"{server.url}/partners")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{provider.issuer}/session/end**")
    page.locator("button[autofocus], button[type=submit]").first.click()  # "Yes, sign me out"
    page.wait_for_url(f"{server.url}/signin**")
    page.goto(f"{server.url}/partners")
    page.wait_for_url(f"{server.url}/signin**")
    page.context.close()


@pytest.mark.parametrize("account", ["tampered", "expired"])
def test_a_bad_id_token_shows_the_refusal_page(
    browser: Browser, server: Server, account: str
) -> None:
    page = _through_provider(browser, server, account)
    expect(page.locator("h1")).to_have_text("Sign-in refused")
    assert "Traceback" not in page.content()
    assert not [c for c in page.context.cookies() if c["name"] == "garante_session"]
    page.goto(f"{server.url}/partners")
    page.wait_for_url(f"{server.url}/signin**")
    page.context.close()


def test_an_account_without_a_garante_role_is_refused(browser: Browser, server: Server) -> None:
    page = _through_provider(browser, server, "no-role")
    expect(page.locator("h1")).to_have_text("No Garante role")
    page.context.close()


def test_token_sign_in_still_works_on_the_same_server(
    browser: Browser, server: Server, tmp_path: Path
) -> None:
    token = server.token("overseer", agency="cti")
    page = new_page(browser, width=1366, height=900, locale="en-GB")
    page.goto(f"{server.url}/signin")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{server.url}/partners")
    page.context.close()
