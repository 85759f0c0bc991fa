"""``garante serve``: the HTTP API on localhost."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

import typer

from garante.cli import output
from garante.cli.context import bounded, service, settings
from garante.domain.errors import GaranteError
from garante.domain.numbers import MAX_PORT


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on.", metavar="HOST"),
    port: int = typer.Option(
        8000,
        "--port",
        help="Port; 0 picks a free one and prints it.",
        metavar="PORT",
        callback=bounded(0, MAX_PORT),
    ),
    checkpoint_interval: float = typer.Option(
        1.0,
        "--checkpoint-interval",
        help="Seconds between checkpoint publications.",
        metavar="SECONDS",
    ),
    log_key_uri: str | None = typer.Option(
        None,
        "--log-key-uri",
        help="The log's signing key in an HSM, as a PKCS#11 URI (RFC 7512), e.g. "
        "'pkcs11:token=garante;object=log?module-path=/usr/lib/softhsm/libsofthsm2.so"
        "&pin-source=file:/etc/garante/hsm-pin' (default: GARANTE_LOG_KEY_URI). If the token "
        "cannot be used, the server does not start.",
        metavar="URI",
    ),
    init: bool = typer.Option(
        False, "--init", help="Create the store if there is none (as `garante init` does)."
    ),
    header_timeout: float = typer.Option(
        10.0,
        "--header-timeout",
        min=0.1,
        help="Seconds a client has to send a request's headers; later, 408 and the connection "
        "is closed.",
        metavar="SECONDS",
    ),
    body_timeout: float = typer.Option(
        60.0,
        "--body-timeout",
        min=0.1,
        help="Seconds a client has to send a request's whole body once its headers arrived.",
        metavar="SECONDS",
    ),
    integrate_batch: int | None = typer.Option(
        None,
        "--integrate-batch",
        min=1,
        help="Most log entries whose tree one integration transaction computes "
        "(default: GARANTE_INTEGRATE_BATCH, else 1000).",
        metavar="ENTRIES",
    ),
    integrate_interval: int | None = typer.Option(
        None,
        "--integrate-interval",
        min=1,
        help="Milliseconds between looks for log entries to integrate into the tree "
        "(default: GARANTE_INTEGRATE_INTERVAL_MS, else 50). Proofs and checkpoints past the "
        "integrated size integrate first, whatever this is.",
        metavar="MS",
    ),
    trusted_proxy: list[str] | None = typer.Option(
        None,
        "--trusted-proxy",
        envvar="GARANTE_TRUSTED_PROXIES",
        help="An address or CIDR block of a reverse proxy that verifies partners' client "
        "certificates (repeat for several; the variable takes them comma-separated). Only "
        "from these are the X-SSL-Client-Verify and X-SSL-Client-Cert headers read; from "
        "anywhere else they are ignored.",
        metavar="CIDR",
    ),
    webauthn_origin: str | None = typer.Option(
        None,
        "--webauthn-origin",
        envvar="GARANTE_WEBAUTHN_ORIGIN",
        help="Where people open the console, e.g. https://garante.example.org: authorities "
        "register passkeys and security keys (WebAuthn) for it, and sign orders with them. "
        "Without it, no passkey can be registered (those registered still sign).",
        metavar="ORIGIN",
    ),
    webauthn_rp_id: str | None = typer.Option(
        None,
        "--webauthn-rp-id",
        envvar="GARANTE_WEBAUTHN_RP_ID",
        help="The WebAuthn relying party id: the origin's host (the default) or a domain above it.",
        metavar="DOMAIN",
    ),
    source_root: list[str] | None = typer.Option(
        None,
        "--source-root",
        help="A directory under which folder and MISP-feed directory sources may live (repeat "
        "for several; added to GARANTE_SOURCE_ROOTS). None by default: no directory source.",
        metavar="DIR",
    ),
    source_allow: list[str] | None = typer.Option(
        None,
        "--source-allow",
        help="A host name, address or CIDR block that web sources may reach although it is "
        "not public (loopback, private, link-local, metadata; repeat for several; added to "
        "GARANTE_SOURCE_HOSTS). Public addresses need none.",
        metavar="HOST|CIDR",
    ),
    sources_check: float = typer.Option(
        5.0,
        "--sources-check",
        min=0.5,
        help="Seconds between looks for sources due a pull (each is pulled on its own --interval).",
        metavar="SECONDS",
    ),
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        envvar="GARANTE_WORKERS",
        help="Worker processes serving the one port, each with its own memory and store "
        "connections: a process uses one core for HTTP, JSON and deciding, so more than 1 uses "
        "more cores (on SQLite, writes still go one at a time). 1 serves in this process. At "
        "most 8 per CPU the server may run on; more is refused (exit 2) before anything starts.",
        metavar="N",
    ),
    oidc_config: Path | None = typer.Option(
        None,
        "--oidc-config",
        envvar="GARANTE_OIDC_CONFIG",
        help="A TOML file naming an OpenID provider the console signs people in with, and how "
        "its claims map to roles, agencies and authorities (docs/deploy.md, 'Sign-in with "
        "OpenID Connect'). Token sign-in keeps working beside it.",
        metavar="FILE",
    ),
) -> None:
    """Serve the API under /api/v1, the web console at / and the TAXII 2.1 feeds at /taxii2/.

    The store must exist (create it with `garante init`), unless --init is given.
    """
    from garante.api.clientcert import TrustedProxies
    from garante.api.server import bind, url_of
    from garante.api.server import serve as run
    from garante.api.workers import check_count, supervise
    from garante.console.oidc import OidcSettings
    from garante.heap import settle_heap
    from garante.service.app import Garante
    from garante.service.context import Context, relying_party_of
    from garante.service.logkey import configured_uri

    check_count(workers)  # before a store is opened or created, a port bound, a process forked
    trusted = TrustedProxies.parse(trusted_proxy or ())
    oidc = OidcSettings.load(oidc_config) if oidc_config is not None else None
    rp = relying_party_of(webauthn_origin, webauthn_rp_id)

    def configured(garante: Garante) -> Garante:
        if integrate_batch is not None:
            garante.context.settings.integrate_batch = integrate_batch
        if integrate_interval is not None:
            garante.context.settings.integrate_interval_ms = integrate_interval
        if rp is not None:
            garante.context.settings.relying_party = rp
        current = garante.context.settings
        current.source_reach = current.source_reach.extended(source_root or (), source_allow or ())
        return garante

    def ready(url: str) -> None:
        output.console.print(f"Garante API listening on {url}/api/v1", markup=False)
        output.console.print(f"OpenAPI document: {url}/api/v1/openapi.json", markup=False)
        output.console.print(f"Web console: {url}/ and TAXII 2.1: {url}/taxii2/", markup=False)
        if oidc is not None:
            output.console.print(f"Console sign-in also with {oidc.issuer}", markup=False)
        sys.stdout.flush()

    serving = partial(
        run,
        checkpoint_interval=checkpoint_interval,
        header_timeout=header_timeout,
        body_timeout=body_timeout,
        sources_interval=sources_check,
        trusted_proxies=trusted,
        oidc=oidc,
    )
    if workers == 1:
        garante = configured(service(ctx, create=init, log_key_uri=log_key_uri))
        serving(garante, host=host, port=port, on_ready=ready)
        return

    # Several workers: create or migrate the store once, here, then bind the port once (so
    # --port 0 names one port), and fork the workers holding nothing they cannot share.
    if configured_uri(log_key_uri) is None:
        service(ctx, create=init).close()  # a new store's key file made once, not raced for
    else:
        Context.prepare(settings(ctx).db, create=init)  # the HSM is opened by each worker
    # The port is held by a socket that never listens; each worker listens on one of its own
    # on the same port (SO_REUSEPORT), and the kernel spreads connections among them.
    held = bind(host, port, shared=True, listen=False)
    url = url_of(host, held)
    settle_heap()  # what the workers inherit, kept out of their collections (and copies)

    def work(worker_ready: Callable[[], None]) -> int:
        try:
            garante = configured(service(ctx, log_key_uri=log_key_uri))
        except GaranteError as exc:
            output.error(exc, as_json=settings(ctx).json)
            return exc.exit_code
        own = bind(host, held.getsockname()[1], shared=True)
        serving(garante, host=host, sock=own, on_ready=lambda _url: worker_ready())
        return 0

    status = supervise(workers, work, on_ready=lambda: ready(url))
    held.close()
    if status != 0:
        raise typer.Exit(status)
