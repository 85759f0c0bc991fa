"""The TAXII 2.1 server (OASIS, 2021) mounted at /taxii2/: discovery, one API root, a
read-only collection per partner, objects, object versions and manifest.

The read path serves the canonical JSON stored at release time, joined as text into the
envelope: the stix2 parser never runs per object on the way out.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from fastapi.responses import Response

from garante import __version__
from garante.canonical import Json
from garante.domain.numbers import whole_number
from garante.domain.roles import Principal, Role
from garante.service.app import Garante
from garante.service.tokens import Forbidden, Unauthenticated
from garante.stix.markings import normalise_timestamp, taxii_time
from garante.store.feed import FeedQuery, FeedRow
from garante.taxii import cursor, errors
from garante.taxii.errors import TaxiiError
from garante.taxii.media import STIX_JSON, TAXII_JSON, acceptable, dumps

API_ROOT = "api"
MAX_PAGE = 1000
_NAMESPACE = uuid.UUID("5f0c2d59-8c1a-5e0b-9d3e-7461786969a1")


def collection_id(partner_id: str) -> str:
    """Each partner's collection has a stable id, the same on every server."""
    return str(uuid.uuid5(_NAMESPACE, f"releases:{partner_id}"))


def create_taxii_app(garante: Garante) -> FastAPI:
    app = FastAPI(title="Garante TAXII 2.1", openapi_url=None, docs_url=None, redoc_url=None)
    errors.install(app)

    def partner(request: Request) -> Principal:
        if not acceptable(request.headers.get("accept")):
            raise TaxiiError(
                406,
                "Not acceptable",
                f"this server answers with {TAXII_JSON}",
                code="taxii.not_acceptable",
            )
        secret = _credentials(request.headers.get("authorization"))
        who = garante.authenticate(secret)
        if who.role != Role.PARTNER or who.agency_id is None:
            raise Forbidden(
                "TAXII feeds are for partner tokens",
                hint="create one with garante tokens create --role partner --agency ID",
            )
        return who

    def own(request: Request, cid: str) -> Principal:
        who = partner(request)
        if cid != collection_id(str(who.agency_id)):
            # The same answer whether the collection is another partner's or does not exist.
            raise TaxiiError(
                404,
                "No such collection",
                f"no collection {cid} for this caller",
                code="taxii.collection_not_found",
            )
        return who

    def page(
        cid: str,
        request: Request,
        endpoint: str,
        *,
        object_id: str | None = None,
        default_version: str = "last",
        deliver: bool = False,
    ) -> tuple[list[FeedRow], bool, str | None]:
        """One page of the caller's own collection, as ``_page`` reads it; with ``object_id``,
        of that object alone, which the first page must find."""
        who = own(request, cid)
        rows, more, token = _page(
            garante.acting_as(who),
            str(who.agency_id),
            request,
            endpoint,
            ids=() if object_id is None else (object_id,),
            default_version=default_version,
            deliver=deliver,
        )
        if object_id is not None and not rows and "next" not in request.query_params:
            raise TaxiiError(
                404,
                "No such object",
                f"no object {object_id} in this collection",
                code="taxii.object_not_found",
            )
        return rows, more, token

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
                "max_content_length": 0,
            }
        )

    @app.get(f"/{API_ROOT}/collections/")
    def collections(request: Request) -> Response:
        return _json({"collections": [_collection(str(partner(request).agency_id))]})

    @app.get(f"/{API_ROOT}/collections/{{cid}}/")
    def collection(cid: str, request: Request) -> Response:
        return _json(_collection(str(own(request, cid).agency_id)))

    @app.get(f"/{API_ROOT}/collections/{{cid}}/objects/")
    def objects(cid: str, request: Request) -> Response:
        return _envelope(*page(cid, request, "objects", deliver=True))

    @app.get(f"/{API_ROOT}/collections/{{cid}}/objects/{{oid}}/")
    def one_object(cid: str, oid: str, request: Request) -> Response:
        return _envelope(*page(cid, request, f"object:{oid}", object_id=oid, deliver=True))

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
    """The version as the object states it (its ``modified``), not the normalised sort key."""
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


def _values(request: Request, name: str) -> tuple[str, ...]:
    """Repeated parameters and comma lists alike (TAXII 2.1, 3.4.1)."""
    out: list[str] = []
    for raw in request.query_params.getlist(name):
        out.extend(part.strip() for part in raw.split(",") if part.strip())
    return tuple(dict.fromkeys(out))


def _page(
    garante: Garante,
    agency: str,
    request: Request,
    endpoint: str,
    *,
    ids: tuple[str, ...],
    default_version: str = "last",
    deliver: bool = False,
) -> tuple[list[FeedRow], bool, str | None]:
    """One page of a query; ``deliver`` for the endpoints that hand over object content (a
    manifest or a versions list delivers nothing)."""
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
    rows, more = garante.feed_page(
        FeedQuery(
            partner_id=agency,
            added_after=added_after,
            types=types,
            ids=match_ids,
            versions=version_filter,
            spec_versions=spec_versions,
            after=after,
            limit=limit,
        ),
        deliver=deliver,
    )
    token = cursor.encode(agency, filters, rows[-1].date_added, rows[-1].seq) if more else None
    return rows, more, token


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


def _headers(rows: list[FeedRow]) -> dict[str, str]:
    if not rows:
        return {}
    return {
        "X-TAXII-Date-Added-First": taxii_time(rows[0].date_added),
        "X-TAXII-Date-Added-Last": taxii_time(rows[-1].date_added),
    }


def _json(body: dict[str, Json], rows: list[FeedRow] | None = None) -> Response:
    return Response(dumps(body), media_type=TAXII_JSON, headers=_headers(rows or []))


def _envelope(rows: list[FeedRow], more: bool, token: str | None) -> Response:
    """The envelope as text around the stored objects: no parse, no re-serialisation."""
    parts = ['{"more":', "true" if more else "false"]
    if token:
        parts.append(f',"next":"{token}"')
    if rows:  # TAXII: empty lists are left out
        parts.append(',"objects":[')
        parts.append(",".join(row.body for row in rows))
        parts.append("]")
    parts.append("}")
    return Response("".join(parts), media_type=TAXII_JSON, headers=_headers(rows))
