"""Every route, generated: a partner's answers carry nothing that is not its own.

The operations are not listed by hand. They are read from the API's OpenAPI document, the
console's router and the TAXII application, so a route added tomorrow is called here without
anyone remembering to add it. Each is called with the DEA's partner token (and, in the console,
its session), every path parameter filled with every id the store holds, and every filter a
partner could use to widen its view set to another partner's. Whatever answers 2xx must name no
other partner, no order, no rule, and none of the DEA's own held, denied, withheld or recalled
requests, nor an item it only reached through them. An error may echo the id the caller sent,
and nothing else.

The store: the November 2025 demo (four partners, orders, held requests, a breach), plus, for
the DEA, a release withheld by a later order, a request held by it, a release recalled before
delivery and a denied request, each on an item of its own.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from pydantic_core import to_jsonable_python
from sqlalchemy import text
from starlette.routing import BaseRoute, Mount

import garante.console
from garante.api.app import create_app
from garante.client import GaranteAPIError, GaranteClient
from garante.console.i18n import LANGUAGES
from garante.domain.decision import Rule
from garante.scenarios.keys import demo_key
from garante.service.app import Garante
from garante.store.database import create_store_engine, database_url
from garante.taxii.app import collection_id
from tests.support.servers import Server, running_server
from tests.support.stores import new_store

STATIC = Path(garante.console.__file__).parent / "static"
PARTNER = "dea"
OTHER_PARTNER = "nca"  # has a key of its own in the demo; the DEA must not see its consents
TAXII = "application/taxii+json;version=2.1"
INTERNAL_READER = "overseer"


def _bundle(name: str) -> dict[str, Any]:
    """A STIX 2.1 bundle of one report on one location, with ids of its own."""
    at = "2025-11-10T12:00:00.000Z"
    location = f"location--{uuid.uuid4()}"
    return {
        "type": "bundle",
        "id": f"bundle--{uuid.uuid4()}",
        "objects": [
            {
                "type": "report",
                "spec_version": "2.1",
                "id": f"report--{uuid.uuid4()}",
                "created": at,
                "modified": at,
                "name": name,
                "report_types": ["threat-report"],
                "published": at,
                "object_refs": [location],
            },
            {
                "type": "location",
                "spec_version": "2.1",
                "id": location,
                "created": at,
                "modified": at,
                "name": "Buenaventura",
                "country": "CO",
            },
        ],
    }


@dataclass(frozen=True)
class World:
    server: Server
    token: str  # the DEA's partner token
    partner: httpx.Client  # the DEA's API client
    taxii: httpx.Client  # its TAXII client
    console: httpx.Client  # its console session
    reader: httpx.Client  # an overseer's, to know what there is
    ids: dict[str, set[str]]  # every id the store holds, by the path parameter it fills
    forbidden_words: frozenset[str]
    forbidden_requests: frozenset[int]


def _client(base: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def _all(client: httpx.Client, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        response = client.get(path, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.is_success, response.text
    body: dict[str, Any] = response.json()
    return body


def _deliverable(server: Server) -> set[int]:
    """The DEA's releases its feed offers or delivered, read from the store, not the service."""
    engine = create_store_engine(database_url(server.db))
    try:
        with engine.connect() as connection:
            return set(
                connection.execute(
                    text(
                        "SELECT request_id FROM feed_releases WHERE partner_id = :partner "
                        "AND (status = 'available' OR delivered_at IS NOT NULL)"
                    ),
                    {"partner": PARTNER},
                ).scalars()
            )
    finally:
        engine.dispose()


def _add_dea_cases(server: Server) -> None:
    """A withheld, a held, a recalled and a denied request for the DEA, on items of their own."""
    with ExitStack() as clients:
        _add_dea_cases_with(server, clients)


