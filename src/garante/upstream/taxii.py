"""Pulling a TAXII 2.1 collection with the OASIS ``taxii2-client``, page by page.

A pull asks for the objects added after the position the last one reached (``added_after``,
the upstream's own ``X-TAXII-Date-Added-Last``), follows ``next`` while the upstream says there
is ``more``, and hands over each page with the position after it, so the caller can take the
page and then record how far it got: a pull stopped anywhere resumes there, with no gap.

Each request is retried with backoff when the upstream fails in a way that may pass (5xx, a
timeout, a refused connection, a body that is not a TAXII envelope); a refusal that will not
pass by waiting (401, 403, 404) is not. The last failure is raised as ``UpstreamFailed``.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import requests
from taxii2client.common import _HTTPConnection
from taxii2client.exceptions import TAXIIServiceException
from taxii2client.v21 import Collection

from garante.domain.errors import UpstreamFailed
from garante.upstream.reach import Reach, check_session

DATE_ADDED_LAST = "X-TAXII-Date-Added-Last"
PAGE = 1000


class BearerAuth(requests.auth.AuthBase):
    """``Authorization: Bearer <token>`` on every request."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


class _Session(requests.Session):
    """A session whose every request has a timeout: taxii2-client sets none."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    # Its parameters passed on as they came: only the timeout is added.
    def request(
        self, method: str, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


@dataclass(frozen=True, kw_only=True)
class Upstream:
    """Where a TAXII 2.1 collection is and how to authenticate to it."""

    api_root: str
    collection: str
    auth: str = "none"  # none | basic | bearer
    username: str | None = None
    secret: str | None = None
    timeout: float = 30.0
    reach: Reach = field(default_factory=Reach)  # where it may connect (checked on connecting)

    @property
    def collection_url(self) -> str:
        return f"{self.api_root.rstrip('/')}/collections/{self.collection}/"


@dataclass(frozen=True, kw_only=True)
class Page:
    """One page of objects and where a pull stands once it is taken: ``added`` for the next
    pull's ``added_after`` and ``next`` for the page after it (None when there is no more)."""

    objects: list[dict[str, Any]]
    added: str | None
    next: str | None
    more: bool


@dataclass(kw_only=True)
class Retry:
    """How often and how patiently a request is tried before the pull gives up."""

    attempts: int = 3
    backoff: float = 0.5  # seconds before the second attempt; doubled each time after
    # Whether a request that timed out is tried again. The server's schedule does not: a
    # hanging upstream holds the sources pulled after it for its timeout once, not once per
    # attempt; the schedule tries it again at its next interval.
    timeouts: bool = True
    sleep: Callable[[float], None] = field(default=time.sleep)


def pages(
    upstream: Upstream,
    *,
    added_after: str | None,
    next_token: str | None = None,
    limit: int = PAGE,
    retry: Retry | None = None,
) -> Iterator[Page]:
    """The pages of objects added after ``added_after`` (from ``next_token``, if the last pull
    stopped between pages), each with the position after it."""
    retry = retry or Retry()
    seen: dict[str, str] = {}
    collection = _collection(upstream, seen)
    position = added_after
    resuming = next_token is not None
    followed: set[tuple[str, str]] = set()
    try:
        while True:
            filters: dict[str, Any] = {"limit": limit}
            if next_token:
                filters["next"] = next_token
            elif position:
                filters["added_after"] = position
            try:
                envelope = _attempt(
                    functools.partial(collection.get_objects, **filters), upstream, retry
                )
            except UpstreamFailed:
                if not resuming:
                    raise
                # A next token kept from the last pull may have expired (medallion's are
                # sessions): ask again from the position, which is the same place.
                resuming, next_token = False, None
                continue
            resuming = False
            objects, more, next_token = _envelope(envelope, upstream)
            last = seen.get("added")
            if objects and last:
                position = last
            after = next_token if more else None
            yield Page(objects=objects, added=position, next=after, more=more)
            if not more or not next_token:
                return
            # A next token may name a paging session (medallion's does, the same on every
            # page); the same token after the same page again would hand it round for ever.
            turn = (next_token, _page_signature(objects))
            if turn in followed:
                raise UpstreamFailed(
                    f"{upstream.collection_url} gave a next token it had already given, after "
                    "the same page; the pull stopped there",
                    field="url",
                )
            followed.add(turn)
    finally:
        collection.close()


