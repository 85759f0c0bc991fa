"""Reading MISP feeds (a directory or an http(s) URL) and folders of STIX 2.1 bundle files.

What cannot be read at all (the feed's manifest, the folder itself, an answer that never
comes) is ``UpstreamFailed``: the pull stops and says why in the source's state, resuming
from where it got next time. What one event or one file gets wrong is a ``ValidationError``
for that event or file alone: it is refused with why and the rest go on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from garante.domain.errors import UpstreamFailed, ValidationError
from garante.sources import misp
from garante.stix.markings import StixObject
from garante.upstream.reach import CheckedTransport
from garante.upstream.taxii import Retry, Upstream

MAX_FILE = 64 * 1024 * 1024  # a bundle file larger than this is refused, not read


def client(upstream: Upstream) -> httpx.Client:
    """An HTTP client with the source's credentials and timeout (unused for a directory)."""
    auth: httpx.Auth | None = None
    headers: dict[str, str] = {}
    if upstream.auth == "basic":
        auth = httpx.BasicAuth(upstream.username or "", upstream.secret or "")
    elif upstream.auth == "bearer":
        headers["Authorization"] = f"Bearer {upstream.secret or ''}"
    return httpx.Client(
        auth=auth,
        headers=headers,
        timeout=upstream.timeout,
        transport=CheckedTransport(upstream.reach),
    )


_FINAL = frozenset({400, 401, 403, 404, 406, 410})


def fetch_with_retry(client: httpx.Client, retry: Retry) -> Callable[[str], bytes]:
    """A URL's body, tried again with backoff when the failure may pass (5xx, a timeout, a
    refused connection); ``UpstreamFailed`` after the last attempt or a final refusal."""

    def fetch(url: str) -> bytes:
        failure = ""
        tries = 0
        for attempt in range(max(1, retry.attempts)):
            if attempt:
                retry.sleep(retry.backoff * 2 ** (attempt - 1))
            tries += 1
            try:
                response = client.get(url)
            except httpx.TimeoutException:
                failure = f"{url} did not answer within {client.timeout.read or 0:g} s"
                if not retry.timeouts:
                    break
                continue
            except httpx.HTTPError as exc:
                failure = f"cannot reach {url}: {exc}"
                continue
            if response.status_code == 200:
                return response.content
            failure = f"{url} answered HTTP {response.status_code}"
            if response.status_code in (401, 403):
                failure += " (check the source's credentials)"
            if response.status_code in _FINAL:
                break
        raise UpstreamFailed(
            f"{failure} (after {tries} attempt{'s' if tries != 1 else ''})",
            field="url",
            hint="the pull resumes from where it stopped next time",
        )

    return fetch


def read_misp_feed(location: str, http: httpx.Client, retry: Retry) -> misp.MispFeed:
    """The feed's manifest, or ``UpstreamFailed`` saying why it cannot be read."""
    try:
        return misp.read_feed(location, fetch=fetch_with_retry(http, retry))
    except ValidationError as exc:
        raise UpstreamFailed(
            f"the MISP feed at {location} cannot be read: {exc.message}",
            field="url",
            hint=exc.hint or "a MISP feed holds manifest.json and one <uuid>.json per event",
        ) from None


def misp_event(feed: misp.MispFeed, event_uuid: str) -> misp.MispConverted:
    """One event of the feed, converted; ``ValidationError`` for this event alone."""
    return feed.event(event_uuid)


# -- folders of bundles ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class BundleFile:
    name: str
    path: Path
    sha256: str
    size: int


def bundle_files(directory: str) -> Iterator[BundleFile]:
    """The ``*.json`` files of ``directory``, by name, each with its SHA-256."""
    folder = Path(directory)
    try:
        paths = sorted(p for p in folder.iterdir() if p.suffix == ".json" and p.is_file())
    except OSError as exc:
        raise UpstreamFailed(
            f"cannot read the folder {directory}: {exc.strerror or exc}",
            field="url",
            hint="the folder must exist and be readable by the process that pulls",
        ) from None
    for path in paths:
        try:
            size = path.stat().st_size
            digest = hashlib.sha256()
            if size <= MAX_FILE:
                with path.open("rb") as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(block)
        except OSError:
            continue  # gone or unreadable since it was listed: seen next time if it comes back
        yield BundleFile(name=path.name, path=path, sha256=digest.hexdigest(), size=size)


def read_bundle(bundle_file: BundleFile) -> tuple[str, list[StixObject]]:
    """The bundle's id and objects, or ``ValidationError`` saying why the file is not one (each
    object is validated later, with the item it goes to)."""
    if bundle_file.size > MAX_FILE:
        raise ValidationError(
            f"the file has {bundle_file.size} bytes, more than {MAX_FILE} are read",
            field="bundle",
        )
    try:
        loaded: Any = json.loads(bundle_file.path.read_bytes())
    except OSError as exc:
        raise ValidationError(f"cannot read it: {exc.strerror or exc}", field="bundle") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError(f"not JSON: {exc}", field="bundle") from None
    if not isinstance(loaded, dict) or loaded.get("type") != "bundle":
        raise ValidationError('not a STIX bundle (no "type": "bundle")', field="bundle")
    bundle_id = loaded.get("id")
    objects = loaded.get("objects", [])
    if not isinstance(bundle_id, str) or not bundle_id.startswith("bundle--"):
        raise ValidationError("the bundle has no bundle-- id", field="bundle")
    if not isinstance(objects, list) or not all(
        isinstance(o, dict) and isinstance(o.get("id"), str) and isinstance(o.get("type"), str)
        for o in objects
    ):
        raise ValidationError("the bundle's objects are not STIX objects", field="bundle")
    return bundle_id, objects


def seen_files(position: str | None) -> dict[str, str]:
    """The files a folder source took, each with its SHA-256, as its position keeps them."""
    if not position:
        return {}
    try:
        loaded = json.loads(position)
    except ValueError:
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {str(k): str(v) for k, v in loaded.items()}


def seen_position(seen: dict[str, str]) -> str:
    return json.dumps(seen, sort_keys=True, separators=(",", ":"))
