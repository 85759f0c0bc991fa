"""A partner never sees another partner's releases, nor its own held or denied requests.

Hypothesis makes random sequences of release requests (demo item x any agency x any purpose)
with an analyst token on this module's own demo server; after each sequence, every partner's
view is checked against the internal one: its release list (paged with a small random limit)
is exactly the requests released to it that it may be delivered now or was delivered (read
from the store's feed table, not through the service under test), any other request answers
404 exactly as one that does not exist, and everything beyond its own agency, undertakings and
releases is out of sight.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from garante.domain.vocabulary import DEFAULT_PURPOSES
from garante.store.database import create_store_engine, database_url
from tests.support.servers import Server, running_server
from tests.support.stores import new_store

PARTNERS = ("dea", "fbi", "hsi", "nca")
AGENCIES = ("dipol", "dijin", "cti", *PARTNERS)
ITEMS = (
    "co-2025-0417",
    "co-2025-0422",
    "co-2025-0431",
    "co-2025-0440",
    "co-2025-0445",
    "co-2025-0452",
)
NO_SUCH_REQUEST = 10**9  # more requests than this module will ever make

release_requests = st.lists(
    st.tuples(st.sampled_from(ITEMS), st.sampled_from(AGENCIES), st.sampled_from(DEFAULT_PURPOSES)),
    min_size=1,
    max_size=4,
)


@pytest.fixture(scope="module")
def isolation_server(request: pytest.FixtureRequest, server_backend: str) -> Iterator[Server]:
    with running_server(new_store(request, server_backend, "isolation"), demo=True) as server:
        yield server


@pytest.fixture(scope="module")
def analyst(isolation_server: Server) -> Iterator[httpx.Client]:
    token = isolation_server.token("analyst", agency="dipol")
    with httpx.Client(
        base_url=isolation_server.api, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        yield client


@pytest.fixture(scope="module")
def partners(isolation_server: Server) -> Iterator[dict[str, httpx.Client]]:
    clients = {
        agency: httpx.Client(
            base_url=isolation_server.api,
            headers={"Authorization": f"Bearer {isolation_server.token('partner', agency=agency)}"},
            timeout=30,
        )
        for agency in PARTNERS
    }
    yield clients
    for client in clients.values():
        client.close()


def _all_pages(client: httpx.Client, path: str, limit: int, **params: str) -> list[dict[str, Any]]:
    """Every item of a list, following next_cursor; the pages must neither repeat nor skip."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    query: dict[str, str | int]
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = client.get(path, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= limit
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert page["items"], "a page with a next_cursor must not be empty"
    ids = [item["id"] for item in items]
    assert ids == sorted(set(ids)), f"pages repeat or reorder items: {ids}"
    return items


def _deliverable(server: Server) -> dict[str, set[int]]:
    """Per partner, the releases its feed offers now or has delivered, read from the store.

    Withheld by an order, or recalled before delivery: never the partner's to know of.
    """
    engine = create_store_engine(database_url(server.db))
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT partner_id, request_id FROM feed_releases "
                    "WHERE status = 'available' OR delivered_at IS NOT NULL"
                )
            ).all()
    finally:
        engine.dispose()
    found: dict[str, set[int]] = {agency: set() for agency in PARTNERS}
    for partner, request_id in rows:
        found.setdefault(partner, set()).add(request_id)
    return found


def _not_found(request_id: int) -> dict[str, str]:
    return {
        "code": "request.not_found",
        "message": f"no release request {request_id}",
        "field": "request_id",
    }


def _assert_lists_only_its_own(
    agency: str,
    client: httpx.Client,
    everything: list[dict[str, Any]],
    limit: int,
    new: set[int],
    deliverable: set[int],
) -> None:
    own = {
        r["id"]: r
        for r in everything
        if r["recipient"] == agency and r["outcome"] == "released" and r["id"] in deliverable
    }

    # Its list: exactly what was released to it, whatever filters it asks for.
    listed = _all_pages(client, "/releases", limit)
    assert all(r["recipient"] == agency and r["outcome"] == "released" for r in listed), listed
    assert {r["id"] for r in listed} == set(own)
    other = next(a for a in PARTNERS if a != agency)
    filtered = _all_pages(client, "/releases", 1000, recipient=other, outcome="held")
    assert filtered == listed

    # The new requests one at a time: its own released ones; any other is 404 as if absent.
    for request_id in sorted(new):
        response = client.get(f"/releases/{request_id}")
        if request_id in own:
            assert response.status_code == 200, response.text
            assert response.json() == own[request_id]
        else:
            assert response.status_code == 404, response.text
            assert response.json() == _not_found(request_id)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests=release_requests, limit=st.integers(min_value=1, max_value=5))
def test_a_partner_lists_and_reads_only_what_was_released_to_it(
    isolation_server: Server,
    analyst: httpx.Client,
    partners: dict[str, httpx.Client],
    requests: list[tuple[str, str, str]],
    limit: int,
) -> None:
    new: set[int] = set()
    for item, recipient, purpose in requests:
        response = analyst.post(
            "/releases", json={"item": item, "recipient": recipient, "purpose": purpose}
        )
        assert response.status_code == 201, response.text
        new.add(response.json()["request"])
    everything = _all_pages(analyst, "/releases", 1000)
    assert new <= {r["id"] for r in everything}
    deliverable = _deliverable(isolation_server)
    # The partners' views are independent: check them side by side (each waits on I/O).
    with ThreadPoolExecutor(len(partners)) as pool:
        checks = [
            pool.submit(
                _assert_lists_only_its_own,
                agency,
                client,
                everything,
                limit,
                new,
                deliverable[agency],
            )
            for agency, client in partners.items()
        ]
        for check in checks:
            check.result()


