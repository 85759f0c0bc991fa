"""The TAXII 2.1 server (OASIS, 2021) mounted at /taxii2/: discovery, one API root, a
read-only collection per partner, objects, object versions and manifest; and a write
collection per partner, where it writes back signed acknowledgements and outcome reports and
reads the status of each write.

The read path serves the canonical JSON stored at release time, joined as text into the
envelope: the stix2 parser never runs per object on the way out.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from garante import __version__, records
from garante.api.clientcert import TrustedProxies, certificate_principal, peer_host
from garante.canonical import Json
from garante.domain.numbers import whole_number
from garante.domain.roles import Principal, Role
from garante.service.app import Garante
from garante.service.tokens import Forbidden, Unauthenticated
from garante.stix import writeback
from garante.stix.markings import normalise_timestamp, taxii_time
from garante.store.feed import FeedBodies, FeedQuery, FeedRow
from garante.taxii import cursor, errors
from garante.taxii.errors import TaxiiError
from garante.taxii.media import STIX_JSON, TAXII_JSON, acceptable, dumps, encoded

API_ROOT = "api"
MAX_PAGE = 1000
MAX_WRITE_BYTES = 1_048_576  # the API root's max_content_length
MAX_WRITE_OBJECTS = 100
_NAMESPACE = uuid.UUID("5f0c2d59-8c1a-5e0b-9d3e-7461786969a1")


def collection_id(partner_id: str) -> str:
    """Each partner's collection has a stable id, the same on every server."""
    return str(uuid.uuid5(_NAMESPACE, f"releases:{partner_id}"))


def write_collection_id(partner_id: str) -> str:
    """Each partner's write collection (acknowledgements and outcome reports), as stable."""
    return str(uuid.uuid5(_NAMESPACE, f"writeback:{partner_id}"))


