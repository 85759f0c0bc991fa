"""TAXII 2.1 conformance, at the points where servers commonly stray.

Plain HTTP (httpx) against a real server, so that status codes, headers and exact bodies are
seen as a client sees them. Section numbers are those of TAXII 2.1 (OASIS Standard, 2021).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from garante.taxii.app import write_collection_id
from garante.taxii.media import TAXII_JSON
from tests.taxii.client import NEWCOMER, Taxii

MICROSECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
PARTNER = "dea"


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == TAXII_JSON
    body: dict[str, Any] = response.json()
    return body


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    """A TAXII error message (3.6.1): title, http_status as a string, the TAXII media type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == TAXII_JSON
    body: dict[str, Any] = response.json()
    assert isinstance(body["title"], str) and body["title"]
    assert body["http_status"] == str(status)
    return body


def _types(body: dict[str, Any]) -> list[str]:
    return [obj["type"] for obj in body.get("objects", [])]


# -- filtering (3.4) -------------------------------------------------------------------------


def test_repeated_match_type_parameters_select_every_type_named(taxii: Taxii) -> None:
    response = httpx.get(
        taxii.collection(PARTNER) + "objects/",
        params=[("match[type]", "report"), ("match[type]", "location")],
        headers=taxii.headers(PARTNER),
    )
    assert set(_types(_ok(response))) == {"report", "location"}


def test_a_comma_list_in_match_type_selects_the_same_objects(taxii: Taxii) -> None:
    repeated = httpx.get(
        taxii.collection(PARTNER) + "objects/",
        params=[("match[type]", "report"), ("match[type]", "location")],
        headers=taxii.headers(PARTNER),
    )
    listed = taxii.objects(PARTNER, **{"match[type]": "report,location"})
    assert _ok(listed) == _ok(repeated)
    assert set(_types(_ok(listed))) == {"report", "location"}


def test_match_spec_version_2_0_selects_nothing(taxii: Taxii) -> None:
    body = _ok(taxii.objects(PARTNER, **{"match[spec_version]": "2.0"}))
    assert body == {"more": False}


def test_a_malformed_added_after_is_400_with_a_taxii_error(taxii: Taxii) -> None:
    body = _error(taxii.objects(PARTNER, added_after="last tuesday"), 400)
    assert body["error_code"] == "taxii.bad_added_after"


def test_an_added_after_without_a_zone_is_400(taxii: Taxii) -> None:
    _error(taxii.objects(PARTNER, added_after="2025-11-13T00:00:00"), 400)


@pytest.mark.parametrize("limit", ["0", "-5", "ten", "²", "9" * 30])
def test_a_limit_that_is_not_a_positive_integer_is_400(taxii: Taxii, limit: str) -> None:
    body = _error(taxii.objects(PARTNER, limit=limit), 400)
    assert body["error_code"] == "taxii.bad_limit"


# -- authentication and content negotiation --------------------------------------------------


def test_401_without_credentials_carries_www_authenticate_and_a_taxii_error(
    taxii: Taxii,
) -> None:
    response = taxii.get(taxii.collection(PARTNER) + "objects/", None)
    _error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Basic ")


def test_a_wrong_token_is_401_too(taxii: Taxii) -> None:
    response = httpx.get(taxii.discovery, auth=(PARTNER, "gar_not-a-token"))
    _error(response, 401)
    assert "WWW-Authenticate" in response.headers


def test_basic_auth_with_the_token_as_password_is_accepted(taxii: Taxii) -> None:
    response = httpx.get(
        taxii.collection(PARTNER),
        auth=(PARTNER, taxii.tokens[PARTNER]),
        headers={"Accept": TAXII_JSON},
    )
    assert _ok(response)["can_read"] is True


def test_accept_text_html_is_406_with_a_taxii_error(taxii: Taxii) -> None:
    headers = {**taxii.headers(PARTNER), "Accept": "text/html"}
    _error(httpx.get(taxii.collection(PARTNER) + "objects/", headers=headers), 406)


def test_accept_taxii_2_0_is_406(taxii: Taxii) -> None:
    headers = {**taxii.headers(PARTNER), "Accept": "application/taxii+json;version=2.0"}
    _error(httpx.get(taxii.discovery, headers=headers), 406)


# -- envelopes, manifests and their headers (5.3, 5.6) ----------------------------------------


def test_an_empty_collection_envelope_has_no_objects_key(taxii: Taxii) -> None:
    response = taxii.objects(NEWCOMER)
    assert _ok(response) == {"more": False}
    assert "X-TAXII-Date-Added-First" not in response.headers


def test_an_empty_manifest_has_no_objects_key(taxii: Taxii) -> None:
    assert _ok(taxii.manifest(NEWCOMER)) == {"more": False}


def test_a_filter_that_matches_nothing_gives_an_envelope_without_objects(taxii: Taxii) -> None:
    assert _ok(taxii.objects(PARTNER, **{"match[type]": "malware"})) == {"more": False}


def test_manifest_entries_are_in_date_added_order_with_microseconds(taxii: Taxii) -> None:
    entries = _ok(taxii.manifest(PARTNER))["objects"]
    added = [entry["date_added"] for entry in entries]
    assert all(MICROSECONDS.match(value) for value in added), added
    assert added == sorted(added)
    assert len(set(added)) == len(added)


