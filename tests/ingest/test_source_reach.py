"""Where a source may point is the operator's decision: an analyst cannot make the server read
a folder outside GARANTE_SOURCE_ROOTS, nor ask a loopback, private, link-local or metadata
address that GARANTE_SOURCE_HOSTS does not allow, whether the URL names it, a name resolves to
it when the source is added, or the name resolves to it only when the server connects."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from garante.domain.errors import SourceNotAllowed, UpstreamFailed, ValidationError
from garante.service.app import Garante
from garante.upstream.reach import Reach
from tests.ingest.conftest import ANALYST, MAIN, indicator

PUBLIC = "192.0.32.10"  # what a resolver that lies says a name is (nothing is sent there)


def reach(garante: Garante, *, roots: tuple[str, ...] = (), hosts: tuple[str, ...] = ()) -> None:
    garante.context.settings.source_reach = Reach.parse(roots, hosts)


def add(garante: Garante, source_id: str, url: str, *, kind: str = "taxii") -> None:
    garante.acting_as(ANALYST).add_source(
        source_id,
        kind=kind,
        url=url,
        collection=MAIN if kind == "taxii" else None,
        category="maritime-interdiction",
        region="caribbean",
        tlp="amber",
    )


def refusal(garante: Garante, url: str, *, kind: str = "taxii") -> SourceNotAllowed:
    with pytest.raises(SourceNotAllowed) as raised:
        add(garante, "refused", url, kind=kind)
    assert raised.value.field == "url"
    assert raised.value.code == "source.not_allowed"
    return raised.value


@pytest.fixture
def counting_server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on loopback that answers 404 and notes each request's path."""
    seen: list[str] = []

    class Noting(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Noting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"localhost:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# -- refused when added ------------------------------------------------------------------------


def test_a_loopback_address_is_refused_naming_the_setting(world: Garante) -> None:
    reach(world)
    refused = refusal(world, "http://127.0.0.1:8000/taxii2/")
    assert "loopback" in refused.message
    assert "GARANTE_SOURCE_HOSTS" in (refused.hint or "")


def test_the_cloud_metadata_address_is_refused(world: Garante) -> None:
    reach(world)
    refused = refusal(world, "http://169.254.169.254/latest/meta-data/", kind="misp-feed")
    assert "metadata" in refused.message


def test_a_private_address_is_refused(world: Garante) -> None:
    reach(world)
    assert "private" in refusal(world, "https://10.20.30.40/taxii2/").message


def test_an_ipv6_loopback_and_a_mapped_ipv4_loopback_are_refused(world: Garante) -> None:
    reach(world)
    refusal(world, "http://[::1]:8000/taxii2/")
    refusal(world, "http://[::ffff:127.0.0.1]:8000/taxii2/")


def test_a_name_resolving_to_loopback_is_refused(world: Garante) -> None:
    reach(world)
    refused = refusal(world, "http://localhost:8000/taxii2/")
    assert "localhost resolves to" in refused.message


def test_a_network_the_operator_allows_may_be_reached(world: Garante) -> None:
    reach(world, hosts=("127.0.0.0/8", "::1"))
    add(world, "allowed", "http://localhost:8000/taxii2/")
    assert world.source("allowed").url == "http://localhost:8000/taxii2/"


def test_a_directory_outside_the_roots_is_refused(world: Garante, tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "elsewhere").mkdir()
    reach(world, roots=(str(tmp_path / "root"),))
    refused = refusal(world, str(tmp_path / "elsewhere"), kind="folder")
    assert "GARANTE_SOURCE_ROOTS" in (refused.hint or "")


def test_no_directory_is_allowed_until_the_operator_names_roots(
    world: Garante, tmp_path: Path
) -> None:
    reach(world)
    assert "none is configured" in refusal(world, str(tmp_path), kind="folder").message


def test_a_symlink_escaping_a_root_is_refused(world: Garante, tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "secret").mkdir()
    (tmp_path / "root" / "drop").symlink_to(tmp_path / "secret")
    reach(world, roots=(str(tmp_path / "root"),))
    refused = refusal(world, str(tmp_path / "root" / "drop"), kind="folder")
    assert str(tmp_path / "secret") in refused.message


def test_a_directory_under_a_root_is_added(world: Garante, tmp_path: Path) -> None:
    (tmp_path / "root" / "drop").mkdir(parents=True)
    reach(world, roots=(str(tmp_path / "root"),))
    add(world, "drop", str(tmp_path / "root" / "drop"), kind="misp-feed")
    assert world.source("drop").kind == "misp-feed"


def test_a_malformed_setting_is_refused_naming_it() -> None:
    with pytest.raises(ValidationError) as raised:
        Reach.parse(["relative/dir"], [])
    assert raised.value.field == "GARANTE_SOURCE_ROOTS"
    with pytest.raises(ValidationError) as raised:
        Reach.parse([], ["not a host!"])
    assert raised.value.field == "GARANTE_SOURCE_HOSTS"


# -- checked again on connecting (DNS rebinding) ------------------------------------------------


def lying(garante: Garante) -> None:
    """A resolver that says every name is public when the source is added; the connection
    then resolves it as the machine does (localhost: loopback)."""
    garante.context.settings.source_reach = Reach.parse(resolver=lambda host, port: [PUBLIC])


@pytest.mark.parametrize("kind", ["taxii", "misp-feed"])
def test_a_name_that_resolves_to_loopback_only_on_connecting_is_refused_before_any_request(
    world: Garante, counting_server: tuple[str, list[str]], kind: str
) -> None:
    where, seen = counting_server
    lying(world)
    add(world, "rebound", f"http://{where}/feed/", kind=kind)

    with pytest.raises(UpstreamFailed) as raised:
        world.acting_as(ANALYST).pull_source("rebound")

    assert "refused to connect" in str(raised.value)
    assert "loopback" in (world.source("rebound").last_error or "")
    assert seen == []


def test_a_folder_whose_link_now_escapes_its_root_is_refused_when_pulled(
    world: Garante, tmp_path: Path
) -> None:
    root, secret = tmp_path / "root", tmp_path / "secret"
    (root / "inside").mkdir(parents=True)
    secret.mkdir()
    (secret / "a.json").write_text(
        json.dumps({"type": "bundle", "id": f"bundle--{MAIN}", "objects": [indicator(1)]})
    )
    (root / "drop").symlink_to(root / "inside")
    reach(world, roots=(str(root),))
    add(world, "drop", str(root / "drop"), kind="folder")
    (root / "drop").unlink()
    (root / "drop").symlink_to(secret)

    with pytest.raises(UpstreamFailed, match="not under a directory sources may read"):
        world.acting_as(ANALYST).pull_source("drop")

    assert world.source("drop").items == 0
    assert "not under" in (world.source("drop").last_error or "")


# -- a hanging upstream holds the schedule for its timeout, once ---------------------------------


def test_a_hanging_upstream_holds_the_other_sources_for_its_timeout_only(
    world: Garante, tmp_path: Path
) -> None:
    hanging = socket.socket()
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(8)  # connections are taken by the kernel and never answered
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "a.json").write_text(
        json.dumps({"type": "bundle", "id": f"bundle--{MAIN}", "objects": [indicator(1)]})
    )
    reach(world, roots=(str(tmp_path),), hosts=("127.0.0.0/8",))
    try:
        add(world, "a-hanging", f"http://127.0.0.1:{hanging.getsockname()[1]}/taxii2/")
        add(world, "b-drop", str(folder), kind="folder")
        started = time.monotonic()

        done = world.pull_due_sources(timeout=1.0)

        elapsed = time.monotonic() - started
    finally:
        hanging.close()
    assert [p.source for p in done] == ["b-drop"]
    assert world.source("b-drop").items == 1
    assert "did not answer within 1 s (after 1 attempt)" in (
        world.source("a-hanging").last_error or ""
    )
    assert elapsed < 1.0 + 5  # its timeout once (not once per attempt), and the folder