def create_taxii_app(garante: Garante, *, trusted_proxies: TrustedProxies | None = None) -> FastAPI:
    app = FastAPI(title="Garante TAXII 2.1", openapi_url=None, docs_url=None, redoc_url=None)
    errors.install(app)
    trusted = trusted_proxies or TrustedProxies()

    def authenticated(request: Request) -> Principal:
        """A client certificate a trusted proxy verified, else the token (api/clientcert.py
        says why the certificate wins when both come)."""
        host = peer_host(request)
        certified = certificate_principal(garante, trusted, host, request.headers)
        if certified is not None:
            return certified
        return garante.authenticate(_credentials(request.headers.get("authorization")))

    def partner(request: Request) -> Principal:
        if not acceptable(request.headers.get("accept")):
            raise TaxiiError(
                406,
                "Not acceptable",
                f"this server answers with {TAXII_JSON}",
                code="taxii.not_acceptable",
            )
        who = authenticated(request)
        if who.role != Role.PARTNER or who.agency_id is None:
            raise Forbidden(
                "TAXII feeds are for partner tokens",
                hint="create one with garante tokens create --role partner --agency ID",
            )
        return who

    def own(request: Request, cid: str) -> Principal:
        who = partner(request)
        if cid == write_collection_id(str(who.agency_id)):
            raise TaxiiError(
                403,
                "Collection not readable",
                "this collection takes what you write back (can_read is false); read your "
                f"releases from collection {collection_id(str(who.agency_id))}",
                code="taxii.not_readable",
            )
        if cid != collection_id(str(who.agency_id)):
            # The same answer whether the collection is another partner's or does not exist.
            raise TaxiiError(
                404,
                "No such collection",
                f"no collection {cid} for this caller",
                code="taxii.collection_not_found",
            )
        return who

    def query(
        cid: str,
        request: Request,
        endpoint: str,
        *,
        object_id: str | None = None,
        default_version: str = "last",
    ) -> tuple[Garante, _Query]:
        """The caller's own collection's query, as ``_query`` reads it, and the service
        acting for the caller."""
        who = own(request, cid)
        agency = str(who.agency_id)
        ids = () if object_id is None else (object_id,)
        return garante.acting_as(who), _query(agency, request, endpoint, ids, default_version)

    def missing(request: Request, object_id: str | None, found: bool) -> None:
        """With ``object_id``, the first page must find the object."""
        if object_id is not None and not found and "next" not in request.query_params:
            raise TaxiiError(
                404,
                "No such object",
                f"no object {object_id} in this collection",
                code="taxii.object_not_found",
            )

    def page(
        cid: str,
        request: Request,
        endpoint: str,
        *,
        object_id: str | None = None,
        default_version: str = "last",
    ) -> tuple[list[FeedRow], bool, str | None]:
        """One page of the caller's own collection that delivers nothing (a manifest or a
        versions list); with ``object_id``, of that object alone."""
        service, asked = query(
            cid, request, endpoint, object_id=object_id, default_version=default_version
        )
        rows, more = service.feed_page(asked.feed, deliver=False)
        missing(request, object_id, bool(rows))
        token = asked.token(rows[-1].date_added, rows[-1].seq) if more else None
        return rows, more, token

    def delivered(
        cid: str, request: Request, endpoint: str, *, object_id: str | None = None
    ) -> Response:
        """One page of objects, delivered: the stored bodies joined into the envelope."""
        service, asked = query(cid, request, endpoint, object_id=object_id)
        found = service.feed_bodies(asked.feed)
        missing(request, object_id, bool(found.bodies))
        token = None
        if found.more and found.last_added is not None and found.last_seq is not None:
            token = asked.token(found.last_added, found.last_seq)
        return _envelope(found, token)

    @app.get("/")
    def discovery(request: Request) -> Response:
        partner(request)
        base = f"{request.url.scheme}://{request.url.netloc}{request.scope.get('root_path', '')}"
        return _json(
            {
                "title": "Garante",
                "description": "Conditional intelligence sharing: what has been released to "
                "you and may be delivered now.",
                "default": f"{base}/{API_ROOT}/",
                "api_roots": [f"{base}/{API_ROOT}/"],
            }
        )

    @app.get(f"/{API_ROOT}/")
    def api_root(request: Request) -> Response:
        partner(request)
        return _json(
            {
                "title": "Releases",
                "description": f"Garante {__version__}",
                "versions": [TAXII_JSON],
                "max_content_length": MAX_WRITE_BYTES,
            }
        )

    @app.get(f"/{API_ROOT}/collections/")
    def collections(request: Request) -> Response:
        agency = str(partner(request).agency_id)
        return _json({"collections": [_collection(agency), _write_collection(agency)]})

    @app.get(f"/{API_ROOT}/collections/{{cid}}/")
    def collection(cid: str, request: Request) -> Response:
        who = partner(request)
        if cid == write_collection_id(str(who.agency_id)):
            return _json(_write_collection(str(who.agency_id)))
        return _json(_collection(str(own(request, cid).agency_id)))

    def writer(request: Request, cid: str) -> Principal:
        """The caller, writing to its own write collection."""
        who = partner(request)
        agency = str(who.agency_id)
        if cid == collection_id(agency):
            raise TaxiiError(
                403,
                "Collection not writable",
                "this collection is what was released to you (can_write is false); write to "
                f"collection {write_collection_id(agency)}",
                code="taxii.not_writable",
            )
        if cid != write_collection_id(agency):
            raise TaxiiError(
                404,
                "No such collection",
                f"no collection {cid} for this caller",
                code="taxii.collection_not_found",
            )
        media = (request.headers.get("content-type") or "").replace(" ", "").lower()
        if media != TAXII_JSON.lower():
            raise TaxiiError(
                415,
                "Unsupported media type",
                f"send the envelope as Content-Type: {TAXII_JSON}",
                code="taxii.unsupported_media_type",
            )
        length = whole_number(request.headers.get("content-length") or "0")
        if length is not None and length > MAX_WRITE_BYTES:
            raise _too_large()
        return who

    @app.api_route(f"/{API_ROOT}/collections/{{cid}}/objects/", methods=["GET", "POST"])
    async def objects(cid: str, request: Request) -> Response:
        """GET reads the read collection (5.3); POST writes to the write collection (5.4).
        One route for both, so a method neither takes is told both in ``Allow``."""
        if request.method == "GET":
            return await run_in_threadpool(delivered, cid, request, "objects")
        return await add_objects(cid, request)

    async def add_objects(cid: str, request: Request) -> Response:
        who = await run_in_threadpool(writer, request, cid)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_WRITE_BYTES:
                raise _too_large()
        writes = [writeback.read(obj) for obj in _objects(bytes(body))]
        status = await run_in_threadpool(garante.acting_as(who).write_back, writes)
        return Response(dumps(_status(status)), status_code=202, media_type=TAXII_JSON)

    def status(sid: str, request: Request) -> Response:
        who = partner(request)
        return _json(_status(garante.acting_as(who).write_status(sid)))

    # taxii2-client asks for the status at the URL without the final slash.
    app.get(f"/{API_ROOT}/status/{{sid}}/")(status)
    app.get(f"/{API_ROOT}/status/{{sid}}")(status)

    @app.get(f"/{API_ROOT}/collections/{{cid}}/objects/{{oid}}/")
    def one_object(cid: str, oid: str, request: Request) -> Response:
        return delivered(cid, request, f"object:{oid}", object_id=oid)

    @app.get(f"/{API_ROOT}/collections/{{cid}}/objects/{{oid}}/versions/")
    def versions(cid: str, oid: str, request: Request) -> Response:
        rows, more, token = page(
            cid, request, f"versions:{oid}", object_id=oid, default_version="all"
        )
        body: dict[str, Json] = {"more": more}
        if token:
            body["next"] = token
        body["versions"] = [_stated_version(row) for row in rows]
        return _json(body, rows)

    @app.get(f"/{API_ROOT}/collections/{{cid}}/manifest/")
    def manifest(cid: str, request: Request) -> Response:
        rows, more, token = page(cid, request, "manifest")
        body: dict[str, Json] = {"more": more}
        if token:
            body["next"] = token
        if rows:
            body["objects"] = [
                {
                    "id": row.object_id,
                    "date_added": taxii_time(row.date_added),
                    "version": _stated_version(row),
                    "media_type": STIX_JSON,
                }
                for row in rows
            ]
        return _json(body, rows)

    return app