@pytest.mark.parametrize("agency", PARTNERS)
def test_a_partner_gets_404_for_every_request_not_released_to_it(
    isolation_server: Server, analyst: httpx.Client, partners: dict[str, httpx.Client], agency: str
) -> None:
    """After the random sequences: every request there is, one by one, and one that is not."""
    client = partners[agency]
    everything = _all_pages(analyst, "/releases", 1000)
    deliverable = _deliverable(isolation_server)[agency]
    with ThreadPoolExecutor(4) as pool:
        responses = pool.map(lambda r: client.get(f"/releases/{r['id']}"), everything)
    for request, response in zip(everything, responses, strict=True):
        own = request["recipient"] == agency and request["outcome"] == "released"
        if own and request["id"] in deliverable:
            assert response.status_code == 200, response.text
            assert response.json() == request
        else:
            assert response.status_code == 404, response.text
            assert response.json() == _not_found(request["id"])
    missing = client.get(f"/releases/{NO_SUCH_REQUEST}")
    assert missing.status_code == 404
    assert missing.json() == _not_found(NO_SUCH_REQUEST)


@pytest.mark.parametrize("agency", PARTNERS)
def test_a_partner_sees_only_its_own_agency_and_undertakings(
    partners: dict[str, httpx.Client], agency: str
) -> None:
    client = partners[agency]
    assert [a["id"] for a in _all_pages(client, "/agencies", 1)] == [agency]
    assert client.get(f"/agencies/{agency}").status_code == 200
    for other in AGENCIES:
        if other != agency:
            response = client.get(f"/agencies/{other}")
            assert response.status_code == 404, response.text
            assert response.json()["code"] == "agency.not_found"
    own = _all_pages(client, "/undertakings", 1)
    assert own and {u["agency"] for u in own} == {agency}
    for other in PARTNERS:
        assert _all_pages(client, "/undertakings", 1000, agency=other) == own


@pytest.mark.parametrize("agency", PARTNERS)
@pytest.mark.parametrize(
    "path", ["/held", "/orders", "/audit/entries", "/items", "/releases/1/decisions"]
)
def test_a_partner_is_refused_the_internal_views(
    partners: dict[str, httpx.Client], agency: str, path: str
) -> None:
    response = partners[agency].get(path)
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "auth.forbidden"


@pytest.mark.parametrize("agency", PARTNERS)
def test_a_partner_lists_only_its_own_outcomes(
    partners: dict[str, httpx.Client], agency: str
) -> None:
    client = partners[agency]
    own = _all_pages(client, "/outcomes", 1)
    assert {o["agency"] for o in own} <= {agency}
    for other in PARTNERS:
        assert _all_pages(client, "/outcomes", 1000, agency=other) == own


@pytest.mark.parametrize("agency", PARTNERS)
def test_reporting_on_another_partners_release_answers_as_for_no_release(
    analyst: httpx.Client, partners: dict[str, httpx.Client], agency: str
) -> None:
    released = _all_pages(analyst, "/releases", 1000, outcome="released")
    theirs = next(r for r in released if r["recipient"] != agency)
    client = partners[agency]

    def report(release: int) -> httpx.Response:
        body = {"release": release, "agency": agency, "kind": "no-action"}
        return client.post("/outcomes", json=body)

    absent = report(NO_SUCH_REQUEST)
    other = report(theirs["id"])
    assert (other.status_code, other.json()["code"]) == (absent.status_code, absent.json()["code"])
    assert theirs["recipient"] not in other.text


def _draft(client: httpx.Client, agency: str, undertaking_id: str) -> httpx.Response:
    return client.post(
        "/undertakings/draft",
        json={"agency": agency, "id": undertaking_id, "permits": ["seizure"]},
    )


def test_a_partner_cannot_tell_another_agencys_undertaking_id_from_one_never_used(
    partners: dict[str, httpx.Client],
) -> None:
    """dea-2025-01 is the DEA's; to the NCA it answers exactly as an id nobody has."""
    taken = _draft(partners["nca"], "nca", "dea-2025-01")
    unused = _draft(partners["nca"], "nca", "dea-2099-99")
    assert taken.status_code == unused.status_code == 422
    assert taken.json()["code"] == "validation.invalid"
    assert taken.json()["field"] == "id"
    assert taken.json()["message"].replace("2025-01", "X") == unused.json()["message"].replace(
        "2099-99", "X"
    )


def test_a_partner_names_its_undertakings_inside_its_own_namespace(
    partners: dict[str, httpx.Client],
) -> None:
    response = _draft(partners["nca"], "nca", "nca-2026-01")
    assert response.status_code == 200, response.text
    assert response.json()["statement"]["id"] == "nca-2026-01"


def test_a_partner_taking_its_own_used_id_is_told_it_exists(
    partners: dict[str, httpx.Client],
) -> None:
    response = _draft(partners["nca"], "nca", "nca-2025-01")
    assert response.status_code == 409
    assert response.json()["field"] == "id"
