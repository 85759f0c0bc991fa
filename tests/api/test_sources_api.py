"""/api/v1/sources through a real server and the typed client: an analyst adds, reads,
pulls, pauses, resumes and removes its agency's sources; a secret is never answered back;
errors come in the one shape with their codes."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from garante.client import GaranteAPIError, GaranteClient
from tests.api.test_error_shape import assert_canonical_error
from tests.ingest.conftest import indicator
from tests.support.servers import Server

SECRET = "a-token-that-must-never-come-back"


def bundle_file(folder: Path, n: int) -> None:
    content: dict[str, Any] = {
        "type": "bundle",
        "id": f"bundle--{uuid.UUID(int=900 + n, version=4)}",
        "objects": [indicator(100 + n)],
    }
    (folder / f"{n}.json").write_text(json.dumps(content))


def analyst(server: Server, agency: str = "dipol") -> GaranteClient:
    return GaranteClient(server.url, server.token("analyst", agency=agency))


def add_folder(client: GaranteClient, source_id: str, folder: Path) -> None:
    client.add_source(
        source_id,
        kind="folder",
        url=str(folder),
        category="maritime-interdiction",
        region="caribbean",
        tlp="amber",
        interval=86400,
    )


def test_an_analyst_adds_a_folder_source_and_pulls_it(demo_server: Server, tmp_path: Path) -> None:
    bundle_file(tmp_path, 1)
    bundle_file(tmp_path, 2)
    with analyst(demo_server) as client:
        add_folder(client, "drop-api", tmp_path)

        pulled = client.pull_source("drop-api").pulled  # or the schedule took them first

        source = client.get_source("drop-api")
        assert (source.kind, source.originator, source.items) == ("folder", "dipol", 2)
        assert len(pulled.items) + pulled.duplicates in (0, 2)
        assert "drop-api" in {s.id for s in client.iter_sources()}


def test_a_source_secret_is_never_answered_back(demo_server: Server) -> None:
    token = demo_server.token("analyst", agency="dipol")
    answer = httpx.post(
        f"{demo_server.api}/sources",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "id": "feed-secret",
            "kind": "misp-feed",
            "url": "http://127.0.0.1:9/feed",
            "category": "maritime-interdiction",
            "region": "caribbean",
            "tlp": "amber",
            "auth": "bearer",
            "secret": SECRET,
            "interval": 86400,
        },
    )
    assert answer.status_code == 201, answer.text
    listed = httpx.get(f"{demo_server.api}/sources", headers={"Authorization": f"Bearer {token}"})
    shown = httpx.get(
        f"{demo_server.api}/sources/feed-secret", headers={"Authorization": f"Bearer {token}"}
    )
    for response in (answer, listed, shown):
        assert SECRET not in response.text
    assert shown.json()["auth"] == "bearer"


def test_pause_resume_and_remove_say_why_and_show_the_state(
    demo_server: Server, tmp_path: Path
) -> None:
    with analyst(demo_server) as client:
        add_folder(client, "drop-states", tmp_path)

        assert client.pause_source("drop-states", reason="upstream maintenance").paused
        assert not client.resume_source("drop-states", reason="back").paused
        assert client.remove_source("drop-states", reason="not needed").removed
        assert "drop-states" not in {s.id for s in client.iter_sources()}
        assert "drop-states" in {s.id for s in client.iter_sources(removed=True)}


def test_an_unreachable_upstream_answers_502_and_is_recorded(demo_server: Server) -> None:
    with analyst(demo_server) as client:
        client.add_source(
            "feed-gone",
            kind="misp-feed",
            url="http://127.0.0.1:9/feed",
            category="maritime-interdiction",
            region="caribbean",
            tlp="amber",
            interval=86400,
        )
        with pytest.raises(GaranteAPIError) as raised:
            client.pull_source("feed-gone")

        assert (raised.value.status, raised.value.code) == (502, "source.upstream_failed")
        assert "127.0.0.1:9" in (client.get_source("feed-gone").last_error or "")


def test_an_unknown_source_is_404_with_its_code(demo_server: Server) -> None:
    token = demo_server.token("analyst", agency="dipol")
    response = httpx.get(
        f"{demo_server.api}/sources/nowhere", headers={"Authorization": f"Bearer {token}"}
    )
    assert_canonical_error(response, 404, "source.not_found")


def test_an_unknown_kind_is_refused_with_422(demo_server: Server) -> None:
    token = demo_server.token("analyst", agency="dipol")
    response = httpx.post(
        f"{demo_server.api}/sources",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "id": "bad-kind",
            "kind": "ftp",
            "url": "ftp://example.org",
            "category": "maritime-interdiction",
            "region": "caribbean",
            "tlp": "amber",
        },
    )
    assert_canonical_error(response, 422)


def test_a_relative_folder_path_is_refused_with_the_field(demo_server: Server) -> None:
    with analyst(demo_server) as client, pytest.raises(GaranteAPIError) as raised:
        add_folder(client, "drop-relative", Path("relative/drop"))
    assert (raised.value.status, raised.value.field) == (422, "url")


def test_a_partner_neither_reads_nor_adds_sources(demo_server: Server, tmp_path: Path) -> None:
    token = demo_server.token("partner", agency="dea")
    headers = {"Authorization": f"Bearer {token}"}
    assert_canonical_error(httpx.get(f"{demo_server.api}/sources", headers=headers), 403)
    with GaranteClient(demo_server.url, token) as partner, pytest.raises(GaranteAPIError) as raised:
        add_folder(partner, "drop-partner", tmp_path)
    assert raised.value.status == 403


def test_an_analyst_of_another_agency_may_not_pull_a_source(
    demo_server: Server, tmp_path: Path
) -> None:
    with analyst(demo_server) as owner:
        add_folder(owner, "drop-owned", tmp_path)
    with analyst(demo_server, "dijin") as other, pytest.raises(GaranteAPIError) as raised:
        other.pull_source("drop-owned")
    assert raised.value.status == 403
