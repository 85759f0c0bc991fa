"""The Sources page: each source's kind, location, state, last success and error, lag and
items; analysts ask for a pull (with the form's CSRF token), overseers only read, partners
never see it. Route tests through the in-process console over a copy of the demo."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from garante.domain.roles import Principal, Role
from tests.console.pages import Console
from tests.support import reach

ANALYST = Principal(token_id="t-console", role=Role.ANALYST, agency_id="dipol")


def _add_sources(console: Console, tmp_path: Path) -> None:
    """A folder with one bundle (healthy once pulled) and a feed nobody serves (failing)."""
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "a.json").write_text(
        json.dumps(
            {
                "type": "bundle",
                "id": "bundle--6c1b2c4e-0000-4000-8000-0000000000aa",
                "objects": [
                    {
                        "type": "indicator",
                        "spec_version": "2.1",
                        "id": "indicator--6c1b2c4e-0000-4000-8000-0000000000ab",
                        "created": "2025-01-01T00:00:00.000Z",
                        "modified": "2025-01-01T00:00:00.000Z",
                        "name": "go-fast contact",
                        "pattern": "[ipv4-addr:value = '198.51.100.7']",
                        "pattern_type": "stix",
                        "valid_from": "2025-01-01T00:00:00Z",
                    }
                ],
            }
        )
    )
    analyst = reach.allow(console.garante, roots=(str(tmp_path),)).acting_as(ANALYST)
    terms: dict[str, Any] = {
        "category": "maritime-interdiction",
        "region": "caribbean",
        "tlp": "amber",
    }
    analyst.add_source("drop", kind="folder", url=str(drop), collection=None, **terms)
    feed = "http://127.0.0.1:9/feed"
    analyst.add_source("gone", kind="misp-feed", url=feed, collection=None, **terms)
    console.garante.pull_due_sources(timeout=2.0)


def _row(page: str, source_id: str) -> str:
    start = page.index(f'<tr data-source="{source_id}"')
    return html.unescape(page[start : page.index("</tr>", start)])


def test_an_analyst_sees_a_healthy_and_a_failing_source(console: Console, tmp_path: Path) -> None:
    _add_sources(console, tmp_path)
    console.sign_in("analyst")

    page = console.client.get("/sources").text

    drop, gone = _row(page, "drop"), _row(page, "gone")
    assert 'data-health="ok"' in drop and ">1</td>" in drop and "folder" in drop
    assert 'data-health="failing"' in gone and "127.0.0.1:9" in gone and "never" in gone
    assert "Pull now" in drop
    assert 'href="/sources"' in page


def test_pull_now_asks_the_server_and_shows_it_pending(console: Console, tmp_path: Path) -> None:
    _add_sources(console, tmp_path)
    console.sign_in("analyst")

    response = console.client.post("/sources/drop/pull", data={"csrf": console.csrf("/sources")})

    assert response.status_code == 200
    assert "A pull of drop was asked for" in response.text
    assert "pull asked for at" in _row(response.text, "drop")
    assert console.garante.source("drop").pull_requested_at is not None


def test_a_pull_without_the_csrf_token_is_refused(console: Console, tmp_path: Path) -> None:
    _add_sources(console, tmp_path)
    console.sign_in("analyst")

    response = console.client.post("/sources/drop/pull", data={"csrf": "forged"})

    assert response.status_code == 403
    assert console.garante.source("drop").pull_requested_at is None


def test_an_overseer_reads_the_sources_but_gets_no_pull_button(
    console: Console, tmp_path: Path
) -> None:
    _add_sources(console, tmp_path)
    console.sign_in("overseer")

    page = console.client.get("/sources").text
    asked = console.client.post("/sources/drop/pull", data={"csrf": console.csrf("/sources")})

    assert 'data-health="ok"' in _row(page, "drop")
    assert "Pull now" not in page
    assert asked.status_code == 403


def test_a_partner_never_sees_the_sources(console: Console, tmp_path: Path) -> None:
    _add_sources(console, tmp_path)
    console.sign_in("partner")

    assert console.client.get("/sources").status_code == 403
    assert 'href="/sources"' not in console.client.get("/partners").text