def _stated_version(row: FeedRow) -> str:
    """The version as the object states it (its ``modified``), not the normalised sort key.

    The stored body is the only place the stated form is kept, so it is parsed here, once per
    row of a manifest or versions page, by orjson (several times quicker than ``json``); a body
    orjson refuses (a number beyond a double, which ``json`` reads as infinity) by ``json``.
    """
    try:
        obj = orjson.loads(row.body)
    except orjson.JSONDecodeError:
        obj = json.loads(row.body)
    return str(obj.get("modified") or obj.get("created") or row.version)


def _credentials(header: str | None) -> str:
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value:
            return value.strip()
        if scheme.lower() == "basic" and value:
            try:
                _, _, password = base64.b64decode(value.strip()).decode().partition(":")
            except ValueError:  # binascii.Error, non-ASCII text, or not UTF-8
                password = ""
            if password:
                return password
    raise Unauthenticated(
        "TAXII needs your partner token",
        hint="HTTP basic auth with the token as password, or Authorization: Bearer",
    )


def _collection(agency: str) -> dict[str, Json]:
    return {
        "id": collection_id(agency),
        "title": f"Releases to {agency}",
        "description": "Everything released to you that may be delivered now.",
        "can_read": True,
        "can_write": False,
        "media_types": [STIX_JSON],
    }


def _write_collection(agency: str) -> dict[str, Json]:
    return {
        "id": write_collection_id(agency),
        "title": f"Write-back from {agency}",
        "description": "Write your signed acknowledgements of deliveries and of recalls, and "
        "your signed outcome reports, here: STIX 2.1 notes carrying the Garante write-back "
        f"extension ({writeback.WRITEBACK_EXTENSION_ID}).",
        "can_read": False,
        "can_write": True,
        "media_types": [STIX_JSON],
    }


def _too_large() -> TaxiiError:
    return TaxiiError(
        413,
        "Envelope too large",
        f"an envelope may be at most {MAX_WRITE_BYTES} bytes; send fewer objects at a time",
        code="taxii.too_large",
    )


def _objects(body: bytes) -> list[object]:
    """The objects of a TAXII envelope, at most ``MAX_WRITE_OBJECTS``."""
    try:
        envelope = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        envelope = None
    objects = envelope.get("objects") if isinstance(envelope, dict) else None
    if not isinstance(objects, list) or not objects:
        raise TaxiiError(
            400,
            "Invalid envelope",
            'send a TAXII envelope: a JSON object whose "objects" lists the STIX objects',
            code="taxii.bad_envelope",
        )
    if len(objects) > MAX_WRITE_OBJECTS:
        raise TaxiiError(
            413,
            "Too many objects",
            f"an envelope may hold at most {MAX_WRITE_OBJECTS} objects; send the rest in another",
            code="taxii.too_many_objects",
        )
    return objects


def _status(status: records.WriteStatus) -> dict[str, Json]:
    """A status resource (TAXII 2.1, 4.3.1); empty lists are left out."""
    body: dict[str, Json] = {
        "id": status.id,
        "status": status.status,
        "request_timestamp": status.request_timestamp,
        "total_count": status.total_count,
        "success_count": status.success_count,
        "failure_count": status.failure_count,
        "pending_count": status.pending_count,
    }
    for name, results in (("successes", status.successes), ("failures", status.failures)):
        if results:
            body[name] = [{"id": r.id, "version": r.version, "message": r.message} for r in results]
    return body


