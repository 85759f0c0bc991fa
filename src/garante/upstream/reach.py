"""Where sources may point: the operator's decision, not the analyst's who adds a source.

The server reads what a source names: a directory (a folder of bundles, a MISP feed's
directory) or a web address (a TAXII API root, a MISP feed's URL). Left to whoever adds a
source, that would let an analyst read any folder on the server, or make the server ask
addresses only it can reach (its loopback, the cloud's metadata service, the private network).
So:

- a directory must lie under one of ``GARANTE_SOURCE_ROOTS`` (``garante serve --source-root``),
  once its symbolic links are followed: none by default, so no directory source until the
  operator names where they live;
- a web address may reach any public address, and a loopback, private, link-local, shared,
  reserved or metadata address only if ``GARANTE_SOURCE_HOSTS`` (``--source-allow``) names
  its host or a network (CIDR) holding it.

A web address is checked when the source is added (every address its name resolves to) and
again on every connection, against the address actually connected to: a name that resolved
to a public address when checked and to 127.0.0.1 when connected (DNS rebinding) is refused
there, before a byte of the request is sent, and so is a redirect to such an address.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from garante.domain.errors import SourceNotAllowed, UpstreamFailed, ValidationError

ROOTS_SETTING = "GARANTE_SOURCE_ROOTS"
HOSTS_SETTING = "GARANTE_SOURCE_HOSTS"
HOSTS_HINT = (
    f"the operator allows it with {HOSTS_SETTING} (`garante serve --source-allow HOST|CIDR`)"
)
ROOTS_HINT = (
    f"the operator names the directories sources may read with {ROOTS_SETTING} "
    "(`garante serve --source-root DIR`)"
)

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Cloud metadata and platform services (AWS, GCP, Azure, OpenStack; Alibaba; AWS over IPv6;
# Azure's wire server, which is a public address).
METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "100.100.100.200", "fd00:ec2::254", "168.63.129.16")
)

Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an address resolves to itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def _address(text: str) -> IpAddress:
    ip = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _what(ip: IpAddress) -> str:
    if ip in METADATA:
        return "a cloud metadata"
    if ip.is_loopback:
        return "a loopback"
    if ip.is_link_local:
        return "a link-local"
    if ip.is_private:
        return "a private"
    return "a non-public"


@dataclass(frozen=True, kw_only=True)
class Reach:
    """The directories and the non-public hosts sources may point at (none by default)."""

    roots: tuple[str, ...] = ()  # absolute, symbolic links resolved
    networks: tuple[IpNetwork, ...] = ()
    names: frozenset[str] = frozenset()
    resolver: Resolver = field(default=resolve, compare=False, repr=False)

    @classmethod
    def parse(
        cls, roots: Iterable[str] = (), hosts: Iterable[str] = (), *, resolver: Resolver = resolve
    ) -> Reach:
        """From the operator's lists; a malformed entry is refused naming the setting."""
        kept_roots = []
        for root in roots:
            root = root.strip()
            if not root:
                continue
            if not os.path.isabs(root):
                raise ValidationError(
                    f"{ROOTS_SETTING}: '{root}' is not an absolute path",
                    field=ROOTS_SETTING,
                    hint="name each directory by its absolute path",
                )
            kept_roots.append(os.path.realpath(root))
        networks: list[IpNetwork] = []
        names = set()
        for host in hosts:
            host = host.strip().lower()
            if not host:
                continue
            try:
                networks.append(ipaddress.ip_network(host, strict=False))
                continue
            except ValueError:
                pass
            label = host.rstrip(".")
            if not label or not all(c.isalnum() or c in "-._" for c in label):
                raise ValidationError(
                    f"{HOSTS_SETTING}: '{host}' is neither a host name nor an address or CIDR",
                    field=HOSTS_SETTING,
                    hint="e.g. taxii.example.org, 10.1.2.3 or 10.0.0.0/8",
                )
            names.add(label)
        return cls(
            roots=tuple(kept_roots),
            networks=tuple(networks),
            names=frozenset(names),
            resolver=resolver,
        )

    @classmethod
    def from_environment(cls) -> Reach:
        """``GARANTE_SOURCE_ROOTS`` (directories, separated by ``os.pathsep``) and
        ``GARANTE_SOURCE_HOSTS`` (host names, addresses and CIDRs, comma-separated)."""
        return cls.parse(
            os.environ.get(ROOTS_SETTING, "").split(os.pathsep),
            os.environ.get(HOSTS_SETTING, "").split(","),
        )

    def extended(self, roots: Iterable[str] = (), hosts: Iterable[str] = ()) -> Reach:
        """This reach and more roots and hosts (``garante serve``'s options)."""
        more = Reach.parse(roots, hosts, resolver=self.resolver)
        return Reach(
            roots=self.roots + more.roots,
            networks=self.networks + more.networks,
            names=self.names | more.names,
            resolver=self.resolver,
        )

    # -- directories -----------------------------------------------------------------------

    def check_directory(self, path: str) -> None:
        """Refuse a directory not under a root, once its symbolic links are followed."""
        real = os.path.realpath(path)
        for root in self.roots:
            if real == root or real.startswith(root.rstrip(os.sep) + os.sep):
                return
        shown = path if real == os.path.normpath(path) else f"{path} (that is, {real})"
        raise SourceNotAllowed(
            f"{shown} is not under a directory sources may read"
            + (f": {', '.join(self.roots)}" if self.roots else " (none is configured)"),
            field="url",
            hint=ROOTS_HINT,
        )

    # -- web addresses ---------------------------------------------------------------------

    def check_url(self, url: str) -> None:
        """Refuse a URL whose host is, or resolves to, an address sources may not reach."""
        parts = urlsplit(url)
        host = parts.hostname
        if not host:
            raise ValidationError(f"'{url}' names no host", field="url", hint="http(s)://HOST/…")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise ValidationError(f"'{url}' has a malformed port", field="url") from None
        if host.lower().rstrip(".") in self.names:
            return
        try:
            addresses = self.resolver(host, port)
        except OSError as exc:
            raise SourceNotAllowed(
                f"{host} cannot be resolved ({exc}): where a source points is checked when it "
                "is added",
                field="url",
                hint="check the host name",
            ) from None
        for address in addresses:
            self.check_address(host, address)

    def check_address(self, host: str, address: str) -> None:
        """Refuse ``address`` (what ``host`` resolved to) unless it is public and no
        metadata service, or the operator allowed the host or a network holding it."""
        if host.lower().rstrip(".") in self.names:
            return
        ip = _address(address)
        if any(ip in net for net in self.networks if net.version == ip.version):
            return
        if ip.is_global and ip not in METADATA:
            return
        said = f"{ip} is" if host.strip("[]") == str(ip) else f"{host} resolves to {ip},"
        raise SourceNotAllowed(
            f"{said} {_what(ip)} address, which sources may not reach",
            field="url",
            hint=HOSTS_HINT,
        )

    def refused(self, host: str, address: str) -> UpstreamFailed | None:
        """The connection-time form of ``check_address``: a failed pull, not bad input."""
        try:
            self.check_address(host, address)
        except SourceNotAllowed as exc:
            return UpstreamFailed(
                f"refused to connect to {host}: {exc.message} (checked on connecting)",
                field="url",
                hint=HOSTS_HINT,
            )
        return None