def _add_dea_cases_with(server: Server, clients: ExitStack) -> None:
    def client(role: str, **subject: str) -> httpx.Client:
        return clients.enter_context(_client(server.api, server.token(role, **subject)))

    analyst = client("analyst", agency="dipol")
    liaison = client("liaison", agency="dipol")
    for item, region in (
        ("gen-open", "caribbean"),
        ("gen-recalled", "caribbean"),
        ("gen-denied", "caribbean"),
        ("gen-withheld", "pacific"),
        ("gen-held", "pacific"),
    ):
        _ok(
            analyst.post(
                "/items",
                json={
                    "id": item,
                    "title": f"Generated case {item}",
                    "category": "maritime-interdiction",
                    "region": region,
                    "tlp": "amber",
                    "releasable_to": ["GB"] if item == "gen-denied" else [],
                    "bundle": _bundle(item),
                },
            )
        )

    def request(item: str, purpose: str = "seizure") -> dict[str, Any]:
        body = {"item": item, "recipient": PARTNER, "purpose": purpose}
        return _ok(analyst.post("/releases", json=body))

    assert request("gen-open")["outcome"] == "released"
    recalled = request("gen-recalled")
    assert recalled["outcome"] == "released"
    _ok(analyst.post(f"/releases/{recalled['request']}/recall", json={"reason": "wrong desk"}))
    assert request("gen-denied")["outcome"] == "denied"
    assert request("gen-withheld")["outcome"] == "released"
    # A desk with no key registered, so its order needs no signature in this test.
    _ok(liaison.post("/authorities", json={"id": "test-desk", "name": "Test desk"}))
    authority = client("authority", authority="test-desk")
    order = {
        "effect": "hold",
        "scope": {"agencies": [PARTNER], "regions": ["pacific"]},
        "reason": "pacific operations under review",
    }
    _ok(authority.post("/orders", json=order))
    assert request("gen-held")["outcome"] == "held"
    # A standing agreement of the DEA's own, and one of another partner's it must not see.
    for partner in (PARTNER, "fbi"):
        terms = {"partner": partner, "purposes": ["seizure"], "tlp_ceiling": "amber"}
        _ok(liaison.post("/agreements", json={**terms, "id": f"gen-{partner}-standing"}))


def _forbidden(server: Server, reader: httpx.Client) -> tuple[frozenset[str], frozenset[int]]:
    agencies = _all(reader, "/agencies")
    others = {a["id"] for a in agencies if not a["domestic"] and a["id"] != PARTNER}
    orders = {o["id"] for o in _all(reader, "/orders")}
    requests = [r for r in _all(reader, "/releases") if r["recipient"] == PARTNER]
    deliverable = _deliverable(server)
    visible = {r["id"] for r in requests if r["outcome"] == "released" and r["id"] in deliverable}
    # Its own outcomes name their releases, whatever stands for them now: it reported them.
    reported = {o["release"] for o in _all(reader, "/outcomes") if o["agency"] == PARTNER}
    hidden = {r["id"] for r in requests} - visible - reported
    seen_items = {r["item"] for r in requests if r["id"] in visible}
    hidden_items = {r["item"] for r in requests if r["id"] in hidden} - seen_items
    assert others and orders and hidden and hidden_items, "the store must hold every case"
    agreements = {a["id"] for a in _all(reader, "/agreements") if a["partner"] != PARTNER}
    assert agreements, "another partner's agreement must be there to hide"
    words = others | orders | hidden_items | agreements | {rule.value for rule in Rule}
    return frozenset(words), frozenset(hidden)


