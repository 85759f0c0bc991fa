"""MISP events and feeds made with PyMISP itself, as a MISP instance would publish them.

Tests and benches of MISP sources build their upstream here rather than by hand, so that what
Garante reads is what PyMISP (and so MISP) writes: ``MISPEvent.to_feed`` for each event file
and ``MISPEvent.manifest`` for ``manifest.json``, as PyMISP's own feed generator does.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pymisp import MISPAttribute, MISPEvent, MISPOrganisation

ORG_UUID = "55f6ea5e-2c60-40e5-964f-47a8950d210f"
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def misp_event(
    info: str = "Go-fast boat sighted off Tumaco",
    *,
    tags: Sequence[str] = ("tlp:amber",),
    attributes: Sequence[tuple[str, str]] = (("ip-dst", "203.0.113.5"), ("domain", "evil.example")),
    attribute_tags: Sequence[str] = (),
    timestamp: datetime = WHEN,
    published: bool = True,
    event_uuid: str | None = None,
) -> MISPEvent:
    """An event as a MISP instance holds it: an organisation, tags, attributes, a timestamp."""
    event = MISPEvent(force_timestamps=True)  # as MISP exports it: with its timestamps
    if event_uuid is not None:
        event.uuid = event_uuid
    event.info = info
    event.set_date(date(timestamp.year, timestamp.month, timestamp.day))
    event.published = published
    event.publish_timestamp = timestamp
    org = MISPOrganisation()
    org.name = "DIPOL"
    org.uuid = ORG_UUID
    event.Orgc = org
    for tag in tags:
        event.add_tag(tag)
    for kind, value in attributes:
        attribute = event.add_attribute(kind, value)
        assert isinstance(attribute, MISPAttribute)  # one value, one attribute
        attribute.timestamp = timestamp
        for tag in attribute_tags:
            attribute.add_tag(tag)
    event.timestamp = timestamp
    return event


def feed_json(event: MISPEvent) -> dict[str, Any]:
    """The event as one ``<uuid>.json`` file of a feed."""
    feed: dict[str, Any] = event.to_feed()
    return feed


def write_feed(directory: Path, events: Sequence[MISPEvent]) -> Path:
    """``events`` as a MISP feed in ``directory``: one file each, and the manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {}
    for event in events:
        (directory / f"{event.uuid}.json").write_text(json.dumps(feed_json(event)))
        manifest.update(event.manifest)
    (directory / "manifest.json").write_text(json.dumps(manifest))
    return directory


@contextmanager
def served(directory: Path) -> Iterator[str]:
    """``directory`` served over HTTP on loopback, as a web server publishes a MISP feed: the
    URL it is at."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