# -- checking on connecting: requests (taxii2-client) and httpx (MISP feeds) ------------------


def _checked_connection(base: type[Any], reach: Reach) -> type[HTTPConnection]:
    class Checked(base):  # type: ignore[misc]
        def _new_conn(self) -> socket.socket:
            sock: socket.socket = super()._new_conn()
            refusal = reach.refused(str(self.host), str(sock.getpeername()[0]))
            if refusal is not None:
                sock.close()
                raise refusal
            return sock

    return Checked


def _checked_pool(base: type[HTTPConnectionPool], reach: Reach) -> type[HTTPConnectionPool]:
    class Pool(base):  # type: ignore[valid-type, misc]
        ConnectionCls = _checked_connection(base.ConnectionCls, reach)

    return Pool


class CheckedAdapter(HTTPAdapter):
    """A requests adapter whose every connection is checked against ``reach`` once
    connected, before the request (or a TLS handshake) is sent."""

    def __init__(self, reach: Reach) -> None:
        self.reach = reach
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _checked_pool(HTTPConnectionPool, self.reach),
            "https": _checked_pool(HTTPSConnectionPool, self.reach),
        }


def check_session(session: requests.Session, reach: Reach) -> None:
    adapter = CheckedAdapter(reach)
    session.mount("http://", adapter)
    session.mount("https://", adapter)


class _CheckedBackend(httpcore.NetworkBackend):
    def __init__(self, reach: Reach) -> None:
        self.reach = reach
        self.inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self.inner.connect_tcp(host, port, timeout, local_address, socket_options)
        sock = stream.get_extra_info("socket")
        refusal = self.reach.refused(host, str(sock.getpeername()[0]))
        if refusal is not None:
            stream.close()
            raise refusal
        return stream

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise UpstreamFailed("sources are not read through Unix sockets", field="url")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class CheckedTransport(httpx.HTTPTransport):
    """An httpx transport whose every connection is checked against ``reach`` once
    connected, before the request (or a TLS handshake) is sent. Environment proxies are not
    used (an explicit transport has none)."""

    def __init__(self, reach: Reach) -> None:
        super().__init__()
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=_CheckedBackend(reach)
        )
