"""/api/v1/sources through a real server and the typed client: an analyst adds, reads,
pulls, pauses, resumes and removes its agency's sources; a secret is never answered back;
errors come in the one shape with their codes."""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from garante import records
from garante.client import GaranteAPIError, GaranteClient
from garante.signatures import private_key_pem
from tests.api.test_error_shape import assert_canonical_error
from tests.ingest.conftest import indicator
from tests.support.misp_feed import WHEN, feed_json, misp_event, write_feed
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


def pulled(client: GaranteClient, source_id: str, *, seconds: float = 60) -> records.Source:
    """The source once the server has pulled it and done every pull asked for."""
    deadline = time.monotonic() + seconds
    while True:
        source = client.get_source(source_id)
        if source.last_attempt_at is not None and source.pull_requested_at is None:
            return source
        assert time.monotonic() < deadline, f"{source_id} was not pulled in {seconds} s"
        time.sleep(0.1)


def test_an_analyst_adds_a_folder_source_and_the_server_pulls_it(
    demo_server: Server, tmp_path: Path
) -> None:
    bundle_file(tmp_path, 1)
    bundle_file(tmp_path, 2)
    with analyst(demo_server) as client:
        add_folder(client, "drop-api", tmp_path)

        source = pulled(client, "drop-api")

        assert (source.kind, source.originator, source.items) == ("folder", "dipol", 2)
        assert "drop-api" in {s.id for s in client.iter_sources()}


def test_a_pull_asked_for_answers_202_at_once_and_the_server_does_it(
    demo_server: Server, tmp_path: Path
) -> None:
    bundle_file(tmp_path, 1)
    with analyst(demo_server) as client:
        add_folder(client, "drop-asked", tmp_path)
        assert pulled(client, "drop-asked").items == 1
        bundle_file(tmp_path, 2)
        token = demo_server.token("analyst", agency="dipol")

        answer = httpx.post(
            f"{demo_server.api}/sources/drop-asked/pull",
            headers={"Authorization": f"Bearer {token}"},
        )

        assert answer.status_code == 202, answer.text
        assert answer.json()["pull_requested_at"] is not None
        assert pulled(client, "drop-asked").items == 2


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


def test_an_unreachable_upstream_is_recorded_as_the_last_error(demo_server: Server) -> None:
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
        pulled(client, "feed-gone")

        asked = client.pull_source("feed-gone")

        assert asked.pull_requested_at is not None
        source = pulled(client, "feed-gone")
        assert "127.0.0.1:9" in (source.last_error or "")
        assert source.last_success_at is None


def test_a_cloud_metadata_address_is_refused_with_the_setting_to_allow(
    demo_server: Server,
) -> None:
    with analyst(demo_server) as client, pytest.raises(GaranteAPIError) as raised:
        client.add_source(
            "feed-metadata",
            kind="misp-feed",
            url="http://169.254.169.254/latest/meta-data/",
            category="maritime-interdiction",
            region="caribbean",
            tlp="amber",
        )
    assert (raised.value.status, raised.value.code) == (422, "source.not_allowed")
    assert raised.value.field == "url"
    assert "GARANTE_SOURCE_HOSTS" in (raised.value.hint or "")


def test_misp_events_posted_become_items(demo_server: Server, tmp_path: Path) -> None:
    with analyst(demo_server) as client:
        client.add_source(
            "misp-posted",
            kind="misp-feed",
            url=str(write_feed(tmp_path / "feed", [])),
            category="maritime-interdiction",
            region="caribbean",
            tlp="amber",
            interval=86400,
        )

        taken = client.ingest_misp_events(
            "misp-posted", [feed_json(misp_event(tags=("tlp:green",)))]
        )

        assert (len(taken.pulled.items), taken.pulled.rejected) == (1, ())
        assert client.get_source("misp-posted").items == 1


def test_a_malformed_misp_event_posted_is_refused_and_nothing_taken(
    demo_server: Server, tmp_path: Path
) -> None:
    event = feed_json(misp_event())
    event["Event"]["published"] = "perhaps"
    with analyst(demo_server) as client:
        client.add_source(
            "misp-malformed",
            kind="misp-feed",
            url=str(write_feed(tmp_path / "feed", [])),
            category="maritime-interdiction",
            region="caribbean",
            tlp="amber",
            interval=86400,
        )

        with pytest.raises(GaranteAPIError) as raised:
            client.ingest_misp_events("misp-malformed", json.dumps(event))

        assert raised.value.status == 422
        assert client.get_source("misp-malformed").items == 0


def test_misp_events_that_are_not_json_are_refused_with_422(
    demo_server: Server, tmp_path: Path
) -> None:
    with analyst(demo_server) as client:
        client.add_source(
            "misp-not-json",
            kind="misp-feed",
            url=str(write_feed(tmp_path / "feed", [])),
            category="maritime-interdiction",
            region="caribbean",
            tlp="amber",
            interval=86400,
        )
    token = demo_server.token("analyst", agency="dipol")
    response = httpx.post(
        f"{demo_server.api}/sources/misp-not-json/misp-events",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        content=b'{"Event": ',
    )
    assert_canonical_error(response, 422)


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


