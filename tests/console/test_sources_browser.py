"""The Sources page in Debian's Chromium against a real ``garante serve``: an analyst sees a
healthy and a failing source, presses "Pull now" on one and sees the server do it.

Without Chromium or Playwright these tests skip, saying why, but never under CI."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from garante.client import GaranteClient
from tests.console.browser import ARGS, CHROMIUM, ERRORS, missing, new_page, sign_in
from tests.ingest.conftest import indicator
from tests.support import reach
from tests.support.servers import Server, running_server
from tests.support.unavailable import unavailable

_REASON = missing()
if _REASON is not None:
    unavailable(_REASON, module_level=True)

from playwright.sync_api import Browser, expect, sync_playwright  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")
BUNDLE = "bundle--6c1b2c4e-0000-4000-8000-0000000000b1"
TERMS: dict[str, Any] = {"category": "maritime-interdiction", "region": "caribbean", "tlp": "amber"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("console-sources")
    extra = ("--sources-check", "0.5", *reach.serve_options())  # folders in the temp dir
    with running_server(home / "garante.db", demo=True, extra=extra) as s:
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def settled(client: GaranteClient, source_id: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        source = client.get_source(source_id)
        if source.last_attempt_at is not None and source.pull_requested_at is None:
            return
        assert time.monotonic() < deadline, f"{source_id} was not pulled"
        time.sleep(0.2)


def test_an_analyst_sees_each_sources_health_and_pulls_one(
    browser: Browser, server: Server, tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    bundle: dict[str, Any] = {"type": "bundle", "id": BUNDLE, "objects": [indicator(1)]}
    (drop / "a.json").write_text(json.dumps(bundle))
    token = server.token("analyst", agency="dipol")
    with GaranteClient(server.url, token) as client:
        client.add_source("drop", kind="folder", url=str(drop), interval=86400, **TERMS)
        client.add_source(
            "gone", kind="misp-feed", url="http://127.0.0.1:9/feed", interval=86400, **TERMS
        )
        settled(client, "drop")
        settled(client, "gone")
        bundle["objects"] = [indicator(2)]
        (drop / "b.json").write_text(json.dumps(bundle))

        page = new_page(browser, width=1366, height=900, locale="en-GB")
        sign_in(page, server.url, token)
        page.get_by_role("link", name="Sources").click()
        page.wait_for_url("**/sources")

        healthy = page.locator('tr[data-source="drop"]')
        failing = page.locator('tr[data-source="gone"]')
        expect(healthy).to_have_attribute("data-health", "ok")
        expect(healthy.locator("td.items")).to_have_text("1")
        expect(failing).to_have_attribute("data-health", "failing")
        expect(failing.locator("td.last-error")).to_contain_text("127.0.0.1:9")
        if os.environ.get("GARANTE_SCREENSHOTS"):
            shot = Path(os.environ["GARANTE_SCREENSHOTS"]) / "sources.png"
            page.screenshot(path=str(shot), full_page=True)

        healthy.get_by_role("button", name="Pull drop now").click()

        expect(page.locator("#pull-asked")).to_contain_text("A pull of drop was asked for")
        settled(client, "drop")
        page.reload()
        expect(page.locator('tr[data-source="drop"] td.items')).to_have_text("2")
        assert ERRORS.get(id(page), []) == []
