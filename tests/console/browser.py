"""Debian's Chromium driven by Playwright: where it is, how it is launched, a page per test.

Shared by the console's browser tests. Import ``missing()`` first: without Chromium or
Playwright a module skips, saying why (and fails under CI, see ``tests.support.unavailable``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = os.environ.get("GARANTE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Script errors each page raised; a view that throws fails its test even if it looks right.
ERRORS: dict[int, list[str]] = {}


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright; no browser download needed)"
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).is_file():
        return f"Chromium is not at {CHROMIUM} (apt-get install -y chromium)"
    return None


def new_page(
    browser: Browser, *, width: int, height: int, locale: str, bypass_csp: bool = False
) -> Page:
    """A page in a context of its own, its script errors collected in ``ERRORS``.

    ``bypass_csp`` lets a test inject a script of its own (axe-core) into the console's pages,
    whose Content-Security-Policy admits only the console's own files.
    """
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale=locale, bypass_csp=bypass_csp
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors = ERRORS.setdefault(id(page), [])
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page


def sign_in(page: Page, url: str, token: str) -> None:
    """Through the form, as a person does, in whichever language the page is in."""
    page.goto(f"{url}/signin")
    page.locator("#token").fill(token)
    page.locator("form[action='/signin'] button[type=submit]").click()
    page.wait_for_url(lambda address: "/signin" not in address)
