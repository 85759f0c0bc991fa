"""A typed Python client for the Garante HTTP API (``/api/v1``).

Why a client at all, when the API has an OpenAPI document: the parts that are easy to get
wrong by hand are the same in every program -- following cursors to the end of a list, turning
an error body into something to branch on, and above all signing. A partner or an authority
signs the RFC 8785 canonical bytes of a statement the server drafts; the signing helpers here
do draft, check, sign and submit in one call, and refuse to sign a statement that does not say
what the caller asked for (a signer should never sign what the server made up).

Results are typed: the very records the server's API serves as its response models
(``garante.records``, and the API's own models for what wraps them, such as an order change
with the held requests it moved), read from the JSON with pydantic. There is no second copy of
the schema to keep in step, and a field the server adds is ignored, not an error.

    from garante.client import GaranteClient, Scope
    with GaranteClient("http://127.0.0.1:8000", token) as client:
        for held in client.iter_held():
            print(held.id, held.recipient, held.reason)
"""

from __future__ import annotations

import base64
import inspect
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Concatenate, Generic, Literal, ParamSpec, Self, TypeVar
from urllib.parse import quote

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import TypeAdapter

from garante import records
from garante.api.schemas import (
    AgreementChange,
    ConditionChange,
    EventChange,
    HealthOut,
    ItemAdded,
    MeOut,
    OrderChange,
    OutcomeChange,
    PullOut,
    RefreshOut,
    ReleaseBatchOut,
    StandingOut,
    UndertakingChange,
)
from garante.domain.consent import ConsentRequest
from garante.domain.events import Json
from garante.ledger import delivery
from garante.signatures import canonical, encode_public_key, public_key_bytes
from garante.stix import writeback

__all__ = [
    "ALL",
    "API_PREFIX",
    "GaranteAPIError",
    "GaranteClient",
    "GaranteClientError",
    "Page",
    "Reach",
    "Requirement",
    "Scope",
    "Statement",
    "StatementMismatch",
]

API_PREFIX = "/api/v1"
DEFAULT_TIMEOUT = 30.0
PublicKey = Ed25519PublicKey | bytes | str
_Client = TypeVar("_Client")
_Filters = ParamSpec("_Filters")
T = TypeVar("T")

# -- results and errors --------------------------------------------------------------------


class GaranteClientError(Exception):
    """Base of what this client raises itself (transport errors stay ``httpx`` errors)."""


class GaranteAPIError(GaranteClientError):
    """The server refused: its status and the API's one error shape.

    ``code`` is stable (``auth.forbidden``, ``signature.required``, ``order.not_found``...):
    branch on it, not on the message, which is written for people.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}" + (f" ({hint})" if hint else ""))
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.hint = hint

    @classmethod
    def from_response(cls, response: httpx.Response) -> GaranteAPIError:
        """Parse the error body; a body that is not the API's shape still gives an error."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("code"), str):
            return cls(
                response.status_code,
                body["code"],
                str(body.get("message", "")),
                _optional_str(body.get("field")),
                _optional_str(body.get("hint")),
            )
        text = response.text.strip()[:500] or response.reason_phrase
        return cls(response.status_code, f"http.{response.status_code}", text)


class StatementMismatch(GaranteClientError):
    """The drafted statement does not say what was asked; nothing was signed or sent."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list. Pass ``next_cursor`` back as ``cursor``; ``None`` is the end."""

    items: list[T]
    next_cursor: str | None


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(kind: Any) -> TypeAdapter[Any]:
    """One adapter per type, built on first use (building one costs more than reading)."""
    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        adapter = _ADAPTERS[kind] = TypeAdapter(kind)
    return adapter


def _read(kind: type[T], value: object) -> T:
    """``value`` (parsed JSON) as a ``kind``; an answer of another shape is the server's fault."""
    from pydantic import ValidationError

    try:
        read: T = _adapter(kind).validate_python(value)
    except ValidationError as exc:
        raise GaranteClientError(f"the server's answer is not a {kind}: {exc}") from None
    return read


@dataclass(frozen=True)
class Reach:
    """Whom a drafted order's scope reaches: partners (agencies that are not domestic) and
    agencies in all, each of how many are registered."""

    partners: int
    of_partners: int
    agencies: int
    of_agencies: int
    summary: str


@dataclass(frozen=True)
class Statement:
    """What a draft endpoint returns: the statement and its canonical text, to be signed;
    for an order or an amendment, also whom it reaches."""

    statement: dict[str, Json]
    canonical: str
    reach: Reach | None = None

    def signing_bytes(self) -> bytes:
        """The bytes to sign, after checking the server canonicalised the statement honestly.

        The server sends both forms; signing its ``canonical`` text unchecked would sign
        whatever it put there, so the client recomputes RFC 8785 and compares.
        """
        mine = canonical(self.statement)
        if mine != self.canonical.encode():
            raise StatementMismatch(
                "the server's canonical text is not the RFC 8785 form of its statement"
            )
        return mine

    def sign(self, key: Ed25519PrivateKey) -> str:
        """Base64 of the Ed25519 signature over the canonical bytes, as the API takes it."""
        return base64.b64encode(key.sign(self.signing_bytes())).decode()


ALL: Literal["all"] = "all"
"""The scope of an order that holds every partner and item: ``scope=ALL``. An order without a
scope, or with an empty ``Scope()``, is refused (``validation.scope_not_explicit``)."""


@dataclass(frozen=True)
class Scope:
    """Whom an order covers; each empty dimension means any, but not every one (use ``ALL``)."""

    agencies: Sequence[str] = ()
    countries: Sequence[str] = ()
    categories: Sequence[str] = ()
    regions: Sequence[str] = ()

    def to_json(self) -> dict[str, list[str]]:
        return {
            "agencies": list(self.agencies),
            "countries": list(self.countries),
            "categories": list(self.categories),
            "regions": list(self.regions),
        }


@dataclass(frozen=True)
class Requirement:
    """The clauses a ``require`` order asks of the recipient's undertaking."""

    prohibits: Sequence[str] = ()
    protections: Sequence[str] = ()

    def to_json(self) -> dict[str, list[str]]:
        return {"prohibits": list(self.prohibits), "protections": list(self.protections)}


@dataclass
class _Terms:
    """A request body being built: only the values given are sent."""

    body: dict[str, Json] = field(default_factory=dict)

    def put(self, name: str, value: Json) -> _Terms:
        if value is not None:
            self.body[name] = value
        return self


def _every(
    listing: Callable[Concatenate[_Client, _Filters], Page[T]],
) -> Callable[Concatenate[_Client, _Filters], Iterator[T]]:
    """The ``iter_*`` twin of a ``list_*`` method, taking the same arguments.

    It yields every item, page by page from ``cursor`` (the first page when none), and fetches
    the next page only when the caller gets that far.
    """

    def every(client: _Client, /, *args: _Filters.args, **kwargs: _Filters.kwargs) -> Iterator[T]:
        while True:
            page = listing(client, *args, **kwargs)
            yield from page.items
            if page.next_cursor is None:
                return
            kwargs["cursor"] = page.next_cursor

    name = listing.__name__.removeprefix("list_")
    every.__name__ = every.__qualname__ = f"iter_{name}"
    every.__doc__ = f"Every item that ``list_{name}`` pages through, following the cursors."
    # help() and inspect show the listing's arguments, not (*args, **kwargs).
    shown = str(inspect.signature(listing).return_annotation).replace("Page[", "Iterator[", 1)
    every.__signature__ = inspect.signature(listing).replace(  # type: ignore[attr-defined]
        return_annotation=shown
    )
    return every


# -- the client ----------------------------------------------------------------------------


