"""The item pages: every item with its marks, and an item's page says who it went to and why.

Over the November 2025 demo: co-2025-0417 (the La Guajira go-fast lead) was asked for by the
DEA, HSI and the NCA; one DEA request was denied (lethal force), HSI's latest is held by the
automatic order its breach brought, and its first release is withheld from its feed.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from garante.store.feed import FeedQuery
from tests.console.pages import Console
from tests.support.scenario import scenario_bundle

ITEM = "co-2025-0417"


def _row(page: str, request_id: int) -> str:
    start = page.index(f'<tr data-request="{request_id}"')
    return page[start : page.index("</tr>", start)]


def test_the_items_page_lists_an_item_with_its_marks_and_a_link(console: Console) -> None:
    console.sign_in("analyst")
    page = console.client.get("/items").text
    start = page.index(f'<tr data-item="{ITEM}"')
    row = page[start : page.index("</tr>", start)]
    assert f'href="/items/{ITEM}"' in row
    assert "Go-fast departure window, La Guajira coast" in row
    assert "maritime-interdiction" in row and "caribbean" in row and "TLP:AMBER" in row
    assert "2025-11-03 09:00 UTC" in row  # added by its step, not at setup


def test_the_items_page_lists_items_by_id(console: Console) -> None:
    console.sign_in("overseer")
    ids = re.findall(r'<tr data-item="([^"]+)"', console.client.get("/items").text)
    assert len(ids) == 6 and ids == sorted(ids)


def test_an_item_shows_its_marks(console: Console) -> None:
    console.sign_in("authority")
    page = html.unescape(console.client.get(f"/items/{ITEM}").text)
    marks = page.split('id="marks"')[1].split("</dl>")[0]
    item = console.garante.item(ITEM)
    for shown in ("maritime-interdiction", "caribbean", "TLP:AMBER", "dipol"):
        assert shown in marks
    assert item.content_sha256 in marks
    assert "No embargo, no expiry." in marks


def test_an_item_shows_each_partner_it_was_released_to_with_the_rule_and_purpose(
    console: Console,
) -> None:
    console.sign_in("overseer")
    page = html.unescape(console.client.get(f"/items/{ITEM}").text)
    released = {1: ("dea", "seizure"), 12: ("nca", "seizure"), 13: ("dea", "interdiction")}
    for request_id, (partner, purpose) in released.items():
        row = _row(page, request_id)
        assert f'data-recipient="{partner}" data-outcome="released"' in row
        assert f">{purpose}</td>" in row
        assert "<code>5.release</code>" in row and "no rule withholds the item" in row
        assert f'href="/releases/{request_id}"' in row
    assert "order co-us-suspension requires an undertaking" in _row(page, 13)
    assert 'href="/orders/co-us-suspension"' in _row(page, 13)


def test_a_denied_request_shows_the_rule_that_denied_it(console: Console) -> None:
    console.sign_in("overseer")
    row = html.unescape(_row(console.client.get(f"/items/{ITEM}").text, 4))
    assert 'data-outcome="denied"' in row and ">lethal-force</td>" in row
    assert "<code>4.no-undertaking</code>" in row


def test_a_held_request_shows_what_holds_it_and_what_triggered_it(console: Console) -> None:
    console.sign_in("analyst")
    row = html.unescape(_row(console.client.get(f"/items/{ITEM}").text, 11))
    assert 'data-recipient="hsi" data-outcome="held"' in row
    assert "<code>3.order-hold</code>" in row
    assert "Held: order breach-hsi-2 (hold, issued by garante-system) is in force." in row
    assert 'href="/orders/breach-hsi-2"' in row
    assert "order breach-hsi-2 issued" in row  # the trigger: the order its breach brought


def test_a_release_an_order_withholds_shows_withheld(console: Console) -> None:
    console.sign_in("overseer")
    row = _row(console.client.get(f"/items/{ITEM}").text, 3)
    assert 'data-delivery="withheld"' in row and "withheld by an order" in row


def test_a_recalled_release_shows_recalled(console: Console) -> None:
    console.garante.feed_page(FeedQuery(partner_id="nca"))
    console.garante.recall(12, reason="sent to the wrong desk")
    console.sign_in("overseer")
    row = _row(console.client.get(f"/items/{ITEM}").text, 12)
    assert 'data-delivery="recalled"' in row and "recalled after delivery" in row


def test_an_embargo_is_stated_against_the_clocks_now(console: Console) -> None:
    now = console.garante.clock.now()
    console.garante.add_item(
        "co-2025-0499",
        title="Embargoed lead",
        category="maritime-interdiction",
        region="caribbean",
        tlp="amber",
        originator="dipol",
        bundle=scenario_bundle(),
        embargo_until=now + timedelta(days=2),
        expires_at=now + timedelta(days=30),
    )
    console.sign_in("analyst")
    page = console.client.get("/items/co-2025-0499").text
    windows = page.split('id="windows"')[1].split("</dd>")[0]
    assert "Under embargo until 2025-11-15 23:00 UTC" in windows
    assert "Expires at 2025-12-13 23:00 UTC" in windows


def test_the_request_page_lists_every_decision_taken_on_it(console: Console) -> None:
    console.sign_in("overseer")
    page = html.unescape(console.client.get("/releases/11").text)
    rows = re.findall(r'<tr data-decision="(\d+)"', page)
    assert len(rows) == len(console.garante.decisions(11)) > 1
    assert "order breach-hsi-2 issued" in page
    assert f'href="/items/{ITEM}"' in page


def test_a_partner_gets_no_item_pages(console: Console) -> None:
    console.sign_in("partner")
    for path in ("/items", f"/items/{ITEM}", "/releases/1"):
        response = console.client.get(path, follow_redirects=False)
        assert response.status_code == 403, path
        assert "Go-fast departure window" not in response.text
    assert 'href="/items"' not in console.client.get("/releases").text


def test_the_nav_links_to_the_items_for_those_who_may_read_them(console: Console) -> None:
    console.sign_in("authority")
    assert 'href="/items"' in console.client.get("/partners").text
    console.sign_in("liaison")
    assert 'href="/items"' not in console.client.get("/partners").text


def test_an_unknown_item_is_the_404_page_with_a_hint(console: Console) -> None:
    console.sign_in("overseer")
    response = console.client.get("/items/co-2025-041")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    page = html.unescape(response.text)
    assert "There is no item “co-2025-041”." in page
    assert "item.not_found" in page
    assert "Hint" in page and "co-2025-0417" in page


def test_an_unknown_request_is_the_404_page(console: Console) -> None:
    console.sign_in("overseer")
    for path in ("/releases/99999", "/releases/abc", "/releases/" + "9" * 30):
        response = console.client.get(path)
        assert response.status_code == 404, path
        assert "request.not_found" in response.text


@pytest.mark.parametrize("item_id", ["é", "x" * 5000, "a%2Fb", "%F0%9F%98%80", "'; --"])
def test_an_odd_item_id_is_the_404_page_not_a_server_error(console: Console, item_id: str) -> None:
    console.sign_in("analyst")
    assert console.client.get(f"/items/{item_id}").status_code == 404