def test_an_item_s_history_lists_each_upstream_version_its_source_gave(
    demo_server: Server, tmp_path: Path
) -> None:
    first = misp_event(tags=("tlp:green",), event_uuid=HISTORY_EVENT)
    later = misp_event(tags=("tlp:amber",), event_uuid=HISTORY_EVENT, timestamp=LATER)
    with analyst(demo_server) as client:
        add_misp(client, "misp-history", tmp_path)
        (item,) = client.ingest_misp_events("misp-history", [feed_json(first)]).pulled.items
        client.ingest_misp_events("misp-history", [feed_json(later)])

        versions = client.item_versions(item)

    assert [(v.version, v.status, v.tlp) for v in versions] == [
        (1, "item", "green"),
        (2, "revised", "amber"),
    ]
    assert {v.upstream_id for v in versions} == {HISTORY_EVENT}


def test_a_partner_may_not_read_an_item_s_history(demo_server: Server, tmp_path: Path) -> None:
    with analyst(demo_server) as client:
        add_misp(client, "misp-history-partner", tmp_path)
        (item,) = client.ingest_misp_events(
            "misp-history-partner", [feed_json(misp_event(tags=("tlp:green",)))]
        ).pulled.items
    token = demo_server.token("partner", agency="dea")
    response = httpx.get(
        f"{demo_server.api}/items/{item}/versions", headers={"Authorization": f"Bearer {token}"}
    )
    assert_canonical_error(response, 403)


def test_the_history_of_an_unknown_item_is_404_with_its_code(demo_server: Server) -> None:
    token = demo_server.token("analyst", agency="dipol")
    response = httpx.get(
        f"{demo_server.api}/items/nothing-here/versions",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert_canonical_error(response, 404, "item.not_found")


HISTORY_EVENT = "5f1a2b3c-0000-4000-8000-0000000002aa"
LATER = WHEN + timedelta(hours=1)


def add_misp(client: GaranteClient, source_id: str, folder: Path) -> None:
    client.add_source(
        source_id,
        kind="misp-feed",
        url=str(write_feed(folder / source_id, [])),
        category="maritime-interdiction",
        region="caribbean",
        tlp="amber",
        interval=86400,
    )


def _garante_source(server: Server, source_id: str, signing_key: str | None) -> dict[str, Any]:
    """A Garante upstream as an analyst posts it: verified with a log key (this server's own
    will do: the upstream at port 9 is never reached), read with a partner token."""
    return {
        "id": source_id,
        "kind": "garante",
        "url": "http://127.0.0.1:9/taxii2/garante/",
        "collection": "dipol-feed",
        "category": "maritime-interdiction",
        "region": "caribbean",
        "tlp": "amber",
        "auth": "bearer",
        "secret": SECRET,
        "interval": 86400,
        "log_key": httpx.get(f"{server.api}/audit/key").json()["log_key"],
        **({"signing_key": signing_key} if signing_key is not None else {}),
    }


def test_a_garante_source_added_through_the_api_acknowledges_with_its_signing_key(
    demo_server: Server,
) -> None:
    key = private_key_pem(Ed25519PrivateKey.generate()).decode()
    body = _garante_source(demo_server, "node-acks", key)
    with analyst(demo_server) as client:
        source = client.add_source(
            body["id"],
            kind="garante",
            url=body["url"],
            collection=body["collection"],
            category=body["category"],
            region=body["region"],
            tlp=body["tlp"],
            auth="bearer",
            secret=SECRET,
            interval=86400,
            log_key=body["log_key"],
            signing_key=key,
        )

        assert (source.kind, source.acknowledges) == ("garante", True)
        assert client.get_source("node-acks").acknowledges


def test_a_source_s_signing_key_is_never_answered_nor_logged(demo_server: Server) -> None:
    key = private_key_pem(Ed25519PrivateKey.generate()).decode()
    token = demo_server.token("analyst", agency="dipol")
    headers = {"Authorization": f"Bearer {token}"}
    answer = httpx.post(
        f"{demo_server.api}/sources",
        headers=headers,
        json=_garante_source(demo_server, "node-key-secret", key),
    )
    assert answer.status_code == 201, answer.text
    shown = httpx.get(f"{demo_server.api}/sources/node-key-secret", headers=headers)
    size = httpx.get(f"{demo_server.api}/audit/checkpoint").json()["size"]
    logged = httpx.get(
        f"{demo_server.api}/audit/entries",
        headers=headers,
        params={"start": max(0, size - 20), "end": size},
    )
    body = key.split("-----")[2].strip().splitlines()[0]  # the key's base64, not its armour
    for response in (answer, shown, logged):
        assert body not in response.text
    assert shown.json()["acknowledges"] is True


def test_a_signing_key_that_is_no_key_is_refused_with_key_invalid(demo_server: Server) -> None:
    token = demo_server.token("analyst", agency="dipol")
    response = httpx.post(
        f"{demo_server.api}/sources",
        headers={"Authorization": f"Bearer {token}"},
        json=_garante_source(demo_server, "node-bad-key", "not a PEM key"),
    )
    assert_canonical_error(response, 422, "key.invalid")
    assert response.json()["field"] == "signing_key"
    with analyst(demo_server) as client, pytest.raises(GaranteAPIError) as raised:
        client.get_source("node-bad-key")
    assert raised.value.code == "source.not_found"


def test_a_signing_key_on_a_source_that_is_not_garante_is_refused(demo_server: Server) -> None:
    key = private_key_pem(Ed25519PrivateKey.generate()).decode()
    with analyst(demo_server) as client, pytest.raises(GaranteAPIError) as raised:
        client.add_source(
            "feed-with-key",
            kind="misp-feed",
            url="http://127.0.0.1:9/feed",
            category="maritime-interdiction",
            region="caribbean",
            tlp="amber",
            signing_key=key,
        )
    assert (raised.value.status, raised.value.field) == (422, "signing_key")