def test_objects_come_in_the_manifests_order(taxii: Taxii) -> None:
    manifest = [entry["id"] for entry in _ok(taxii.manifest(PARTNER))["objects"]]
    objects = [obj["id"] for obj in _ok(taxii.objects(PARTNER))["objects"]]
    assert objects == manifest


@pytest.mark.parametrize("endpoint", ["objects/", "manifest/"])
def test_date_added_headers_bound_the_page_with_microseconds(taxii: Taxii, endpoint: str) -> None:
    full = _ok(taxii.manifest(PARTNER))["objects"]
    response = taxii.get(taxii.collection(PARTNER) + endpoint, PARTNER, limit=3)
    first = response.headers["X-TAXII-Date-Added-First"]
    last = response.headers["X-TAXII-Date-Added-Last"]
    assert MICROSECONDS.match(first) and MICROSECONDS.match(last)
    assert (first, last) == (full[0]["date_added"], full[2]["date_added"])


def test_the_versions_endpoint_carries_date_added_headers(taxii: Taxii) -> None:
    entry = _ok(taxii.manifest(PARTNER, **{"match[type]": "report"}))["objects"][0]
    response = taxii.get(taxii.collection(PARTNER) + f"objects/{entry['id']}/versions/", PARTNER)
    assert _ok(response)["versions"] == [entry["version"]]
    assert response.headers["X-TAXII-Date-Added-Last"] == entry["date_added"]


def test_an_unknown_object_is_404_with_a_taxii_error(taxii: Taxii) -> None:
    missing = "report--00000000-0000-4000-8000-000000000000"
    _error(taxii.get(taxii.collection(PARTNER) + f"objects/{missing}/", PARTNER), 404)


# -- paging with next (3.3) -------------------------------------------------------------------


def test_next_pages_through_the_collection_without_gaps_or_repeats(taxii: Taxii) -> None:
    expected = [entry["id"] for entry in _ok(taxii.manifest(PARTNER))["objects"]]
    seen: list[str] = []
    body = _ok(taxii.objects(PARTNER, limit=2))
    while True:
        seen += [obj["id"] for obj in body["objects"]]
        if not body["more"]:
            assert "next" not in body
            break
        body = _ok(taxii.objects(PARTNER, limit=2, next=body["next"]))
    assert seen == expected


def test_a_next_token_reused_with_other_filters_is_400(taxii: Taxii) -> None:
    token = _ok(taxii.objects(PARTNER, limit=2))["next"]
    body = _error(taxii.objects(PARTNER, limit=2, next=token, **{"match[type]": "report"}), 400)
    assert body["error_code"] == "taxii.bad_next"


def test_a_next_token_from_the_objects_endpoint_is_400_on_the_manifest(taxii: Taxii) -> None:
    token = _ok(taxii.objects(PARTNER, limit=2))["next"]
    _error(taxii.manifest(PARTNER, limit=2, next=token), 400)


def test_a_next_token_used_by_another_partner_is_400(taxii: Taxii) -> None:
    token = _ok(taxii.objects(PARTNER, limit=2))["next"]
    body = _error(taxii.objects("nca", limit=2, next=token), 400)
    assert body["error_code"] == "taxii.bad_next"


def test_a_next_token_the_server_never_issued_is_400(taxii: Taxii) -> None:
    _error(taxii.objects(PARTNER, next="bm90IGEgdG9rZW4"), 400)


# -- HTTP -------------------------------------------------------------------------------------


def test_a_post_to_the_read_only_collection_is_403_naming_the_write_collection(
    taxii: Taxii,
) -> None:
    response = httpx.post(
        taxii.collection(PARTNER) + "objects/",
        headers={**taxii.headers(PARTNER), "Content-Type": TAXII_JSON},
        content=b'{"objects": []}',
    )
    body = _error(response, 403)  # TAXII 2.1, 5.4: no access to write to this collection
    assert body["error_code"] == "taxii.not_writable"
    assert write_collection_id(PARTNER) in body["description"]


def test_a_delete_of_a_collection_says_which_methods_are_allowed(taxii: Taxii) -> None:
    response = httpx.delete(taxii.collection(PARTNER) + "objects/", headers=taxii.headers(PARTNER))
    _error(response, 405)
    assert "GET" in response.headers["Allow"].replace(" ", "").split(",")


def _forged(token: str, **change: object) -> str:
    """A token re-encoded with another position: its fingerprint anyone can compute."""
    import base64
    import json as _json

    data = _json.loads(base64.urlsafe_b64decode(token.encode() + b"==="))
    data.update(change)
    raw = _json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "change",
    [{"s": 10**30}, {"s": -1}, {"d": "2025-11-11T21:00:00"}, {"d": "9999-12-31T23:59:59-01:00"}],
    ids=["31-digit-sequence", "negative-sequence", "zoneless-date", "overflowing-date"],
)
def test_a_forged_next_position_is_400_not_500(taxii: Taxii, change: dict[str, object]) -> None:
    token = _ok(taxii.objects(PARTNER, limit=2))["next"]
    body = _error(taxii.objects(PARTNER, limit=2, next=_forged(token, **change)), 400)
    assert body["error_code"] == "taxii.bad_next"


@pytest.mark.parametrize("parameter", ["added_after", "match[version]"])
@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_timestamp_beyond_the_calendar_in_utc_is_400(
    taxii: Taxii, parameter: str, when: str
) -> None:
    _error(taxii.objects(PARTNER, **{parameter: when}), 400)