def _ids(server: Server, reader: httpx.Client) -> dict[str, set[str]]:
    agencies = {a["id"] for a in _all(reader, "/agencies")}
    foreign = {a["id"] for a in _all(reader, "/agencies") if not a["domestic"]}
    objects: set[str] = set()
    for agency in foreign:  # what each partner's feed holds, read with its own token
        feed = httpx.Client(
            base_url=f"{server.url}/taxii2/api/collections/{collection_id(agency)}",
            headers={
                "Authorization": f"Bearer {server.token('partner', agency=agency)}",
                "Accept": TAXII,
            },
            timeout=30,
        )
        with feed:
            body = _ok(feed.get("/objects/"))
            objects |= {obj["id"] for obj in body.get("objects", [])}
    return {
        "agency_id": agencies,
        "authority_id": {a["id"] for a in _all(reader, "/authorities")},
        "item_id": {i["id"] for i in _all(reader, "/items")},
        "undertaking_id": {u["id"] for u in _all(reader, "/undertakings")},
        "order_id": {o["id"] for o in _all(reader, "/orders")},
        "condition_id": {c["id"] for c in _all(reader, "/conditions")},
        "request_id": {str(r["id"]) for r in _all(reader, "/releases")},
        "agreement_id": {a["id"] for a in _all(reader, "/agreements")},
        # The demo has no sources and no client certificates: an id that names none still
        # checks that a partner is refused before anything is looked up.
        "source_id": {s["id"] for s in _all(reader, "/sources")} | {"no-such-source"},
        "fingerprint": {"12" * 32},
        # A witness is the log's, not a partner's: a partner may remove none, registered or not.
        "witness_id": {w["id"] for w in reader.get("/audit/witnesses").json()}
        | {"no-such-witness"},
        "index": {str(index) for index in range(_log_size(reader) + 1)},  # and one beyond
        "sid": {"no-such-status"},  # a TAXII write's status: another partner's answers the same
        "cid": {collection_id(agency) for agency in foreign},
        "oid": objects,
        "code": set(LANGUAGES),  # the console's languages
        "path": {p.name for p in STATIC.iterdir() if p.is_file()},  # the console's own assets
    }


def _ask_consent(server: Server, agency: str) -> None:
    """Another partner's consent request to share onward one of its delivered releases, so
    that a partner's reads of consents meet one that is not its own."""
    with GaranteClient(server.url, server.token("partner", agency=agency)) as client:
        for release in client.iter_releases():
            try:
                client.request_consent(
                    release.id,
                    agency=agency,
                    recipient="onward-recipient",
                    country="GB",
                    purpose="analysis",
                    key=demo_key(agency),
                    requested_at="2025-11-13T22:00:00Z",
                )
                return
            except GaranteAPIError:
                continue
    raise AssertionError(f"{agency} has no delivered release to ask consent for")


def _log_size(reader: httpx.Client) -> int:
    """How many entries the log holds (the receipts' indexes)."""
    size = 0
    while batch := _ok(reader.get("/audit/entries", params={"start": size, "end": size + 1000})):
        size += len(batch)
    return size


@pytest.fixture(scope="module")
def world(request: pytest.FixtureRequest, server_backend: str) -> Iterator[World]:
    with running_server(new_store(request, server_backend, "generated"), demo=True) as server:
        _add_dea_cases(server)
        token = server.token("partner", agency=PARTNER)
        partner = _client(server.api, token)
        taxii = _client(server.url, token)
        taxii.headers["Accept"] = TAXII
        console = httpx.Client(base_url=server.url, cookies={"garante_session": token}, timeout=30)
        reader = _client(server.api, server.token(INTERNAL_READER, agency="dipol"))
        words, requests = _forbidden(server, reader)
        ids = _ids(server, reader)  # reads every partner's feed: their releases are delivered
        _ask_consent(server, OTHER_PARTNER)
        consents: list[dict[str, Any]] = reader.get("/consents").json()
        ids["consent_id"] = {c["id"] for c in consents} | {"no-such-consent"}
        yield World(
            server=server,
            token=token,
            partner=partner,
            taxii=taxii,
            console=console,
            reader=reader,
            ids=ids,
            forbidden_words=words,
            forbidden_requests=requests,
        )
        for client in (partner, taxii, console, reader):
            client.close()


# -- what a leak looks like ------------------------------------------------------------------


def _word(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])")


