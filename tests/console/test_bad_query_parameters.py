"""A query parameter no page expects (Unicode digits, a 20-digit number) is ignored, not a 500."""

from __future__ import annotations

import pytest

from tests.console.pages import Console
from tests.support.agreements import make_agreement

ODD = ["²", "9" * 20, "-3", "abc"]
PAGES = [
    ("/held", "after"),
    ("/releases", "after"),
    ("/items", "after"),
    ("/items/co-2025-0417", "after"),
    ("/agreements", "after"),
    ("/agreements", "partner"),
    ("/agreements/dea-ag-1", "after"),
    ("/audit", "start"),
    ("/audit", "size"),
    ("/charts", "days"),
]


@pytest.mark.parametrize(("path", "name"), PAGES)
@pytest.mark.parametrize("value", ODD)
def test_an_odd_number_in_the_query_is_not_a_server_error(
    console: Console, path: str, name: str, value: str
) -> None:
    make_agreement(console.garante)
    console.sign_in("analyst")
    response = console.client.get(path, params={name: value})
    assert response.status_code == 200, response.text[:500]