def _page_signature(objects: list[dict[str, Any]]) -> str:
    """What a page holds: its objects' ids and versions, in order."""
    digest = hashlib.sha256()
    for obj in objects:
        digest.update(f"{obj.get('id')}|{obj.get('modified')}\n".encode())
    return digest.hexdigest()


def _collection(upstream: Upstream, seen: dict[str, str]) -> Collection:
    """A taxii2-client ``Collection`` on a session with a timeout, noting each response's
    ``X-TAXII-Date-Added-Last`` (taxii2-client hands back only the body)."""
    auth: requests.auth.AuthBase | None = None
    if upstream.auth == "basic":
        auth = requests.auth.HTTPBasicAuth(upstream.username or "", upstream.secret or "")
    elif upstream.auth == "bearer":
        auth = BearerAuth(upstream.secret or "")
    connection = _HTTPConnection(version="2.1", auth=auth)
    session = _Session(upstream.timeout)
    session.auth = auth
    check_session(session, upstream.reach)
    connection.session.close()
    connection.session = session

    def note(response: requests.Response, *args: object, **kwargs: object) -> None:
        seen.pop("added", None)
        value = response.headers.get(DATE_ADDED_LAST)
        if value:
            seen["added"] = value

    session.hooks["response"].append(note)
    # The collection is named, so its information resource is not asked for: only its
    # objects are read, and an upstream that may not read them answers 401 or 403 there.
    # (OpenTAXII 0.9 answers its collection resource with HTTP 500 where its objects work.)
    known = {"id": upstream.collection, "title": upstream.collection}
    return Collection(
        upstream.collection_url,
        conn=connection,
        collection_info={**known, "can_read": True, "can_write": False},
    )


_FINAL = frozenset({400, 401, 403, 404, 406, 416})


def _attempt(call: Callable[[], Any], upstream: Upstream, retry: Retry) -> Any:
    where = upstream.collection_url
    failure = ""
    tries = 0
    for attempt in range(max(1, retry.attempts)):
        if attempt:
            retry.sleep(retry.backoff * 2 ** (attempt - 1))
        tries += 1
        try:
            return call()
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            failure = f"{where} answered HTTP {status}"
            if status in (401, 403):
                failure += " (check the source's credentials)"
            if status in _FINAL:
                break
        except requests.Timeout:
            failure = f"{where} did not answer within {upstream.timeout:g} s"
            if not retry.timeouts:
                break
        except requests.ConnectionError as exc:
            failure = f"cannot reach {where}: {_reason(exc)}"
        except (ValueError, TAXIIServiceException) as exc:  # a body that is not JSON, or TAXII
            failure = f"{where} answered something that is not a TAXII 2.1 envelope: {exc}"
        except requests.RequestException as exc:
            failure = f"{where}: {exc}"
    raise UpstreamFailed(
        f"{failure} (after {tries} attempt{'s' if tries != 1 else ''})",
        field="url",
        hint="the pull resumes from where it stopped next time",
    )


def _reason(exc: BaseException) -> str:
    inner: BaseException = exc
    while inner.__context__ is not None and inner.__context__ is not inner:
        inner = inner.__context__
    return str(inner) or type(inner).__name__


def _envelope(envelope: Any, upstream: Upstream) -> tuple[list[dict[str, Any]], bool, str | None]:
    """The objects, ``more`` and ``next`` of an envelope, or ``UpstreamFailed`` if it is not
    one (a page that cannot be read is never taken in part)."""
    where = upstream.collection_url
    if not isinstance(envelope, dict):
        raise UpstreamFailed(f"{where} answered a {type(envelope).__name__}, not an envelope")
    objects = envelope.get("objects", [])
    more = envelope.get("more", False)
    next_token = envelope.get("next")
    if not isinstance(objects, list) or not all(
        isinstance(o, dict) and isinstance(o.get("id"), str) and isinstance(o.get("type"), str)
        for o in objects
    ):
        raise UpstreamFailed(f"{where} answered an envelope whose objects are not STIX objects")
    if not isinstance(more, bool) or not (next_token is None or isinstance(next_token, str)):
        raise UpstreamFailed(f"{where} answered an envelope with a malformed more or next")
    return objects, more, next_token
