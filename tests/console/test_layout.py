"""Every console page on a phone (390 px) and a laptop (1366 px), in English and Spanish.

Each page (and the order form showing an error), in Debian's Chromium against a real
``garante serve`` with the demo replayed, must fit the viewport (nothing wider than the screen
outside the scroll regions the templates designate with ``data-scroll-region``), raise no
script error, and pass axe-core with no violation (``tests/console/vendor/axe-core``, run with
its default rules). The English pages are captured as ``<page>-<width>.png``; set
``GARANTE_SCREENSHOTS=docs/screenshots`` to refresh the committed ones.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.console.browser import ARGS, CHROMIUM, ERRORS, missing, new_page, sign_in
from tests.support.agreements import BEFORE_THE_ITEMS, make_agreement
from tests.support.servers import Server, running_server
from tests.support.stores import Store
from tests.support.unavailable import unavailable

_REASON = missing()
if _REASON is not None:
    unavailable(_REASON, module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WIDTHS = {390: 844, 1366: 900}
LOCALES = {"en": "en-GB", "es": "es-ES"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The demo, and the DEA's agreement dea-ag-1 with the requests its backfill started."""
    store = Store.sqlite(tmp_path_factory.mktemp("console-layout") / "garante.db")
    store.replay_demo()
    with store.service("test") as garante:
        make_agreement(garante, backfill_from=BEFORE_THE_ITEMS)
    with running_server(store) as s:
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = os.environ.get("GARANTE_SCREENSHOTS")
    folder = Path(target) if target else tmp_path_factory.mktemp("layout-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


Pages = Callable[[str, int, str], Page]


@pytest.fixture(scope="module")
def pages(browser: Browser, server: Server) -> Iterator[Pages]:
    """One signed-in page per role, width and language, made when first asked for."""
    tokens = {
        "authority": server.token("authority", authority="presidency"),
        "partner": server.token("partner", agency="dea"),
        "liaison": server.token("liaison", agency="dipol"),
    }
    made: dict[tuple[str, int, str], Page] = {}

    def get(role: str, width: int, lang: str) -> Page:
        key = (role, width, lang)
        if key not in made:
            page = new_page(
                browser, width=width, height=WIDTHS[width], locale=LOCALES[lang], bypass_csp=True
            )
            if role != "anonymous":
                sign_in(page, server.url, tokens[role])
            made[key] = page
        return made[key]

    yield get
    for page in made.values():
        page.context.close()


def _order_preview(page: Page, url: str) -> None:
    page.goto(f"{url}/orders/new")
    page.locator("#effect").select_option("hold")
    page.locator("input[name=agencies][value=hsi]").check()
    page.locator("input[name=categories][value=money-laundering]").check()
    page.locator("#reason").fill("Pending review of the HSI liaison arrangement.")
    page.locator("form.order-form button[type=submit]").click()
    expect(page.locator("#sign-form")).to_be_visible()


def _order_refused(page: Page, url: str) -> None:
    page.goto(f"{url}/orders/new")
    page.locator("#effect").select_option("require")
    page.locator("input[name=countries][value=US]").check()
    page.locator("#reason").fill("Clauses left out on purpose.")
    page.locator("form.order-form button[type=submit]").click()
    expect(page.locator("#form-error")).to_be_visible()
    assert "--" not in page.locator("#form-error").inner_text()


def _amendment_preview(page: Page, url: str) -> None:
    page.goto(f"{url}/orders/co-us-suspension")
    page.locator("form[action$='/amend/preview'] input[name=agencies][value=dea]").check()
    page.locator("form[action$='/amend/preview'] button[type=submit]").click()
    expect(page.locator("#sign-form")).to_be_visible()


def _lift_preview(page: Page, url: str) -> None:
    page.goto(f"{url}/orders/co-us-suspension")
    page.locator("#lift-reason").fill("The undertakings now protect life.")
    page.locator("form[action$='/lift/preview'] button[type=submit]").click()
    expect(page.locator("#sign-form")).to_be_visible()


def _agreement_terms(page: Page, url: str, partner: str) -> None:
    page.goto(f"{url}/agreements/new")
    page.locator("#partner").select_option(partner)
    page.locator("input[name=purposes][value=seizure]").check()
    page.locator("input[name=purposes][value=analysis]").check()
    page.locator("input[name=categories][value=maritime-interdiction]").check()
    page.locator("#backfill-from").fill("2025-01-01T00:00")


def _agreement_preview(page: Page, url: str) -> None:
    _agreement_terms(page, url, "nca")
    page.locator("#agreement-form button[type=submit]").click()
    expect(page.locator("#make-form")).to_be_visible()


def _agreement_done(page: Page, url: str) -> None:
    _agreement_preview(page, url)
    page.locator("#make-form button[type=submit]").click()
    expect(page.locator("#started")).to_be_visible()


def _agreement_refused(page: Page, url: str) -> None:
    _agreement_terms(page, url, "hsi")
    page.locator("#valid-from").fill("2025-12-01T00:00")
    page.locator("#valid-until").fill("2025-11-30T00:00")
    page.locator("#agreement-form button[type=submit]").click()
    expect(page.locator("#valid_until-error")).to_be_visible()


def _charts(page: Page, url: str) -> None:
    page.goto(f"{url}/charts")
    page.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length === 4")


def _visit(path: str) -> Callable[[Page, str], None]:
    def go(page: Page, url: str) -> None:
        page.goto(f"{url}{path}")

    return go


# page name: (role, how to get there)
PAGES: dict[str, tuple[str, Callable[[Page, str], None]]] = {
    "signin": ("anonymous", _visit("/signin")),
    "partners": ("authority", _visit("/partners")),
    "orders": ("authority", _visit("/orders")),
    "order-detail": ("authority", _visit("/orders/co-us-suspension")),
    "order-new": ("authority", _visit("/orders/new")),
    "order-preview": ("authority", _order_preview),
    "order-refused": ("authority", _order_refused),
    "amendment-preview": ("authority", _amendment_preview),
    "lift-preview": ("authority", _lift_preview),
    "held": ("authority", _visit("/held")),
    "releases": ("authority", _visit("/releases")),
    "items": ("authority", _visit("/items")),
    "item-detail": ("authority", _visit("/items/co-2025-0417")),
    "release-decisions": ("authority", _visit("/releases/11")),
    "agreements": ("authority", _visit("/agreements")),
    "agreement-detail": ("liaison", _visit("/agreements/dea-ag-1")),
    "agreement-new": ("liaison", _visit("/agreements/new")),
    "agreement-preview": ("liaison", _agreement_preview),
    "agreement-refused": ("liaison", _agreement_refused),
    "agreement-done": ("liaison", _agreement_done),
    "charts": ("authority", _charts),
    "audit": ("authority", _visit("/audit")),
    "partner-self": ("partner", _visit("/partners")),
    "error": ("authority", _visit("/orders/no-such-order")),
}

# Elements outside the viewport: those in a designated scroll region, those made to be
# off-screen until focused (the skip link), and any clipped by an ancestor that scrolls.
OVERFLOW = """() => {
  const limit = document.documentElement.clientWidth;
  const out = [];
  if (document.documentElement.scrollWidth > innerWidth) {
    out.push(`the document is ${document.documentElement.scrollWidth} px wide`);
  }
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className ? '.' + el.className.replace(/ /g, '.') : '');
  const clipped = new Map();  // hidden for screen readers only: clip or clip-path set
  const isClipped = (el) => {
    if (!el || el === document.body) return false;
    if (!clipped.has(el)) {
      const style = getComputedStyle(el);
      clipped.set(el, style.clip !== 'auto' || style.clipPath !== 'none' ||
        isClipped(el.parentElement));
    }
    return clipped.get(el);
  };
  const wide = new Set();
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('[data-scroll-region], .skip:not(:focus)') || isClipped(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (box.right > limit + 0.5 || box.left < -0.5) {
      wide.add(el);
      if (wide.has(el.parentElement)) continue;  // name the outermost element only
      out.push(`${describe(el)} spans ${Math.round(box.left)}..${Math.round(box.right)} px`);
    }
  }
  return out;
}"""


def _axe(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes']]}"
        for v in result["violations"]
    ]


@pytest.mark.parametrize("lang", sorted(LOCALES))
@pytest.mark.parametrize("width", sorted(WIDTHS))
@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_fits_and_passes_axe(
    pages: Pages, server: Server, shots: Path, name: str, width: int, lang: str
) -> None:
    role, go = PAGES[name]
    page = pages(role, width, lang)
    errors = ERRORS.setdefault(id(page), [])
    errors.clear()
    go(page, server.url)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    if lang == "en":
        page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
    wide: list[str] = page.evaluate(OVERFLOW)
    assert not wide, "wider than the viewport:\n" + "\n".join(wide)
    violations = _axe(page)
    assert not violations, "axe-core violations:\n" + "\n".join(violations)
    assert not errors, errors


@pytest.mark.parametrize("lang", sorted(LOCALES))
def test_on_a_phone_the_held_queue_shows_why_without_scrolling(
    pages: Pages, server: Server, lang: str
) -> None:
    page = pages("authority", 390, lang)
    page.goto(f"{server.url}/held")
    reasons = page.locator("#held-table tbody tr[data-request] td.reason")
    expect(reasons).to_have_count(3)
    for reason in reasons.all():
        box = reason.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert reason.inner_text().strip()
    region = page.locator("#held-table").locator("xpath=..")
    assert region.evaluate("el => el.scrollWidth <= el.clientWidth")


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_the_timeline_labels_do_not_overlap(pages: Pages, server: Server, width: int) -> None:
    page = pages("authority", width, "en")
    page.goto(f"{server.url}/orders")
    boxes = page.eval_on_selector_all(
        ".tl-axis text",
        """texts => texts.map(t => t.getBoundingClientRect())
            .filter(b => b.width > 0)
            .map(b => [b.left, b.top, b.right, b.bottom])""",
    )
    assert len(boxes) >= 3
    overlapping = [
        (a, b)
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    ]
    assert overlapping == []
    labels = page.eval_on_selector_all(
        ".tl-row:not(.tl-axis) .tl-label", "els => els.map(e => e.getBoundingClientRect().right)"
    )
    assert all(right <= width for right in labels)
