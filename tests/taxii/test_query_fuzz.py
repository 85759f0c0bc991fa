"""Hostile TAXII query parameters, on both stores: a TAXII error, never a 500.

Every filter and paging parameter of the objects, manifest and versions endpoints gets
arbitrary and mutated values (Unicode digits, NULs, overflowing dates, forged tokens, huge
numbers) through a real server. The answer is 200 or a 4xx that is a TAXII error.
"""

from __future__ import annotations

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from garante.taxii.media import TAXII_JSON
from tests.fuzz.mutations import mutated, odd_text
from tests.taxii.client import Taxii

PARTNER = "dea"
EXAMPLES = {
    "limit": "10",
    "added_after": "2025-11-11T21:00:00.000000Z",
    "next": "eyJkIjoiMjAyNS0xMS0xMVQyMTowMDowMCswMDowMCIsInMiOjEsImYiOiIwIn0",
    "match[id]": "report--5d4e1b3a-5b0f-4b0e-9d6a-0c1b2a3d4e5f",
    "match[type]": "report,indicator",
    "match[version]": "2025-11-11T21:00:00.000Z",
    "match[spec_version]": "2.1",
}
ENDPOINTS = (
    "objects/",
    "manifest/",
    "objects/report--5d4e1b3a-5b0f-4b0e-9d6a-0c1b2a3d4e5f/versions/",
)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False  # no client can send it in a URL; the server never sees it
    return True


values = st.one_of(
    odd_text,
    st.sampled_from(list(EXAMPLES.values())).flatmap(mutated),
    st.integers(-(2**70), 2**70).map(str),
).filter(_encodable)
queries = st.dictionaries(st.sampled_from(sorted(EXAMPLES)), values, min_size=1, max_size=3)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(endpoint=st.sampled_from(ENDPOINTS), query=queries)
def test_any_query_gets_an_answer_or_a_taxii_error(
    taxii: Taxii, endpoint: str, query: dict[str, str]
) -> None:
    response = httpx.get(
        taxii.collection(PARTNER) + endpoint,
        params=query,
        headers=taxii.headers(PARTNER),
        timeout=30,
    )
    assert response.status_code < 500, (query, response.text[:300])
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith(TAXII_JSON), query
        assert {"title", "http_status"} <= set(response.json()), response.text[:300]
