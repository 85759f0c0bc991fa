"""Where tests let sources point. Sources may point at no directory and no non-public address
unless the operator allows it (``garante.upstream.reach``); the tests' upstreams (medallion,
OpenTAXII, MISP feeds served by a local HTTP server) listen on loopback and their folders are
under the temporary directory, so each test that adds sources allows these, explicitly."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence

from garante.service.app import Garante
from garante.upstream.reach import HOSTS_SETTING, ROOTS_SETTING

LOOPBACK = ("127.0.0.0/8", "::1")
TEMP = (tempfile.gettempdir(),)


def allow(
    garante: Garante, *, roots: Sequence[str] = TEMP, hosts: Sequence[str] = LOOPBACK
) -> Garante:
    """Let ``garante``'s sources read directories under ``roots`` and reach ``hosts``."""
    settings = garante.context.settings
    settings.source_reach = settings.source_reach.extended(roots, hosts)
    return garante


def serve_options(
    *, roots: Sequence[str] = TEMP, hosts: Sequence[str] = LOOPBACK
) -> tuple[str, ...]:
    """The same, as ``garante serve`` options."""
    options: list[str] = []
    for root in roots:
        options += ["--source-root", root]
    for host in hosts:
        options += ["--source-allow", host]
    return tuple(options)


def environ(*, roots: Sequence[str] = TEMP, hosts: Sequence[str] = LOOPBACK) -> dict[str, str]:
    """The same, as the environment of a ``garante`` command."""
    return {ROOTS_SETTING: os.pathsep.join(roots), HOSTS_SETTING: ",".join(hosts)}
