"""An authority's passkeys and security keys (WebAuthn): the list, and registering one.

Registering is two steps, like an order: the browser creates the credential
(``navigator.credentials.create``, ``static/passkeys.js``) and the preview shows the statement
that registers it; the authority signs that with the key it already has (its Ed25519 key, or a
passkey it registered before), unless it has none yet, and the second post registers it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from garante import records
from garante.console.errors import shown
from garante.console.forms import Form, form
from garante.console.render import page
from garante.console.routing import ConsoleRoute
from garante.console.session import Viewer, check_csrf, service, viewer
from garante.domain.errors import GaranteError
from garante.domain.events import Json
from garante.domain.passkeys import Assertion, Attestation
from garante.passkeys import challenge_of, encode
from garante.service.app import Garante
from garante.signatures import canonical, decode_signature

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

_ATTESTATION = ("challenge", "client_data_json", "attestation_object")
_ASSERTION = ("credential_id", "authenticator_data", "client_data_json", "signature")


def assertion_of(data: Form) -> Assertion | None:
    """The passkey assertion a signing form carries (``passkey_*`` fields), or None."""
    if not data.get("passkey_signature"):
        return None
    return Assertion(**{name: data.get(f"passkey_{name}") for name in _ASSERTION})


def signature_of(data: Form) -> bytes | None:
    text = data.get("signature")
    return decode_signature(text) if text else None


class Signing(TypedDict):
    """How the signing form of a statement is offered (``_signing.html``)."""

    has_key: bool
    passkeys: list[str]
    challenge: str
    needs_signature: bool


def signing(garante: Garante, authority_id: str, statement: Mapping[str, Json]) -> Signing:
    """What a page that asks ``authority_id`` to sign ``statement`` needs: whether it has an
    Ed25519 key, its passkeys, and the challenge a passkey signs (SHA-256 of the statement)."""
    authority = {a.id: a for a in garante.authorities()}.get(authority_id)
    passkeys = garante.passkeys(authority_id) if authority else []
    has_key = bool(authority and authority.public_key)
    return Signing(
        has_key=has_key,
        passkeys=[p.credential_id for p in passkeys],
        challenge=encode(challenge_of(statement)),
        needs_signature=has_key or bool(passkeys),
    )


def _authority(request: Request, data: Form | None = None) -> Viewer:
    who = viewer(request)
    who.require_authority()
    if data is not None:
        check_csrf(request, data.get("csrf"))
    return who


def _list_page(
    request: Request,
    who: Viewer,
    *,
    error: GaranteError | None = None,
    registered: records.Passkey | None = None,
) -> Response:
    garante = service(request)
    authority_id = str(who.principal.authority_id)
    options: records.PasskeyOptions | None = None
    unavailable: GaranteError | None = None
    try:
        options = garante.passkey_options(authority_id)
    except GaranteError as exc:
        unavailable = exc
    return page(
        request,
        "passkeys.html",
        viewer=who,
        passkeys=garante.passkeys(authority_id),
        options=options,
        unavailable=shown(unavailable, who.lang) if unavailable else None,
        error=shown(error, who.lang) if error else None,
        registered=registered,
        status_code=error.http_status if error else 200,
    )


@router.get("/passkeys")
def passkeys(request: Request) -> Response:
    return _list_page(request, _authority(request))


def _attestation(data: Form) -> Attestation:
    return Attestation(**{name: data.get(name) for name in _ATTESTATION})


@router.post("/passkeys/preview")
def preview_passkey(request: Request, data: Form = Depends(form)) -> Response:  # noqa: B008
    who = _authority(request, data)
    garante = service(request)
    authority_id = str(who.principal.authority_id)
    attestation = _attestation(data)
    try:
        proposed = garante.passkey_statement(authority_id, attestation)
    except GaranteError as exc:
        return _list_page(request, who, error=exc)
    statement = proposed.statement
    return page(
        request,
        "passkey_preview.html",
        viewer=who,
        hidden=[(name, getattr(attestation, name)) for name in _ATTESTATION],
        statement=statement,
        canonical=canonical(statement).decode(),
        **signing(garante, authority_id, statement),
    )


@router.post("/passkeys")
def register_passkey(request: Request, data: Form = Depends(form)) -> Response:  # noqa: B008
    who = _authority(request, data)
    garante = service(request)
    try:
        change = garante.register_passkey(
            str(who.principal.authority_id),
            _attestation(data),
            signature=signature_of(data),
            assertion=assertion_of(data),
        )
    except GaranteError as exc:
        return _list_page(request, who, error=exc)
    return _list_page(request, who, registered=change.value)