class GaranteClient:
    """One token's view of one Garante server.

    ``base_url`` is the server's root (``http://127.0.0.1:8000``); ``/api/v1`` is added.
    ``transport`` lets tests and embedders pass any ``httpx`` transport (an ASGI app, a mock).
    Use it as a context manager, or call ``close()``, so the connection pool is released.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        root = base_url.rstrip("/").removesuffix(API_PREFIX)
        headers = {"Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        self.base_url = root
        self._http = httpx.Client(
            base_url=root + API_PREFIX, headers=headers, timeout=timeout, transport=transport
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- plumbing ------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        query = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        response = self._http.request(method, path, json=body, params=query)
        if response.is_error:
            raise GaranteAPIError.from_response(response)
        return response.json()

    def _as(
        self,
        kind: type[T],
        method: str,
        path: str,
        *,
        body: Mapping[str, Json] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> T:
        """The answer to ``method path``, read as a ``kind``."""
        return _read(kind, self._call(method, path, body=body, params=params))

    def _page(self, kind: type[T], path: str, params: Mapping[str, Any]) -> Page[T]:
        value = self._call("GET", path, params=params)
        if not isinstance(value, dict) or not isinstance(value.get("items"), list):
            raise GaranteClientError(f"GET {path} returned no page of items")
        items = [_read(kind, item) for item in value["items"]]
        return Page(items=items, next_cursor=value.get("next_cursor"))

    def _statement(self, path: str, body: Mapping[str, Json]) -> Statement:
        value = self._call("POST", path, body=body)
        if not isinstance(value, dict) or not isinstance(value.get("statement"), dict):
            raise GaranteClientError(f"POST {path} returned no statement to sign")
        reach = value.get("reach")
        return Statement(
            statement=value["statement"],
            canonical=str(value["canonical"]),
            reach=Reach(**reach) if isinstance(reach, dict) else None,
        )

    def _signed(
        self,
        draft: str,
        body: dict[str, Json],
        expected: Mapping[str, Json],
        key: Ed25519PrivateKey | None,
        signature: str | None,
        *,
        pin: bool,
    ) -> dict[str, Json]:
        """The body to submit, with its signature.

        With ``key``: draft it at ``draft``, refuse unless the statement says what was asked
        (``expected``), and sign it; with ``pin``, the id and period the draft fixed are sent
        back, since they are part of what was signed. With ``signature``: a detached one made
        elsewhere. Neither: unsigned.
        """
        if key is not None:
            _only_one(signature)
            drafted = self._statement(draft, body)
            _expect(drafted.statement, expected)
            signature = drafted.sign(key)
            if pin:
                body = {
                    **body,
                    "id": drafted.statement["id"],
                    "valid_from": drafted.statement["valid_from"],
                    "valid_until": drafted.statement.get("valid_until"),
                }
        return _Terms(dict(body)).put("signature", signature).body

    def _set_key(
        self,
        kind: type[T],
        party: Literal["agency", "authority"],
        party_id: str,
        public_key: PublicKey,
        recovered_by: str | None,
        key: Ed25519PrivateKey | None,
        signature: str | None,
    ) -> T:
        """Register a party's public key: drafted, checked and signed as ``_signed`` does, by
        the party's current key or, with ``recovered_by``, that authority's."""
        collection = "agencies" if party == "agency" else "authorities"
        path = f"/{collection}/{_segment(party_id)}/key"
        body = _Terms({"public_key": _public_key(public_key)}).put("recovered_by", recovered_by)
        expected = {party: party_id, "public_key": body.body["public_key"]}
        signed = self._signed(path + "/draft", body.body, expected, key, signature, pin=False)
        return self._as(kind, "PUT", path, body=signed)

    def _simulation(
        self,
        path: str,
        start: datetime | str,
        end: datetime | str,
        body: Mapping[str, Json] | None = None,
    ) -> records.Simulation:
        """What the change ``path`` simulates would do to the requests of ``[start, end)``."""
        return self._as(records.Simulation, "POST", path, body=body, params=_period(start, end))

    # -- meta -----------------------------------------------------------------------------

    def health(self) -> HealthOut:
        """Liveness, version and the audit log's size; needs no token."""
        return self._as(HealthOut, "GET", "/health")

    def me(self) -> MeOut:
        """Who this client's token stands for: token id, role, agency or authority."""
        return self._as(MeOut, "GET", "/me")

    # -- agencies and authorities ---------------------------------------------------------

    def list_agencies(self, *, cursor: str | None = None, limit: int = 100) -> Page[records.Agency]:
        return self._page(records.Agency, "/agencies", {"cursor": cursor, "limit": limit})

    iter_agencies = _every(list_agencies)

    def get_agency(self, agency_id: str) -> records.Agency:
        return self._as(records.Agency, "GET", f"/agencies/{_segment(agency_id)}")

    def register_agency(
        self,
        agency_id: str,
        *,
        name: str,
        country: str,
        domestic: bool = False,
        requires_undertaking: bool = False,
        public_key: PublicKey | None = None,
    ) -> records.Agency:
        """Register an agency (liaison). With a key, its undertakings must be signed by it."""
        body = _Terms(
            {
                "id": agency_id,
                "name": name,
                "country": country,
                "domestic": domestic,
                "requires_undertaking": requires_undertaking,
            }
        ).put("public_key", _public_key(public_key))
        return self._as(records.Agency, "POST", "/agencies", body=body.body)

    def set_agency_key(
        self,
        agency_id: str,
        public_key: PublicKey,
        *,
        recovered_by: str | None = None,
        key: Ed25519PrivateKey | None = None,
        signature: str | None = None,
    ) -> records.Agency:
        """Register an agency's public key (liaison): a first key needs no proof.

        To replace a registered key, ``key`` is the agency's current private key (or
        ``signature`` one made elsewhere over the drafted statement); to replace a lost one,
        ``recovered_by`` names an authority and ``key`` is that authority's private key.
        """
        return self._set_key(
            records.Agency, "agency", agency_id, public_key, recovered_by, key, signature
        )

    def set_authority_key(
        self,
        authority_id: str,
        public_key: PublicKey,
        *,
        recovered_by: str | None = None,
        key: Ed25519PrivateKey | None = None,
        signature: str | None = None,
    ) -> records.Authority:
        """Register an authority's public key (liaison), as ``set_agency_key`` an agency's.

        To replace a registered key, ``key`` is the authority's current private key; to replace
        a lost one, ``recovered_by`` names another authority and ``key`` is that one's.
        """
        return self._set_key(
            records.Authority, "authority", authority_id, public_key, recovered_by, key, signature
        )

    def list_authorities(
        self, *, cursor: str | None = None, limit: int = 100
    ) -> Page[records.Authority]:
        return self._page(records.Authority, "/authorities", {"cursor": cursor, "limit": limit})

    iter_authorities = _every(list_authorities)

    def register_authority(
        self, authority_id: str, *, name: str, public_key: PublicKey | None = None
    ) -> records.Authority:
        """Register an authority that may issue orders (liaison)."""
        body = _Terms({"id": authority_id, "name": name}).put("public_key", _public_key(public_key))
        return self._as(records.Authority, "POST", "/authorities", body=body.body)

    # -- items ----------------------------------------------------------------------------

    def add_item(
        self,
        item_id: str,
        *,
        title: str,
        category: str,
        region: str,
        tlp: str,
        bundle: Mapping[str, Any],
        releasable_to: Sequence[str] = (),
        embargo_until: datetime | None = None,
        expires_at: datetime | None = None,
    ) -> ItemAdded:
        """Add an item from a STIX 2.1 bundle (analyst); the token's agency is the originator.
        Nothing of it is released before ``embargo_until``, nor delivered from ``expires_at``.
        The answer is the item (a ``records.Item``) with ``started``: the requests standing
        agreements covering it started, each with its decision."""
        body: dict[str, Json] = {
            "id": item_id,
            "title": title,
            "category": category,
            "region": region,
            "tlp": tlp,
            "releasable_to": list(releasable_to),
            "bundle": dict(bundle),
        }
        if embargo_until is not None:
            body["embargo_until"] = embargo_until.isoformat()
        if expires_at is not None:
            body["expires_at"] = expires_at.isoformat()
        return self._as(ItemAdded, "POST", "/items", body=body)

    def list_items(self, *, cursor: str | None = None, limit: int = 100) -> Page[records.Item]:
        return self._page(records.Item, "/items", {"cursor": cursor, "limit": limit})

    iter_items = _every(list_items)

    def get_item(self, item_id: str) -> records.Item:
        return self._as(records.Item, "GET", f"/items/{_segment(item_id)}")

    def item_versions(self, item_id: str) -> list[records.ItemVersion]:
        """An item's history: each upstream version its source gave, in the order taken."""
        return self._as(list[records.ItemVersion], "GET", f"/items/{_segment(item_id)}/versions")

    # -- undertakings -----------------------------------------------------------------------

    def draft_undertaking(
        self,
        agency: str,
        *,
        permits: Sequence[str],
        prohibits: Sequence[str] = (),
        protections: Sequence[str] = (),
        categories: Sequence[str] = (),
        undertaking_id: str | None = None,
        valid_from: datetime | str | None = None,
        valid_until: datetime | str | None = None,
    ) -> Statement:
        """The statement the agency signs for these terms, with its id and start fixed."""
        body = _undertaking_terms(
            agency,
            permits,
            prohibits,
            protections,
            categories,
            undertaking_id,
            valid_from,
            valid_until,
        )
        return self._statement("/undertakings/draft", body)

    def record_undertaking(
        self,
        agency: str,
        *,
        permits: Sequence[str],
        prohibits: Sequence[str] = (),
        protections: Sequence[str] = (),
        categories: Sequence[str] = (),
        undertaking_id: str | None = None,
        valid_from: datetime | str | None = None,
        valid_until: datetime | str | None = None,
        key: Ed25519PrivateKey | None = None,
        signature: str | None = None,
    ) -> UndertakingChange:
        """Record an undertaking (liaison, or the partner itself); returns it and ``moved``.

        With ``key``: draft, check the statement says these terms, sign, submit. With
        ``signature``: a detached signature made elsewhere over the drafted statement.
        Neither: unsigned, which the server accepts only while the agency has no key.
        """
        body = _undertaking_terms(
            agency,
            permits,
            prohibits,
            protections,
            categories,
            undertaking_id,
            valid_from,
            valid_until,
        )
        expected = {
            "agency": agency,
            "permits": sorted(permits),
            "prohibits": sorted(prohibits),
            "protections": sorted(protections),
            "categories": sorted(categories),
            "id": undertaking_id,
        }
        body = self._signed("/undertakings/draft", body, expected, key, signature, pin=True)
        return self._as(UndertakingChange, "POST", "/undertakings", body=body)

    def revoke_undertaking(self, undertaking_id: str, *, reason: str) -> UndertakingChange:
        """Revoke an undertaking (liaison); its agency's held requests are decided again."""
        return self._as(
            UndertakingChange,
            "POST",
            f"/undertakings/{_segment(undertaking_id)}/revoke",
            body={"reason": reason},
        )

    def list_undertakings(
        self, *, agency: str | None = None, cursor: str | None = None, limit: int = 100
    ) -> Page[records.Undertaking]:
        return self._page(
            records.Undertaking,
            "/undertakings",
            {"agency": agency, "cursor": cursor, "limit": limit},
        )

    iter_undertakings = _every(list_undertakings)

    # -- standing agreements ----------------------------------------------------------------

    def draft_agreement(
        self,
        partner: str,
        *,
        purposes: Sequence[str],
        tlp_ceiling: str,
        categories: Sequence[str] = (),
        regions: Sequence[str] = (),
        originators: Sequence[str] = (),
        agreement_id: str | None = None,
        valid_from: datetime | str | None = None,
        valid_until: datetime | str | None = None,
        recall_ack_within: str | None = None,
        onward_to: Sequence[str] | None = None,
        onward_purposes: Sequence[str] | None = None,
    ) -> Statement:
        """The validated terms as the statement the partner countersigns, with its id and
        start fixed (liaison); stores nothing."""
        body = _agreement_terms(
            partner,
            purposes,
            tlp_ceiling,
            categories,
            regions,
            originators,
            agreement_id,
            valid_from,
            valid_until,
            recall_ack_within,
            onward_to,
            onward_purposes,
        )
        return self._statement("/agreements/draft", body)

    def make_agreement(
        self,
        partner: str,
        *,
        purposes: Sequence[str],
        tlp_ceiling: str,
        categories: Sequence[str] = (),
        regions: Sequence[str] = (),
        originators: Sequence[str] = (),
        agreement_id: str | None = None,
        valid_from: datetime | str | None = None,
        valid_until: datetime | str | None = None,
        recall_ack_within: str | None = None,
        onward_to: Sequence[str] | None = None,
        onward_purposes: Sequence[str] | None = None,
        backfill_from: datetime | str | None = None,
        key: Ed25519PrivateKey | None = None,
        signature: str | None = None,
    ) -> AgreementChange:
        """Make a standing agreement (liaison); returns ``agreement`` and ``started``.

        With ``backfill_from``, the items added since then that it covers start their requests
        too, in the same transaction (``simulate_agreement`` previews them). With ``key`` (the
        partner's): draft, check the statement says these terms, countersign, submit; with
        ``signature``: a countersignature made elsewhere. Neither: not countersigned.
        ``recall_ack_within`` (``48h``, ``7d``): how long the partner has to acknowledge a
        recall of a release the agreement started; past it, the partner is held.
        ``onward_to`` (agency ids, ISO 3166 codes) and ``onward_purposes``: onward sharing the
        originator consents to in advance; the partner's consent requests it covers are
        granted at once (on an amendment, ``onward_to=[]`` ends it).
        """
        body = _agreement_terms(
            partner,
            purposes,
            tlp_ceiling,
            categories,
            regions,
            originators,
            agreement_id,
            valid_from,
            valid_until,
            recall_ack_within,
            onward_to,
            onward_purposes,
        )
        expected: dict[str, Json] = {
            "partner": partner,
            "purposes": sorted(purposes),
            "tlp_ceiling": tlp_ceiling,
            "categories": sorted(categories),
            "regions": sorted(regions),
            "originators": sorted(originators),
            "version": 1,
            "id": agreement_id,
        }
        body = self._signed("/agreements/draft", body, expected, key, signature, pin=True)
        body = _Terms(body).put("backfill_from", _time(backfill_from)).body
        return self._as(AgreementChange, "POST", "/agreements", body=body)

    def simulate_agreement(
        self,
        partner: str,
        *,
        purposes: Sequence[str],
        tlp_ceiling: str,
        backfill_from: datetime | str,
        categories: Sequence[str] = (),
        regions: Sequence[str] = (),
        originators: Sequence[str] = (),
        agreement_id: str | None = None,
        valid_from: datetime | str | None = None,
        valid_until: datetime | str | None = None,
        recall_ack_within: str | None = None,
        onward_to: Sequence[str] | None = None,
        onward_purposes: Sequence[str] | None = None,
    ) -> records.AgreementPreview:
        """What making these terms with ``backfill_from`` would start now: the items it covers,
        the requests, and how many would be released, held or denied. Stores nothing."""
        body = _agreement_terms(
            partner,
            purposes,
            tlp_ceiling,
            categories,
            regions,
            originators,
            agreement_id,
            valid_from,
            valid_until,
            recall_ack_within,
            onward_to,
            onward_purposes,
        )
        body["backfill_from"] = _time(backfill_from)
        return self._as(records.AgreementPreview, "POST", "/agreements/simulate", body=body)

    def draft_agreement_amendment(
        self,
        agreement_id: str,
        *,
        purposes: Sequence[str] | None = None,
        tlp_ceiling: str | None = None,
        categories: Sequence[str] | None = None,
        regions: Sequence[str] | None = None,
        originators: Sequence[str] | None = None,
        valid_from: datetime | str | None = None,
        valid_until: datetime | str | None = None,
        clear_valid_until: bool = False,
        recall_ack_within: str | None = None,
        onward_to: Sequence[str] | None = None,
        onward_purposes: Sequence[str] | None = None,
    ) -> Statement:
        """The statement of the agreement's next version, for the partner to countersign."""
        body = _agreement_amendment(
            purposes,
            tlp_ceiling,
            categories,
            regions,
            originators,
            valid_from,
            valid_until,
            clear_valid_until,
            recall_ack_within,
            onward_to,
            onward_purposes,
        )
        return self._statement(f"/agreements/{_segment(agreement_id)}/amend/draft", body)

    def amend_agreement(
        self,
        agreement_id: str,
        *,
        reason: str,
        purposes: Sequence[str] | None = None,
        tlp_ceiling: str | None = None,
        categories: Sequence[str] | None = None,
        regions: Sequence[str] | None = None,
        originators: Sequence[str] | None = None,
        valid_from: datetime | str | None = None,
        valid_until: datetime | str | None = None,
        clear_valid_until: bool = False,
        recall_ack_within: str | None = None,
        onward_to: Sequence[str] | None = None,
        onward_purposes: Sequence[str] | None = None,
        key: Ed25519PrivateKey | None = None,
        signature: str | None = None,
    ) -> AgreementChange:
        """Put the agreement's next version in force (liaison); only the terms given change.
        ``key`` or ``signature``: the partner's countersignature, as for ``make_agreement``."""
        body = _agreement_amendment(
            purposes,
            tlp_ceiling,
            categories,
            regions,
            originators,
            valid_from,
            valid_until,
            clear_valid_until,
            recall_ack_within,
            onward_to,
            onward_purposes,
        )
        expected: dict[str, Json] = {
            "id": agreement_id,
            "purposes": sorted(purposes) if purposes is not None else None,
            "tlp_ceiling": tlp_ceiling,
            "categories": sorted(categories) if categories is not None else None,
            "regions": sorted(regions) if regions is not None else None,
            "originators": sorted(originators) if originators is not None else None,
        }
        path = f"/agreements/{_segment(agreement_id)}/amend"
        body = self._signed(f"{path}/draft", body, expected, key, signature, pin=False)
        return self._as(AgreementChange, "POST", path, body={**body, "reason": reason})

    def suspend_agreement(self, agreement_id: str, *, reason: str) -> AgreementChange:
        """Suspend an agreement (liaison): it starts nothing until resumed."""
        return self._agreement_act(agreement_id, "suspend", reason)

    def resume_agreement(self, agreement_id: str, *, reason: str) -> AgreementChange:
        """Resume a suspended agreement (liaison), for items added from now on."""
        return self._agreement_act(agreement_id, "resume", reason)

    def end_agreement(self, agreement_id: str, *, reason: str) -> AgreementChange:
        """End an agreement for good (liaison); the requests it started stand."""
        return self._agreement_act(agreement_id, "end", reason)

    def _agreement_act(self, agreement_id: str, act: str, reason: str) -> AgreementChange:
        path = f"/agreements/{_segment(agreement_id)}/{act}"
        return self._as(AgreementChange, "POST", path, body={"reason": reason})

    def list_agreements(
        self, *, partner: str | None = None, cursor: str | None = None, limit: int = 100
    ) -> Page[records.Agreement]:
        """Agreements by id, of one partner if given; a partner token sees only its own."""
        return self._page(
            records.Agreement,
            "/agreements",
            {"partner": partner, "cursor": cursor, "limit": limit},
        )

    iter_agreements = _every(list_agreements)

    def get_agreement(self, agreement_id: str) -> records.Agreement:
        return self._as(records.Agreement, "GET", f"/agreements/{_segment(agreement_id)}")

    # -- orders ---------------------------------------------------------------------------

    def draft_order(
        self,
        effect: str,
        *,
        reason: str,
        scope: Scope | Literal["all"] | None = None,
        requires: Requirement | None = None,
        exempts: Sequence[str] = (),
        while_condition: str | None = None,
        valid_from: datetime | str | None = None,
        valid_until: datetime | str | None = None,
        order_id: str | None = None,
    ) -> Statement:
        """The statement the token's authority signs for these terms; stores nothing."""
        body = _order_terms(
            effect,
            reason,
            scope,
            requires,
            exempts,
            while_condition,
            valid_from,
            valid_until,
            order_id,
        )
        return self._statement("/orders/draft", body)

    def issue_order(
        self,
        effect: str,
        *,
        reason: str,
        scope: Scope | Literal["all"] | None = None,
        requires: Requirement | None = None,
        exempts: Sequence[str] = (),
        while_condition: str | None = None,
        valid_from: datetime | str | None = None,
        valid_until: datetime | str | None = None,
        order_id: str | None = None,
        key: Ed25519PrivateKey | None = None,
        signature: str | None = None,
    ) -> OrderChange:
        """Issue an order as the token's authority; returns ``order``, ``moved``, ``withheld``
        and ``available`` (releases not yet delivered that the order stops or lets through).

        With ``key`` the order is drafted, checked, signed and issued; the id and start the
        draft fixed are sent back, since they are part of what was signed.
        """
        body = _order_terms(
            effect,
            reason,
            scope,
            requires,
            exempts,
            while_condition,
            valid_from,
            valid_until,
            order_id,
        )
        expected: dict[str, Json] = {
            "effect": effect,
            "scope": _scope_statement(scope),
            "exempts": sorted(exempts),
            "while_condition": while_condition,
            "reason": reason.strip(),
            "id": order_id,
        }
        if requires is not None:
            expected["requires"] = _sorted_lists(requires.to_json())
        body = self._signed("/orders/draft", body, expected, key, signature, pin=True)
        return self._as(OrderChange, "POST", "/orders", body=body)

    def draft_amendment(
        self,
        order_id: str,
        *,
        effect: str | None = None,
        scope: Scope | Literal["all"] | None = None,
        requires: Requirement | None = None,
        exempts: Sequence[str] | None = None,
        valid_until: datetime | str | None = None,
        while_condition: str | None = None,
        clear_condition: bool = False,
        reason: str | None = None,
    ) -> Statement:
        """The next version of the order, as the token's authority would sign it."""
        body = _amend_terms(
            effect, scope, requires, exempts, valid_until, while_condition, clear_condition, reason
        )
        return self._statement(f"/orders/{_segment(order_id)}/amend/draft", body)

    def amend_order(
        self,
        order_id: str,
        *,
        effect: str | None = None,
        scope: Scope | Literal["all"] | None = None,
        requires: Requirement | None = None,
        exempts: Sequence[str] | None = None,
        valid_until: datetime | str | None = None,
        while_condition: str | None = None,
        clear_condition: bool = False,
        reason: str | None = None,
        key: Ed25519PrivateKey | None = None,
        signature: str | None = None,
    ) -> OrderChange:
        """Amend an order; only the terms given change. Returns ``order``, ``moved``,
        ``withheld`` and ``available``."""
        body = _amend_terms(
            effect, scope, requires, exempts, valid_until, while_condition, clear_condition, reason
        )
        expected: dict[str, Json] = {"id": order_id, "effect": effect}
        expected["scope"] = _scope_statement(scope)
        if requires is not None:
            expected["requires"] = _sorted_lists(requires.to_json())
        if exempts is not None:
            expected["exempts"] = sorted(exempts)
        if reason is not None and reason.strip():
            expected["reason"] = reason.strip()
        path = f"/orders/{_segment(order_id)}/amend"
        body = self._signed(f"{path}/draft", body, expected, key, signature, pin=False)
        return self._as(OrderChange, "POST", path, body=body)

    def draft_lift(self, order_id: str, *, reason: str) -> Statement:
        """What the token's authority signs to lift the order now."""
        return self._statement(f"/orders/{_segment(order_id)}/lift/draft", {"reason": reason})

    def lift_order(
        self,
        order_id: str,
        *,
        reason: str,
        key: Ed25519PrivateKey | None = None,
        signature: str | None = None,
    ) -> OrderChange:
        """Lift an order; what it held is decided again. Returns ``order``, ``moved``,
        ``withheld`` and ``available``."""
        path = f"/orders/{_segment(order_id)}/lift"
        expected = {"id": order_id, "reason": reason.strip()}
        body = self._signed(
            f"{path}/draft", {"reason": reason}, expected, key, signature, pin=False
        )
        return self._as(OrderChange, "POST", path, body=body)

    def list_orders(
        self, *, active: bool = False, cursor: str | None = None, limit: int = 100
    ) -> Page[records.Order]:
        """Orders in issue order; ``active=True`` hides lifted ones."""
        return self._page(
            records.Order, "/orders", {"active": active, "cursor": cursor, "limit": limit}
        )

    iter_orders = _every(list_orders)

    def get_order(self, order_id: str) -> records.Order:
        return self._as(records.Order, "GET", f"/orders/{_segment(order_id)}")

    # -- conditions and events ----------------------------------------------------------

    def define_condition(
        self,
        condition_id: str,
        *,
        description: str,
        kind: str | None = None,
        region: str | None = None,
        min_events: int = 1,
        window_days: int = 30,
        active: bool = False,
        evidence: str = "",
    ) -> records.Condition:
        """Define a condition (authority): derived from events when ``kind`` is given
        (active while at least ``min_events`` of that kind in ``region`` fall within
        ``window_days``), otherwise kept by hand starting at ``active``."""
        body: dict[str, Json] = {
            "id": condition_id,
            "description": description,
            "active": active,
            "evidence": evidence,
        }
        if kind is not None:
            if region is None:
                raise ValueError("a derived condition needs the region its events happen in")
            body["rule"] = {
                "kind": kind,
                "region": region,
                "min_events": min_events,
                "window_days": window_days,
            }
        return self._as(records.Condition, "POST", "/conditions", body=body)

    def set_condition(
        self,
        condition_id: str,
        *,
        active: bool,
        evidence: str,
        key: Ed25519PrivateKey | None = None,
        signature: str | None = None,
    ) -> ConditionChange:
        """Set a hand-kept condition (authority); returns ``condition`` and ``moved``.

        With ``key`` (the authority's private key): draft, check and sign the statement, as an
        authority with a registered key must; ``signature``: one made elsewhere.
        """
        path = f"/conditions/{_segment(condition_id)}/set"
        body: dict[str, Json] = {"active": active, "evidence": evidence}
        expected: dict[str, Json] = {"condition": condition_id, "active": active}
        signed = self._signed(path + "/draft", body, expected, key, signature, pin=False)
        return self._as(ConditionChange, "POST", path, body=signed)

    def refresh_conditions(self) -> RefreshOut:
        """Re-evaluate derived conditions now; returns ``conditions`` and ``moved``."""
        return self._as(RefreshOut, "POST", "/conditions/refresh")

    def list_conditions(
        self, *, cursor: str | None = None, limit: int = 100
    ) -> Page[records.Condition]:
        return self._page(records.Condition, "/conditions", {"cursor": cursor, "limit": limit})

    iter_conditions = _every(list_conditions)

    def record_event(
        self,
        kind: str,
        *,
        region: str,
        occurred_at: datetime | str | None = None,
        source: str = "",
        note: str = "",
        agency: str | None = None,
        key: Ed25519PrivateKey | None = None,
        signature: str | None = None,
    ) -> EventChange:
        """Record an event (analyst, authority); returns ``event`` and ``moved``.

        ``agency`` reports it: an analyst token's own by default, which an authority token
        must name. A naive ``occurred_at`` is taken as UTC; none means now on the server's
        clock. With ``key`` (the reporting agency's private key): draft, check and sign the
        statement, as an agency with a registered key must, and send back the time the draft
        fixed, since it is part of what was signed; ``signature``: one made elsewhere.
        """
        when = _time(occurred_at)
        body = (
            _Terms({"kind": kind, "region": region, "source": source, "note": note})
            .put("occurred_at", when)
            .put("agency", agency)
            .body
        )
        if key is not None:
            _only_one(signature)
            drafted = self._statement("/events/draft", body)
            expected = {"kind": kind, "region": region, "source": source, "note": note}
            _expect(drafted.statement, {**expected, "agency": agency})
            if when is not None:
                _expect(drafted.statement, {"occurred_at": _iso(when)})
            signature = drafted.sign(key)
            body = {**body, "occurred_at": drafted.statement["occurred_at"]}
        return self._as(
            EventChange, "POST", "/events", body=_Terms(body).put("signature", signature).body
        )

    def list_events(self, *, cursor: str | None = None, limit: int = 100) -> Page[records.Event]:
        return self._page(records.Event, "/events", {"cursor": cursor, "limit": limit})

    iter_events = _every(list_events)

    # -- releases and the held queue --------------------------------------------------------

    def request_release(self, item: str, *, recipient: str, purpose: str) -> records.Decided:
        """Ask to release an item to an agency for a purpose (analyst); returns the decision."""
        return self._as(
            records.Decided,
            "POST",
            "/releases",
            body={"item": item, "recipient": recipient, "purpose": purpose},
        )

    def request_releases(self, triples: Sequence[tuple[str, str, str]]) -> list[records.Decided]:
        """Ask for many releases at once (analyst): ``(item, recipient, purpose)`` triples, up
        to 10,000; returns each one's decision, in order. All are stored or none: an unknown
        item, agency or purpose refuses the whole batch, its error's ``field`` naming the triple
        (``releases[3].recipient``)."""
        body: dict[str, Json] = {
            "releases": [
                {"item": item, "recipient": recipient, "purpose": purpose}
                for item, recipient, purpose in triples
            ]
        }
        return self._as(ReleaseBatchOut, "POST", "/releases/batch", body=body).decisions

    def list_releases(
        self,
        *,
        outcome: str | None = None,
        recipient: str | None = None,
        item: str | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[records.Request]:
        """Release requests with the decision that stands (to ``recipient``, of ``item``,
        when given); a partner sees only its releases."""
        return self._page(
            records.Request,
            "/releases",
            {
                "outcome": outcome,
                "recipient": recipient,
                "item": item,
                "cursor": cursor,
                "limit": limit,
            },
        )

    iter_releases = _every(list_releases)

    def get_release(self, request_id: int) -> records.Request:
        return self._as(records.Request, "GET", f"/releases/{_segment(request_id)}")

    def release_decisions(self, request_id: int) -> list[records.Decision]:
        """Every decision taken on a request, oldest first, with its rules and trigger."""
        return self._as(
            list[records.Decision], "GET", f"/releases/{_segment(request_id)}/decisions"
        )

    def recall_release(
        self, request_id: int, *, reason: str, ack_within: str | None = None
    ) -> records.Recall:
        """Recall a release (analyst): withdrawn if not yet delivered, else revoked in the
        partner's feed. ``ack_within`` (``48h``): how long the partner has to acknowledge it.
        Returns ``request``, ``partner``, ``status``, ``recalled_at`` and ``ack_by``."""
        body: dict[str, Json] = {"reason": reason}
        if ack_within is not None:
            body["ack_within"] = ack_within
        return self._as(
            records.Recall,
            "POST",
            f"/releases/{_segment(request_id)}/recall",
            body=body,
        )

    def list_held(self, *, cursor: str | None = None, limit: int = 100) -> Page[records.Held]:
        """The held queue: what waits, for whom, why, and for how long."""
        return self._page(records.Held, "/held", {"cursor": cursor, "limit": limit})

    iter_held = _every(list_held)

    # -- outcomes, simulation and reports ---------------------------------------------------

    def report_outcome(
        self,
        release: int,
        *,
        agency: str,
        kind: str,
        occurred_at: datetime | str | None = None,
        casualties: int = 0,
        persons: int = 0,
        quantities: Mapping[str, float] | None = None,
        place: str = "",
        note: str = "",
        key: Ed25519PrivateKey | None = None,
        signature: str | None = None,
    ) -> OutcomeChange:
        """Report what was done with a release (the partner, or an analyst for the originator).

        Returns ``outcome`` (with ``breach`` and its reasons) and ``moved``: a breach
        suspends the partner at once. A partner with a registered key signs its report; there
        is no draft endpoint, because the statement is exactly the report, so with ``key`` the
        client builds it here, and fixes ``occurred_at`` (now, to the second, if not given)
        since the time is part of what is signed.
        """
        amounts = {name: float(value) for name, value in (quantities or {}).items()}
        when = _time(occurred_at)
        if key is not None:
            _only_one(signature)
            if when is None:
                when = _iso_now()
            statement = {
                "type": "garante.outcome/v1",
                "release": release,
                "agency": agency,
                "kind": kind,
                "occurred_at": _iso(when),
                "casualties": casualties,
                "persons": persons,
                "quantities": dict(sorted(amounts.items())),
                "place": place,
                "note": note,
            }
            signature = base64.b64encode(key.sign(canonical(statement))).decode()
        body = (
            _Terms(
                {
                    "release": release,
                    "agency": agency,
                    "kind": kind,
                    "casualties": casualties,
                    "persons": persons,
                    "quantities": amounts,
                    "place": place,
                    "note": note,
                }
            )
            .put("occurred_at", when)
            .put("signature", signature)
            .body
        )
        return self._as(OutcomeChange, "POST", "/outcomes", body=body)

    def list_outcomes(
        self, *, agency: str | None = None, cursor: str | None = None, limit: int = 100
    ) -> Page[records.ReportedOutcome]:
        """Outcome reports; a partner sees only its own."""
        return self._page(
            records.ReportedOutcome,
            "/outcomes",
            {"agency": agency, "cursor": cursor, "limit": limit},
        )

    iter_outcomes = _every(list_outcomes)

    def simulate_order(
        self,
        effect: str,
        *,
        start: datetime | str,
        end: datetime | str,
        reason: str,
        scope: Scope | Literal["all"] | None = None,
        requires: Requirement | None = None,
        exempts: Sequence[str] = (),
        while_condition: str | None = None,
        valid_from: datetime | str | None = None,
        valid_until: datetime | str | None = None,
        order_id: str | None = None,
    ) -> records.Simulation:
        """What issuing these terms would change for the requests of ``[start, end)``.

        Stores and signs nothing: an authority looks before it leaps.
        """
        body = _order_terms(
            effect,
            reason,
            scope,
            requires,
            exempts,
            while_condition,
            valid_from,
            valid_until,
            order_id,
        )
        return self._simulation("/orders/simulate", start, end, body=body)

    def simulate_amendment(
        self,
        order_id: str,
        *,
        start: datetime | str,
        end: datetime | str,
        effect: str | None = None,
        scope: Scope | Literal["all"] | None = None,
        requires: Requirement | None = None,
        exempts: Sequence[str] | None = None,
        valid_until: datetime | str | None = None,
        while_condition: str | None = None,
        clear_condition: bool = False,
    ) -> records.Simulation:
        """What amending the order with these terms would change for the requests of
        ``[start, end)``: each decided with the order as it stands and as amended. Stores
        nothing."""
        body = _amend_terms(
            effect, scope, requires, exempts, valid_until, while_condition, clear_condition, None
        )
        return self._simulation(f"/orders/{_segment(order_id)}/amend/simulate", start, end, body)

    def simulate_lift(
        self, order_id: str, *, start: datetime | str, end: datetime | str
    ) -> records.Simulation:
        """What lifting the order would change for the requests of ``[start, end)``."""
        return self._simulation(f"/orders/{_segment(order_id)}/lift/simulate", start, end)

    def partner_report(
        self, *, start: datetime | str, end: datetime | str
    ) -> records.PartnerReport:
        """Per partner over ``[start, end)``: releases by decision, time held, outcomes and
        breaches."""
        return self._as(
            records.PartnerReport,
            "GET",
            "/reports/partners",
            params=_period(start, end),
        )

    def partner_report_csv(self, *, start: datetime | str, end: datetime | str) -> str:
        """The same report as CSV text, for a spreadsheet."""
        response = self._http.get(
            "/reports/partners",
            params={**_period(start, end), "format": "csv"},
        )
        if response.is_error:
            raise GaranteAPIError.from_response(response)
        return response.text

    # -- audit ----------------------------------------------------------------------------

    def log_key(self) -> str:
        """The log's C2SP verifier key. Public; an inspector should also get it out of band."""
        return self._as(records.LogKey, "GET", "/audit/key").log_key

    def checkpoint(self) -> records.Checkpoint:
        """The latest signed checkpoint: ``size``, ``root_hash`` (base64) and the ``note``."""
        return self._as(records.Checkpoint, "GET", "/audit/checkpoint")

    def witnesses(self) -> list[records.Witness]:
        """The witnesses whose cosignatures the log takes: name and verifier key."""
        return self._as(list[records.Witness], "GET", "/audit/witnesses")

    def add_witness(self, key: str) -> records.Witness:
        """Register a witness (liaison) by its verifier key: its type 0x04 cosigner key, or a
        partner node's log key. Its cosignatures are taken from then on; logged."""
        return self._as(records.Witness, "POST", "/audit/witnesses", body={"key": key})

    def remove_witness(self, witness_id: str, *, reason: str = "") -> records.Witness:
        """Stop taking a witness's cosignatures (liaison), by its id; those taken stay."""
        return self._as(
            records.Witness,
            "POST",
            f"/audit/witnesses/{_segment(witness_id)}/remove",
            body={"reason": reason},
        )

    def add_cosignature(self, note: str) -> records.Checkpoint:
        """Post a witness's cosignature: the log's checkpoint ``note`` as served, with the
        witness's cosignature line appended. Answers the checkpoint with every cosignature the
        log keeps; ``ledger.cosignature_refused`` if the log does not take it."""
        return self._as(records.Checkpoint, "POST", "/audit/cosignatures", body={"note": note})

    def audit_entries(self, start: int = 0, end: int | None = None) -> list[records.LogEntry]:
        """Entries ``[start, end)`` as canonical JSON with leaf hashes (at most 1000)."""
        return self._as(
            list[records.LogEntry], "GET", "/audit/entries", params={"start": start, "end": end}
        )

    def inclusion_proof(
        self, index: int, *, size: int | None = None
    ) -> records.EncodedInclusionProof:
        """RFC 9162 inclusion proof of entry ``index`` in the tree of ``size`` entries.

        Ask for the size of a checkpoint you hold, so the proof can be checked against its
        signed root; without ``size`` the server uses the current tree size.
        """
        return self._as(
            records.EncodedInclusionProof,
            "GET",
            "/audit/proof/inclusion",
            params={"index": index, "size": size},
        )

    def consistency_proof(
        self, old: int, *, new: int | None = None
    ) -> records.EncodedConsistencyProof:
        """RFC 9162 consistency proof between tree sizes ``old`` and ``new``."""
        return self._as(
            records.EncodedConsistencyProof,
            "GET",
            "/audit/proof/consistency",
            params={"old": old, "new": new},
        )

    # -- receipts: proving what was delivered --------------------------------------------

    def receipt(self, index: int) -> records.EncodedReceipt:
        """Entry ``index`` (a delivered object's ``log_index``) with its inclusion proof and
        the signed checkpoint covering it. A partner gets only its own releases' receipts."""
        return self._as(records.EncodedReceipt, "GET", f"/receipts/{index}")

    def verify_delivery(
        self, document: Any, log_key: str, *, trace: str | None = None
    ) -> list[records.DeliveryCheck]:
        """Check each object a Garante feed delivered (in ``document``: a STIX object, a
        bundle or a TAXII envelope) against its receipt, with the log's public key
        ``log_key`` got out of band: one result per object, verified or saying what failed.
        With ``trace``, each object must also carry that trace token."""
        key = delivery.VerifierKey.parse(log_key)
        checks = []
        for obj in delivery.delivered_objects(document):
            index = delivery.wanted_index(obj)
            if index is None:
                checks.append(delivery.no_entry(obj))
                continue
            try:
                served = self.receipt(index)
            except GaranteAPIError as exc:
                checks.append(
                    delivery.unproven(
                        obj,
                        f"the server gives no receipt for entry {index}: {exc.message}",
                        "check --server is the server that delivered it, and your token its",
                    )
                )
                continue
            try:
                proof = tuple(base64.b64decode(h, validate=True) for h in served.proof)
            except ValueError:
                checks.append(
                    delivery.unproven(
                        obj,
                        f"the receipt for entry {index} has a proof that is not base64",
                        "fetch it again and, if it still fails, report it to the operator",
                    )
                )
                continue
            receipt = delivery.ServedReceipt(
                index=served.index,
                size=served.size,
                entry=served.entry,
                proof=proof,
                checkpoint=served.checkpoint,
            )
            checks.append(delivery.verify(obj, receipt, key, token=trace))
        return checks

    # -- partner standing -----------------------------------------------------------------

    def agency_standing(self, agency_id: str) -> StandingOut:
        """Whether sharing with the agency is ``open``, ``conditional``, ``held`` or
        ``suspended`` now, with a ``reasons`` entry per order that makes it so (not partners)."""
        return self._as(StandingOut, "GET", f"/agencies/{_segment(agency_id)}/standing")

    def list_standings(self, *, cursor: str | None = None, limit: int = 100) -> Page[StandingOut]:
        """The standing of each agency, by id, one page (not partners)."""
        return self._page(StandingOut, "/standings", {"cursor": cursor, "limit": limit})

    iter_standings = _every(list_standings)

    # -- sources --------------------------------------------------------------------------

    def add_source(
        self,
        source_id: str,
        *,
        url: str,
        category: str,
        region: str,
        tlp: str,
        kind: Literal["taxii", "misp-feed", "folder", "garante"] = "taxii",
        collection: str | None = None,
        auth: Literal["none", "basic", "bearer"] = "none",
        username: str | None = None,
        secret: str | None = None,
        originator: str | None = None,
        interval: int = 3600,
        grouping: Literal["per-object", "per-bundle"] = "per-object",
        mapping: Mapping[str, Json] | None = None,
        log_key: str | None = None,
        signing_key: str | None = None,
    ) -> records.Source:
        """Add a source of items (analyst: of its own agency): a TAXII 2.1 collection, a MISP
        feed (URL or server directory), a folder of bundles, or a Garante upstream (``kind``
        ``garante``, verified with its ``log_key``). ``secret`` is sent once and never
        answered back; so is ``signing_key``, a Garante upstream's: this agency's Ed25519
        private key (PEM text), with which the node acknowledges upstream by itself."""
        body = (
            _Terms(
                {
                    "id": source_id,
                    "kind": kind,
                    "url": url,
                    "category": category,
                    "region": region,
                    "tlp": tlp,
                    "auth": auth,
                    "interval": interval,
                    "grouping": grouping,
                }
            )
            .put("collection", collection)
            .put("username", username)
            .put("secret", secret)
            .put("originator", originator)
            .put("mapping", dict(mapping) if mapping is not None else None)
            .put("log_key", log_key)
            .put("signing_key", signing_key)
            .body
        )
        return self._as(records.Source, "POST", "/sources", body=body)

    def list_sources(
        self, *, removed: bool = False, cursor: str | None = None, limit: int = 100
    ) -> Page[records.Source]:
        """Sources with their health, by id, one page (removed ones only if asked)."""
        return self._page(
            records.Source, "/sources", {"removed": removed, "cursor": cursor, "limit": limit}
        )

    iter_sources = _every(list_sources)

    def get_source(self, source_id: str) -> records.Source:
        return self._as(records.Source, "GET", f"/sources/{_segment(source_id)}")

    def pause_source(self, source_id: str, *, reason: str) -> records.Source:
        return self._source_act(source_id, "pause", reason)

    def resume_source(self, source_id: str, *, reason: str) -> records.Source:
        return self._source_act(source_id, "resume", reason)

    def remove_source(self, source_id: str, *, reason: str) -> records.Source:
        """Remove a source for good; its items stay."""
        return self._source_act(source_id, "remove", reason)

    def _source_act(self, source_id: str, act: str, reason: str) -> records.Source:
        path = f"/sources/{_segment(source_id)}/{act}"
        return self._as(records.Source, "POST", path, body={"reason": reason})

    def pull_source(self, source_id: str) -> records.Source:
        """Ask for a pull of the source: the server does it next (202). The source answered
        has ``pull_requested_at`` set until then; ``last_success_at`` and ``last_error`` say
        how it went (``get_source``)."""
        return self._as(records.Source, "POST", f"/sources/{_segment(source_id)}/pull")

    def ingest_misp_events(
        self,
        source_id: str,
        events: str | bytes | Mapping[str, Any] | Sequence[Mapping[str, Any]],
    ) -> PullOut:
        """Take MISP JSON events (one, a list, or an export's ``{"response": [...]}``; as
        parsed JSON or as its text) through a MISP feed source; ``pulled`` says what was
        taken and what was not. A malformed event refuses them all (``validation.invalid``)."""
        path = f"/sources/{_segment(source_id)}/misp-events"
        if isinstance(events, str | bytes):
            headers = {"Content-Type": "application/json"}
            response = self._http.post(path, content=events, headers=headers)
        else:
            response = self._http.post(path, json=events)
        if response.is_error:
            raise GaranteAPIError.from_response(response)
        return _read(PullOut, response.json())

    # -- client certificates of partners ----------------------------------------------------

    def add_certificate(
        self, agency_id: str, certificate: str, *, label: str = ""
    ) -> records.AgencyCertificate:
        """Register a partner's client certificate (liaison): ``certificate`` is the PEM, or
        the SHA-256 fingerprint of its DER encoding."""
        return self._as(
            records.AgencyCertificate,
            "POST",
            f"/agencies/{_segment(agency_id)}/certificates",
            body={"certificate": certificate, "label": label},
        )

    def rotate_certificate(
        self, agency_id: str, *, old: str, new: str, label: str = ""
    ) -> records.AgencyCertificate:
        """``new`` replaces ``old`` at once (liaison); the new certificate's record."""
        return self._as(
            records.AgencyCertificate,
            "POST",
            f"/agencies/{_segment(agency_id)}/certificates/rotate",
            body={"old": old, "new": new, "label": label},
        )

    def remove_certificate(self, agency_id: str, fingerprint: str) -> records.AgencyCertificate:
        """The certificate authenticates no more (liaison)."""
        return self._as(
            records.AgencyCertificate,
            "DELETE",
            f"/agencies/{_segment(agency_id)}/certificates/{_segment(fingerprint)}",
        )

    def list_certificates(self, agency_id: str) -> list[records.AgencyCertificate]:
        """An agency's certificates, removed ones too (a partner: its own)."""
        return self._as(
            list[records.AgencyCertificate], "GET", f"/agencies/{_segment(agency_id)}/certificates"
        )

    # -- partners writing back ----------------------------------------------------------------

    def acknowledge(
        self,
        release: int,
        *,
        of: Literal["delivery", "recall"],
        agency: str,
        key: Ed25519PrivateKey | None = None,
        signature: str | None = None,
        ack_id: str | None = None,
        acknowledged_at: datetime | str | None = None,
    ) -> records.Acknowledged:
        """A partner acknowledges the delivery or the recall of its release, signed.

        With ``key`` the client builds the statement (``garante.acknowledgement/v1``) and signs
        it here; ``ack_id`` (a fresh ``note--`` id if not given) and ``acknowledged_at`` (now, to
        the second) are part of what is signed. With ``signature``: one made elsewhere over that
        statement, then ``ack_id`` and ``acknowledged_at`` must be the ones signed.
        """
        ack_id = ack_id or writeback.note_id()
        when = _iso(_time(acknowledged_at) or _iso_now())
        if key is not None:
            _only_one(signature)
            statement = acknowledgement_statement(
                ack_id=ack_id, of=of, release=release, agency=agency, acknowledged_at=when
            )
            signature = base64.b64encode(key.sign(canonical(statement))).decode()
        if signature is None:
            raise ValueError("an acknowledgement is signed: pass key, or signature")
        body: dict[str, Json] = {
            "id": ack_id,
            "of": of,
            "release": release,
            "agency": agency,
            "acknowledged_at": when,
            "signature": signature,
        }
        return self._as(records.Acknowledged, "POST", "/acknowledgements", body=body)

    def list_acknowledgements(self, *, agency: str | None = None) -> list[records.Acknowledgement]:
        """Acknowledgements received (a partner: its own)."""
        return self._as(
            list[records.Acknowledgement], "GET", "/acknowledgements", params={"agency": agency}
        )

    def unacknowledged_recalls(
        self, *, agency: str | None = None
    ) -> list[records.UnacknowledgedRecall]:
        """Recalled releases whose partner has not acknowledged the recall, oldest first."""
        return self._as(
            list[records.UnacknowledgedRecall],
            "GET",
            "/recalls/unacknowledged",
            params={"agency": agency},
        )

    # -- consent to share onward (issue 21) ---------------------------------------------------

    def request_consent(
        self,
        release: int,
        *,
        agency: str,
        recipient: str,
        country: str,
        purpose: str,
        key: Ed25519PrivateKey | None = None,
        signature: str | None = None,
        consent_id: str | None = None,
        requested_at: datetime | str | None = None,
    ) -> records.ConsentRequested:
        """A partner asks consent to share onward what release ``release`` gave it, signed.

        With ``key`` the client builds the statement (``garante.consent-request/v1``) and signs
        it here; with ``signature``, one made elsewhere over that statement (then
        ``consent_id`` and ``requested_at`` must be the ones signed).
        """
        consent_id = consent_id or f"consent--{uuid.uuid4()}"
        when = _iso(_time(requested_at) or _iso_now())
        statement = consent_statement(
            consent_id=consent_id,
            agency=agency,
            release=release,
            recipient=recipient,
            country=country,
            purpose=purpose,
            requested_at=when,
        )
        if key is not None:
            _only_one(signature)
            signature = base64.b64encode(key.sign(canonical(statement))).decode()
        if signature is None:
            raise ValueError("a consent request is signed: pass key, or signature")
        body: dict[str, Json] = {
            "id": consent_id,
            "agency": agency,
            "release": release,
            "recipient": recipient,
            "country": country,
            "purpose": purpose,
            "requested_at": when,
            "signature": signature,
        }
        return self._as(records.ConsentRequested, "POST", "/consents", body=body)

    def list_consents(
        self, *, agency: str | None = None, status: str | None = None
    ) -> list[records.ConsentRequest]:
        """Consent requests received, oldest first (a partner: its own)."""
        return self._as(
            list[records.ConsentRequest],
            "GET",
            "/consents",
            params={"agency": agency, "status": status},
        )

    def get_consent(self, consent_id: str) -> records.ConsentRequest:
        """One consent request and its answer (a partner: its own)."""
        return self._as(records.ConsentRequest, "GET", f"/consents/{_segment(consent_id)}")

    def grant_consent(self, consent_id: str, *, reason: str) -> records.ConsentRequest:
        """A liaison grants a pending consent request."""
        return self._as(
            records.ConsentRequest,
            "POST",
            f"/consents/{_segment(consent_id)}/grant",
            body={"reason": reason},
        )

    def refuse_consent(self, consent_id: str, *, reason: str) -> records.ConsentRequest:
        """A liaison refuses a pending consent request."""
        return self._as(
            records.ConsentRequest,
            "POST",
            f"/consents/{_segment(consent_id)}/refuse",
            body={"reason": reason},
        )


# -- partners writing back: statements and the STIX notes that carry them ---------------------


def consent_statement(
    *,
    consent_id: str,
    agency: str,
    release: int,
    recipient: str,
    country: str,
    purpose: str,
    requested_at: str,
) -> dict[str, Json]:
    """The statement a partner signs to ask consent to share onward."""
    return ConsentRequest(
        id=consent_id,
        agency_id=agency,
        release=release,
        recipient=recipient,
        country=country,
        purpose=purpose,
        requested_at=_parsed(requested_at),
    ).statement()


def acknowledgement_statement(
    *, ack_id: str, of: str, release: int, agency: str, acknowledged_at: str
) -> dict[str, Json]:
    """The statement a partner signs to acknowledge a delivery or a recall."""
    return writeback.acknowledgement_statement(
        note=ack_id, of=of, release=release, agency=agency, at=_parsed(acknowledged_at)
    )


def signed_note(
    statement: Mapping[str, Json], key: Ed25519PrivateKey, *, object_refs: Sequence[str]
) -> dict[str, Any]:
    """A STIX note carrying ``statement`` (an acknowledgement, or an outcome report's
    ``garante.outcome/v1``) signed with ``key``, for the partner's TAXII write collection:
    ``Collection.add_objects({"objects": [note]})``. ``object_refs``: the STIX ids it is about."""
    signature = base64.b64encode(key.sign(canonical(statement))).decode()
    return writeback.note(
        statement=statement,
        signature=signature,
        object_refs=object_refs,
        created=datetime.now(UTC),
    )


def _parsed(text: str) -> datetime:
    return datetime.fromisoformat(_iso(text).replace("Z", "+00:00"))


# -- helpers -------------------------------------------------------------------------------


def _segment(value: str | int) -> str:
    """One path segment: an id can never reach another route (``../``, ``?``, ``#``)."""
    return quote(str(value), safe="")


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _param(value: Any) -> Any:
    # httpx would send True as "True"; FastAPI reads "true" and "True" alike, but be exact.
    return str(value).lower() if isinstance(value, bool) else value


def _time(value: datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


def _period(start: datetime | str, end: datetime | str) -> dict[str, str | None]:
    """The ``from`` and ``to`` of a period, as the query of a simulation or a report."""
    return {"from": _time(start), "to": _time(end)}


def _iso_now() -> str:
    """Now, in UTC, to the second: the one text form Garante signs times in."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso(text: str) -> str:
    """A time as the server writes it in a statement (UTC, seconds, ``Z``); naive is UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    at = value.astimezone(UTC)
    return f"{at.year:04d}-{at:%m-%dT%H:%M:%S}Z"  # %Y would not pad a year before 1000


def _public_key(value: PublicKey | None) -> str | None:
    """Base64 of the raw key: what the API stores, whatever form the caller holds."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Ed25519PublicKey):
        return encode_public_key(public_key_bytes(value))
    return encode_public_key(value)


def _only_one(signature: str | None) -> None:
    if signature is not None:
        raise ValueError("pass key (to sign here) or signature (signed elsewhere), not both")


def _sorted_lists(value: dict[str, list[str]]) -> dict[str, list[str]]:
    return {name: sorted(values) for name, values in value.items()}


def _scope_body(scope: Scope | Literal["all"] | None) -> dict[str, list[str]] | str | None:
    """The scope as the API takes it: an object, the string "all", or left out."""
    return scope.to_json() if isinstance(scope, Scope) else scope


def _scope_statement(scope: Scope | Literal["all"] | None) -> dict[str, list[str]] | None:
    """The scope a drafted statement must carry (None: not asked, so not checked)."""
    if scope is None:
        return None
    return _sorted_lists((scope if isinstance(scope, Scope) else Scope()).to_json())


def _expect(statement: Mapping[str, Any], expected: Mapping[str, Any]) -> None:
    """Refuse to sign unless the statement carries every term asked for (None: not asked)."""
    for name, wanted in expected.items():
        if wanted is None:
            continue
        if statement.get(name) != wanted:
            raise StatementMismatch(
                f"the drafted statement has {name}={statement.get(name)!r}, "
                f"not the {wanted!r} asked for; nothing was signed"
            )


def _undertaking_terms(
    agency: str,
    permits: Sequence[str],
    prohibits: Sequence[str],
    protections: Sequence[str],
    categories: Sequence[str],
    undertaking_id: str | None,
    valid_from: datetime | str | None,
    valid_until: datetime | str | None,
) -> dict[str, Json]:
    return (
        _Terms(
            {
                "agency": agency,
                "permits": list(permits),
                "prohibits": list(prohibits),
                "protections": list(protections),
                "categories": list(categories),
            }
        )
        .put("id", undertaking_id)
        .put("valid_from", _time(valid_from))
        .put("valid_until", _time(valid_until))
        .body
    )


def _order_terms(
    effect: str,
    reason: str,
    scope: Scope | Literal["all"] | None,
    requires: Requirement | None,
    exempts: Sequence[str],
    while_condition: str | None,
    valid_from: datetime | str | None,
    valid_until: datetime | str | None,
    order_id: str | None,
) -> dict[str, Json]:
    return (
        _Terms(
            {
                "effect": effect,
                "reason": reason,
                "exempts": list(exempts),
            }
        )
        .put("scope", _scope_body(scope))
        .put("requires", requires.to_json() if requires is not None else None)
        .put("while_condition", while_condition)
        .put("valid_from", _time(valid_from))
        .put("valid_until", _time(valid_until))
        .put("id", order_id)
        .body
    )


def _amend_terms(
    effect: str | None,
    scope: Scope | Literal["all"] | None,
    requires: Requirement | None,
    exempts: Sequence[str] | None,
    valid_until: datetime | str | None,
    while_condition: str | None,
    clear_condition: bool,
    reason: str | None,
) -> dict[str, Json]:
    return (
        _Terms({"clear_condition": clear_condition})
        .put("effect", effect)
        .put("scope", _scope_body(scope))
        .put("requires", requires.to_json() if requires is not None else None)
        .put("exempts", list(exempts) if exempts is not None else None)
        .put("valid_until", _time(valid_until))
        .put("while_condition", while_condition)
        .put("reason", reason)
        .body
    )


# -- standing agreements' bodies --------------------------------------------------------------


def _agreement_terms(
    partner: str,
    purposes: Sequence[str],
    tlp_ceiling: str,
    categories: Sequence[str],
    regions: Sequence[str],
    originators: Sequence[str],
    agreement_id: str | None,
    valid_from: datetime | str | None,
    valid_until: datetime | str | None,
    recall_ack_within: str | None,
    onward_to: Sequence[str] | None = None,
    onward_purposes: Sequence[str] | None = None,
) -> dict[str, Json]:
    return (
        _Terms(
            {
                "partner": partner,
                "purposes": list(purposes),
                "tlp_ceiling": tlp_ceiling,
                "categories": list(categories),
                "regions": list(regions),
                "originators": list(originators),
            }
        )
        .put("id", agreement_id)
        .put("valid_from", _time(valid_from))
        .put("valid_until", _time(valid_until))
        .put("recall_ack_within", recall_ack_within)
        .put("onward_to", None if onward_to is None else list(onward_to))
        .put("onward_purposes", None if onward_purposes is None else list(onward_purposes))
        .body
    )


def _agreement_amendment(
    purposes: Sequence[str] | None,
    tlp_ceiling: str | None,
    categories: Sequence[str] | None,
    regions: Sequence[str] | None,
    originators: Sequence[str] | None,
    valid_from: datetime | str | None,
    valid_until: datetime | str | None,
    clear_valid_until: bool,
    recall_ack_within: str | None,
    onward_to: Sequence[str] | None = None,
    onward_purposes: Sequence[str] | None = None,
) -> dict[str, Json]:
    def listed(values: Sequence[str] | None) -> list[Json] | None:
        return None if values is None else list(values)

    return (
        _Terms({"clear_valid_until": clear_valid_until})
        .put("purposes", listed(purposes))
        .put("tlp_ceiling", tlp_ceiling)
        .put("categories", listed(categories))
        .put("regions", listed(regions))
        .put("originators", listed(originators))
        .put("valid_from", _time(valid_from))
        .put("valid_until", _time(valid_until))
        .put("recall_ack_within", recall_ack_within)
        .put("onward_to", None if onward_to is None else list(onward_to))
        .put("onward_purposes", None if onward_purposes is None else list(onward_purposes))
        .body
    )
