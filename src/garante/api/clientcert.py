"""Client certificates verified by a trusted reverse proxy (nginx), in place of a token.

nginx checks the certificate against the operator's partner CA (``ssl_verify_client on``) and
passes two headers, named here and nowhere else. Garante reads them only on a connection from
a trusted proxy address (``garante serve --trusted-proxy CIDR``); from any other address they
are ignored, as if absent, so a client that forges them gets nothing for it.

The address checked is the TCP peer's, recorded (``RecordPeer``) before uvicorn replaces the
request's client with the one ``X-Forwarded-For`` names: that one is the partner's address,
never nginx's, and partly the client's to choose.

A request with both a verified certificate and a bearer token acts for the certificate: it was
proved on the connection with its private key, where a token is a secret anyone who copied it
may send; so a partner system cannot step outside its certificate's agency with a token, and
the token is not looked at.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from garante.certificates import fingerprint_of_pem
from garante.domain.errors import ValidationError
from garante.domain.roles import Principal
from garante.service.app import Garante
from garante.service.tokens import Unauthenticated

VERIFY_HEADER = "X-SSL-Client-Verify"  # nginx: $ssl_client_verify (SUCCESS, FAILED:..., NONE)
CERT_HEADER = "X-SSL-Client-Cert"  # nginx: $ssl_client_escaped_cert (the PEM, URL-escaped)
VERIFIED = "SUCCESS"
PEER = "garante.peer"  # the scope key RecordPeer sets: the connection's own (host, port)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class TrustedProxies:
    """The addresses whose certificate headers Garante believes; none by default."""

    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, cidrs: Iterable[str]) -> TrustedProxies:
        networks: list[Network] = []
        for cidr in cidrs:
            for part in cidr.split(","):
                if not part.strip():
                    continue
                try:
                    networks.append(ipaddress.ip_network(part.strip(), strict=False))
                except ValueError:
                    raise ValidationError(
                        f"{part.strip()!r} is not an address or a CIDR block",
                        field="trusted_proxy",
                        hint="e.g. --trusted-proxy 127.0.0.1/32 or --trusted-proxy 10.0.0.0/24",
                    ) from None
        return cls(tuple(networks))

    def trusts(self, host: str | None) -> bool:
        if not self.networks or not host:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)


class RecordPeer:
    """Keeps the connection's peer under ``PEER`` in the scope, for the proxy headers
    middleware inside it to rewrite ``client`` as it likes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope[PEER] = scope.get("client")
        await self.app(scope, receive, send)


def peer_host(connection: HTTPConnection) -> str | None:
    """The address the request came from on the wire (see ``RecordPeer``); without it (an app
    served another way), the request's client."""
    recorded = connection.scope.get(PEER)
    if recorded:
        return str(recorded[0])
    return connection.client.host if connection.client else None


def presents_certificate(
    trusted: TrustedProxies, client_host: str | None, headers: Mapping[str, str]
) -> bool:
    """Whether a trusted proxy says something of a client certificate (then the certificate,
    not a token, decides who the caller is)."""
    if not trusted.trusts(client_host):
        return False
    verify = (headers.get(VERIFY_HEADER) or "").strip()
    return bool(verify) and verify.upper() != "NONE"


def certificate_principal(
    garante: Garante,
    trusted: TrustedProxies,
    client_host: str | None,
    headers: Mapping[str, str],
) -> Principal | None:
    """The partner principal of the certificate a trusted proxy verified, or None when the
    request did not come through one, or came without a certificate (then a token decides).

    ``headers`` is a Starlette ``Headers``, whose ``get`` ignores case.
    """
    if not presents_certificate(trusted, client_host, headers):
        return None
    verify = (headers.get(VERIFY_HEADER) or "").strip()
    escaped = (headers.get(CERT_HEADER) or "").strip()
    if verify != VERIFIED or not escaped:
        raise Unauthenticated(
            "the proxy did not verify the client certificate",
            hint="present a certificate issued by the operator's partner CA",
        )
    try:
        fingerprint = fingerprint_of_pem(unquote(escaped))
    except ValidationError:
        raise Unauthenticated(
            "the proxy passed a client certificate that cannot be read",
            hint=f"the proxy must set {CERT_HEADER} to $ssl_client_escaped_cert",
        ) from None
    principal: Principal = garante.authenticate_certificate(fingerprint)
    return principal