def _request_ids(value: Any) -> Iterator[int]:
    """Request ids in a JSON answer: under "request" or "release", or the "id" of a request."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if (key in ("request", "release") and isinstance(inner, int)) or (
                key == "id" and isinstance(inner, int) and "recipient" in value
            ):
                yield inner
            else:
                yield from _request_ids(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _request_ids(inner)


def _leaks(world: World, response: httpx.Response, sent: set[str]) -> list[str]:
    """What in an answer is not the partner's to see; an error may echo what was sent."""
    body = response.text
    allowed = sent if not response.is_success else set()
    found = [
        word
        for word in world.forbidden_words - allowed
        if word not in allowed and _word(word).search(body)
    ]
    if "json" in response.headers.get("content-type", ""):
        found += [
            f"request {r}"
            for r in _request_ids(json.loads(body) if body else None)
            if r in world.forbidden_requests and str(r) not in allowed
        ]
    return found


# -- the routes, read from the applications themselves ---------------------------------------


def _api_routes() -> list[tuple[str, str]]:
    app = create_app(Garante.open("sqlite://"))
    spec = app.openapi()
    return [
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    ]


def _walk(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    for route in routes:
        if isinstance(route, APIRoute):
            for method in sorted(set(route.methods or ()) - {"HEAD"}):
                yield method, prefix + route.path
        elif isinstance(route, Mount):
            yield from _walk(list(route.routes), prefix + route.path)
        elif hasattr(route, "original_router"):  # a router included in another
            yield from _walk(list(route.original_router.routes), prefix)


def _app_routes() -> list[tuple[str, str]]:
    """The console's pages and TAXII's endpoints: every route the app serves outside the API."""
    app = create_app(Garante.open("sqlite://"))
    return [
        (method, path)
        for method, path in _walk(list(app.router.routes))
        if not path.startswith("/api/v1") and not path.startswith("/docs")
    ]


API_ROUTES = _api_routes()
APP_ROUTES = _app_routes()
READS = [route for route in API_ROUTES + APP_ROUTES if route[0] == "GET"]
WRITES = [route for route in API_ROUTES + APP_ROUTES if route[0] != "GET"]
PARAM = re.compile(r"{(\w+)(?::\w+)?}")

# Filters a partner could use to widen its view; every list is also called without them.
WIDENING = {"agency": "fbi", "recipient": "fbi", "outcome": "held", "partner": "fbi"}


def _fillings(world: World, path: str) -> Iterator[tuple[str, set[str]]]:
    """The path with its parameters filled every way the store allows, and what was sent."""
    names = PARAM.findall(path)
    if not names:
        yield path, set()
        return
    [name, *rest] = names
    values = world.ids.get(name)
    assert values, f"no ids known for path parameter {name!r} of {path}: add them to _ids"
    for value in sorted(values):
        filled = PARAM.sub(value, path, count=1)
        for deeper, sent in _fillings(world, filled) if rest else [(filled, set())]:
            yield deeper, {value, *sent}


def _call(world: World, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """``path`` called as the partner would: API and TAXII with its token, the console signed in."""
    if path.startswith("/api/v1"):
        return world.partner.request(method, path.removeprefix("/api/v1"), **kwargs)
    client = world.taxii if path.startswith("/taxii2") else world.console
    return client.request(method, path, **kwargs)


@pytest.mark.parametrize(("method", "path"), READS, ids=[f"{m} {p}" for m, p in READS])
def test_a_partner_reads_nothing_that_is_not_its_own(world: World, method: str, path: str) -> None:
    problems: list[str] = []
    for filled, sent in _fillings(world, path):
        for params in ({}, WIDENING):
            response = _call(world, method, filled, params=params)
            assert response.status_code < 500, response.text
            leaks = _leaks(world, response, sent | set(params.values()) - {"fbi", "held"})
            if leaks:
                problems.append(f"{filled} {params or ''} {response.status_code}: {leaks}")
    assert not problems, "\n".join(problems)


def _record_undertaking(world: World, client: GaranteClient) -> Any:
    # Permits the purposes of every held DEA request: each is decided again, and stays held.
    return client.record_undertaking(
        PARTNER,
        permits=["seizure", "analysis"],
        prohibits=["lethal-force"],
        protections=["human-rights", "protection-of-life"],
        categories=["maritime-interdiction"],
        key=demo_key(PARTNER),
    )


def _draft_undertaking(world: World, client: GaranteClient) -> Any:
    return client.draft_undertaking(PARTNER, permits=["analysis"]).statement


def _report_outcome(world: World, client: GaranteClient) -> Any:
    listed = _ok(world.partner.get("/releases"))["items"]
    assert listed, "the DEA has a deliverable release"
    return client.report_outcome(
        listed[0]["id"],
        agency=PARTNER,
        kind="no-action",
        occurred_at="2025-11-13T22:00:00Z",
        key=demo_key(PARTNER),
    )


def _acknowledge(world: World, client: GaranteClient) -> Any:
    """A delivery acknowledged: ``_ids`` read every partner's feed, so the DEA's are delivered."""
    listed = _ok(world.partner.get("/releases"))["items"]
    for release in listed:
        try:
            return client.acknowledge(
                release["id"],
                of="delivery",
                agency=PARTNER,
                key=demo_key(PARTNER),
                acknowledged_at="2025-11-13T22:00:00Z",
            )
        except GaranteAPIError:
            continue
    raise AssertionError("the DEA has no delivered release to acknowledge")


def _request_consent(world: World, client: GaranteClient) -> Any:
    """A consent to share onward asked of one of the DEA's delivered releases."""
    listed = _ok(world.partner.get("/releases"))["items"]
    for release in listed:
        try:
            return client.request_consent(
                release["id"],
                agency=PARTNER,
                recipient="onward-recipient",
                country="US",
                purpose="analysis",
                key=demo_key(PARTNER),
                requested_at="2025-11-13T22:00:00Z",
            )
        except GaranteAPIError:
            continue
    raise AssertionError("the DEA has no delivered release to ask consent for")


def _cosign(world: World, client: GaranteClient) -> Any:
    """A cosignature posted, as anyone may: a partner not registered as a witness is refused,
    and the answer says so of the public checkpoint alone, nothing of anyone else."""
    note = client.checkpoint().note
    try:
        return client.add_cosignature(note)
    except GaranteAPIError as exc:
        return {"code": exc.code, "message": exc.message}


# The writes a partner may make, each made as a partner would (signed, with its typed client);
# any other write must refuse a partner outright.
PARTNER_WRITES: dict[tuple[str, str], Callable[[World, GaranteClient], Any]] = {
    ("POST", "/api/v1/undertakings/draft"): _draft_undertaking,
    ("POST", "/api/v1/undertakings"): _record_undertaking,
    ("POST", "/api/v1/outcomes"): _report_outcome,
    ("POST", "/api/v1/acknowledgements"): _acknowledge,
    ("POST", "/api/v1/consents"): _request_consent,
    ("POST", "/api/v1/audit/cosignatures"): _cosign,
}


@pytest.mark.parametrize(("method", "path"), WRITES, ids=[f"{m} {p}" for m, p in WRITES])
def test_a_partner_writes_only_what_it_may_and_hears_only_its_own(
    world: World, method: str, path: str
) -> None:
    write = PARTNER_WRITES.get((method, path))
    if write is not None:
        with GaranteClient(world.server.url, world.token) as client:
            answer = json.dumps(to_jsonable_python(write(world, client)))
        leaks = [w for w in world.forbidden_words if _word(w).search(answer)]
        leaks += [
            f"request {r}"
            for r in _request_ids(json.loads(answer))
            if r in world.forbidden_requests
        ]
        assert not leaks, answer
        return
    for filled, sent in _fillings(world, path):
        response = _call(world, method, filled, json={})
        assert response.status_code in (303, 401, 403, 404, 405), (
            f"a partner may call {method} {path} ({response.status_code} {response.text}): "
            "add the write, made as a partner would, to PARTNER_WRITES"
        )
        leaks = _leaks(world, response, sent)
        assert not leaks, f"{filled} {response.status_code}: {leaks}"
