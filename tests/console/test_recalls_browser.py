"""The recalls page in Chromium against a real ``garante serve`` (issue 21): a recall past its
acknowledgement deadline is listed with its partner, item, age and deadline, marked overdue,
and the partner it held shows the system's hold on the partners page, which links to it; a
partner reads its own recalls in Spanish.

Before the server starts, the November 2025 demo is replayed, the DEA fetches its feed, release
7 is recalled with one hour to acknowledge it, and the store's clock is pinned two hours on.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from garante.domain.roles import Principal, Role
from garante.service.app import Garante
from garante.store.feed import FeedQuery
from tests.console.browser import ARGS, CHROMIUM, ERRORS, missing, new_page
from tests.support.servers import Server, running_server
from tests.support.stores import Store
from tests.support.unavailable import unavailable

_REASON = missing()
if _REASON is not None:
    unavailable(_REASON, module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

RELEASE = 7  # the demo's release of DIJIN's co-2025-0422 to the DEA


def _overdue_recall(store: Store) -> None:
    garante = Garante.open(f"sqlite:///{store.db}")
    try:
        dea = Principal(token_id="t-dea", role=Role.PARTNER, agency_id="dea")
        garante.acting_as(dea).feed_page(FeedQuery(partner_id="dea"))
        garante.recall(RELEASE, reason="source compromised", ack_within="1h")
        garante.pin_clock(garante.clock.now() + timedelta(hours=2))
        [hold] = garante.enforce_recall_deadlines().value
        assert hold.agency == "dea"
    finally:
        garante.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    store = Store.sqlite(tmp_path_factory.mktemp("console-recalls") / "garante.db")
    store.replay_demo()
    _overdue_recall(store)
    with running_server(store) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def _signed_in(
    browser: Browser, server: Server, token: str, locale: str, label: str, button: str
) -> Page:
    page = new_page(browser, width=1366, height=900, locale=locale)
    page.goto(f"{server.url}/signin")
    page.get_by_label(label).fill(token)
    page.get_by_role("button", name=button).click()
    return page


def test_an_overdue_recall_is_listed_marked_and_its_partner_held(
    browser: Browser, server: Server
) -> None:
    token = server.token("overseer", agency="cti")
    page = _signed_in(browser, server, token, "en-GB", "API token", "Sign in")
    page.wait_for_url("**/partners")
    expect(page.locator("#partner-dea")).to_contain_text(f"recall-dea-{RELEASE}")
    page.locator("#recalls-link").click()
    page.wait_for_url("**/recalls")
    row = page.locator(f"#recall-{RELEASE}")
    expect(row).to_have_attribute("data-overdue", "yes")
    for text in ("dea", "co-2025-0422", "2 h 0 min", "overdue"):
        expect(row).to_contain_text(text)
    expect(page.locator("#recalls-overdue")).to_be_visible()
    assert not ERRORS.get(id(page)), ERRORS[id(page)]
    page.context.close()


def test_a_partner_reads_its_own_recalls_in_spanish(browser: Browser, server: Server) -> None:
    token = server.token("partner", agency="dea")
    page = _signed_in(browser, server, token, "es-CO", "Token de la API", "Entrar")
    page.wait_for_url("**/releases")
    page.goto(f"{server.url}/recalls")
    expect(page.get_by_role("heading", level=1)).to_have_text("Retiradas sin acuse")
    expect(page.locator(f"#recall-{RELEASE}")).to_contain_text("vencido")
    assert not ERRORS.get(id(page)), ERRORS[id(page)]
    page.context.close()