def _values(request: Request, name: str) -> tuple[str, ...]:
    """Repeated parameters and comma lists alike (TAXII 2.1, 3.4.1)."""
    out: list[str] = []
    for raw in request.query_params.getlist(name):
        out.extend(part.strip() for part in raw.split(",") if part.strip())
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class _Query:
    """A request's feed query, and the filters its next tokens are bound to."""

    feed: FeedQuery
    agency: str
    filters: str

    def token(self, date_added: datetime, seq: int) -> str:
        return cursor.encode(self.agency, self.filters, date_added, seq)


def _query(
    agency: str,
    request: Request,
    endpoint: str,
    ids: tuple[str, ...],
    default_version: str,
) -> _Query:
    """A request's parameters as a query of the caller's collection (TAXII 2.1, 3.4)."""
    params = request.query_params
    limit = MAX_PAGE
    if "limit" in params:
        asked = whole_number(params["limit"])
        if asked is None or asked < 1:
            raise TaxiiError(
                400, "Invalid limit", "limit must be a positive integer", code="taxii.bad_limit"
            )
        limit = min(asked, MAX_PAGE)
    added_after = None
    if "added_after" in params:
        added_after = _timestamp(params["added_after"])
    types = _values(request, "match[type]")
    match_ids = ids or _values(request, "match[id]")
    version_filter = _versions(_values(request, "match[version]") or (default_version,))
    spec_versions = _values(request, "match[spec_version]")
    filters = dumps(
        [endpoint, params.get("added_after"), types, match_ids, version_filter, spec_versions]
    )
    after = cursor.decode(params["next"], agency, filters) if "next" in params else None
    feed = FeedQuery(
        partner_id=agency,
        added_after=added_after,
        types=types,
        ids=match_ids,
        versions=version_filter,
        spec_versions=spec_versions,
        after=after,
        limit=limit,
    )
    return _Query(feed=feed, agency=agency, filters=filters)


def _versions(values: tuple[str, ...]) -> tuple[str, ...]:
    """last, first, all, or timestamps, normalised so they compare as instants."""
    out = []
    for value in values:
        if value in ("last", "first", "all"):
            out.append(value)
            continue
        try:
            out.append(normalise_timestamp(value))
        except (ValueError, OverflowError):  # OverflowError: outside years 1-9999 in UTC
            raise TaxiiError(
                400,
                "Invalid match[version]",
                f"'{value}' is not last, first, all or an RFC 3339 timestamp in years 1 to "
                "9999 (UTC)",
                code="taxii.bad_version",
            ) from None
    return tuple(out)


def _timestamp(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise TaxiiError(
            400,
            "Invalid added_after",
            f"'{text}' is not an RFC 3339 timestamp",
            code="taxii.bad_added_after",
        ) from None
    if value.tzinfo is None:
        raise TaxiiError(
            400,
            "Invalid added_after",
            "the timestamp needs a zone (Z)",
            code="taxii.bad_added_after",
        )
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise TaxiiError(
            400,
            "Invalid added_after",
            f"'{text}' falls outside years 1 to 9999 in UTC",
            code="taxii.bad_added_after",
        ) from None


def _headers(first: datetime | None, last: datetime | None) -> dict[str, str]:
    if first is None or last is None:
        return {}
    return {
        "X-TAXII-Date-Added-First": taxii_time(first),
        "X-TAXII-Date-Added-Last": taxii_time(last),
    }


def _json(body: dict[str, Json], rows: list[FeedRow] | None = None) -> Response:
    """A TAXII resource as compact UTF-8 JSON (``media.encoded``); a manifest or versions
    page carries its first and last ``date_added`` in the headers."""
    headers = _headers(rows[0].date_added, rows[-1].date_added) if rows else {}
    return Response(encoded(body), media_type=TAXII_JSON, headers=headers)


def _envelope(page: FeedBodies, token: str | None) -> Response:
    """The envelope as text around the stored objects: no parse, no re-serialisation.

    The page's text is built by one join and encoded once: the envelope's head rides on the
    first object and its tail on the last. Every further copy of a page this size (a concatenation,
    an f-string around the join) cost more than its copying, about a millisecond a page in the
    server: freshly mapped memory, faulted in page by page.
    """
    head = '{"more":true' if page.more else '{"more":false'
    if token:
        head += f',"next":"{token}"'
    if not page.bodies:  # TAXII: empty lists are left out
        text = head + "}"
    else:
        pieces = list(page.bodies)
        pieces[0] = f'{head},"objects":[{pieces[0]}'
        pieces[-1] += "]}"
        text = ",".join(pieces)
    return Response(
        text.encode(),
        media_type=TAXII_JSON,
        headers=_headers(page.first_added, page.last_added),
    )
