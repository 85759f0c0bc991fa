"""Hostile query parameters on every console page: a page or a clear refusal, never a 500.

Run on the demo in a SQLite file and in a PostgreSQL database: PostgreSQL refuses a NUL in
any text and keeps whole numbers in fixed-width columns, where SQLite would not complain.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.console.pages import Console, serving
from tests.fuzz.mutations import mutated, odd_text
from tests.support.agreements import BEFORE_THE_ITEMS, make_agreement
from tests.support.stores import BACKENDS, Store, new_store

PAGES = {
    "/held": ("after",),
    "/releases": ("after", "partner", "outcome"),
    "/items": ("after",),
    "/items/co-2025-0417": ("after",),
    "/agreements": ("after", "partner"),
    "/agreements/dea-ag-1": ("after",),
    "/audit": ("start", "size"),
    "/audit/inclusion.json": ("index", "size"),
    "/audit/consistency.json": ("old", "new"),
    "/charts": ("days",),
    "/orders": ("lang",),
    "/partners": ("lang",),
    "/signin": ("next",),
}


@pytest.fixture(scope="module", params=BACKENDS)
def fuzzed_store(request: pytest.FixtureRequest) -> Store:
    store = new_store(request, request.param, "console-fuzz")
    store.replay_demo()
    with store.service("test") as garante:
        make_agreement(garante, backfill_from=BEFORE_THE_ITEMS)  # dea-ag-1, with requests
    return store


@pytest.fixture
def console(fuzzed_store: Store) -> Iterator[Console]:
    """The console over this module's demo, on each store (in place of the SQLite-only one)."""
    with fuzzed_store.service("console") as garante, serving(garante) as served:
        yield served


values = st.one_of(
    odd_text,
    st.sampled_from(["10", "dea", "released", "https://evil.example/", "2025-11-11"]).flatmap(
        mutated
    ),
    st.integers(-(2**70), 2**70).map(str),
)


def _sendable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    path = draw(st.sampled_from(sorted(PAGES)))
    names = draw(st.lists(st.sampled_from(PAGES[path]), min_size=1, unique=True))
    return path, {name: draw(values.filter(_sendable)) for name in names}


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=requests())
def test_any_query_on_any_page_is_answered_without_a_server_error(
    console: Console, request: tuple[str, dict[str, str]]
) -> None:
    console.sign_in("overseer")
    path, query = request
    response = console.client.get(path, params=query, follow_redirects=False)
    assert response.status_code < 500, (path, query, response.text[:300])
