"""Partners authenticated by client certificates through nginx, against a throwaway CA.

nginx (Debian's) serves HTTPS with a server certificate for 127.0.0.1 and verifies clients
against the partner CA, passing the verdict and the certificate on; Garante, told that
loopback is its trusted proxy, maps the certificate's SHA-256 to the agency it was registered
for. The CA and every certificate are made with ``openssl`` here: a partner's (the NCA's, which
the demo releases to), one from another CA, one for an agency later deactivated, and one
registered nowhere. Runs on each store: registration, rotation and replay touch it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import requests
from sqlalchemy import text
from taxii2client.v21 import Collection

from garante.api.clientcert import CERT_HEADER, VERIFIED, VERIFY_HEADER
from garante.client import GaranteClient
from garante.taxii.app import collection_id
from tests.support import nginx
from tests.support.pki import Issued, Pki
from tests.support.servers import Server, running_server
from tests.support.stores import Store, new_store

PARTNER = "nca"  # the demo releases to it
OTHER_PARTNER = "hsi"
GONE = "gone"  # a partner agency deactivated during a test
TAXII_21 = "application/taxii+json;version=2.1"

pytestmark = pytest.mark.skipif(
    nginx.binary() is None, reason="needs nginx (apt-get install nginx)"
)


@dataclass(frozen=True)
class Deployment:
    server: Server
    url: str  # nginx's https:// base URL
    ca: Path  # what clients verify nginx's certificate against
    partner: Issued
    stranger: Issued  # issued by another CA
    gone: Issued
    unregistered: Issued
    pki: Pki

    @property
    def store(self) -> Store:
        return self.server.store

    def get(self, path: str, cert: Issued, **headers: str) -> requests.Response:
        return requests.get(
            f"{self.url}{path}", cert=cert.pair, verify=str(self.ca), headers=headers, timeout=30
        )


def _cli(server: Server, *args: str) -> str:
    done = server.cli(*args)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def deployment(
    request: pytest.FixtureRequest, server_backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("pki")
    pki, elsewhere = Pki(root / "partner"), Pki(root / "elsewhere", name="elsewhere")
    tls = Pki(root / "server", name="server")
    server_cert = tls.issue("nginx", server=True)
    partner, gone, unregistered = pki.issue("nca-feed"), pki.issue("gone"), pki.issue("nobody")
    stranger = elsewhere.issue("nca-feed")
    store = new_store(request, server_backend, "certs")
    with ExitStack() as stack:
        server = stack.enter_context(
            running_server(store, demo=True, extra=("--trusted-proxy", "127.0.0.1/32"))
        )
        _cli(server, "agencies", "add", GONE, "--name", "Gone Agency", "--country", "PE")
        _cli(server, "agencies", "certificate", "add", PARTNER, f"@{partner.cert}")
        _cli(server, "agencies", "certificate", "add", GONE, f"@{gone.cert}")
        url = stack.enter_context(
            nginx.running_nginx(
                [server.url],
                tls=nginx.Tls(server_cert.cert, server_cert.key, client_ca=pki.ca.cert),
            )
        )
        yield Deployment(
            server=server,
            url=url,
            ca=tls.ca.cert,
            partner=partner,
            stranger=stranger,
            gone=gone,
            unregistered=unregistered,
            pki=pki,
        )


def test_the_stock_taxii_client_reads_the_partners_collection_with_its_certificate(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    # requests lets these variables override a session's ``verify`` (taxii2client sets only
    # that): without them, the client checks nginx against the throwaway CA it was given.
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    url = f"{deployment.url}/taxii2/api/collections/{collection_id(PARTNER)}/"
    collection = Collection(url, cert=deployment.partner.pair, verify=str(deployment.ca))
    assert collection.can_read
    objects = collection.get_objects()["objects"]
    assert objects, "the demo releases to the NCA"


def test_the_api_knows_the_certificate_as_the_partner(deployment: Deployment) -> None:
    me = deployment.get("/api/v1/me", deployment.partner)
    assert me.status_code == 200, me.text
    assert (me.json()["role"], me.json()["agency"]) == ("partner", PARTNER)


def test_the_proxy_is_recognised_by_its_own_address_not_the_forwarded_one(
    deployment: Deployment,
) -> None:
    """Through nginx, the request's client is the partner's address (X-Forwarded-For, which the
    server believes from loopback): the certificate is still taken, since nginx is the peer."""
    me = deployment.get("/api/v1/me", deployment.partner, **{"X-Forwarded-For": "203.0.113.9"})
    assert me.status_code == 200, me.text
    assert me.json()["agency"] == PARTNER


def test_a_certificate_from_another_ca_is_refused_by_nginx(deployment: Deployment) -> None:
    response = deployment.get("/api/v1/me", deployment.stranger)
    assert response.status_code == 400  # nginx: "The SSL certificate error"
    assert "code" not in response.text  # never reached Garante


def test_no_certificate_at_all_is_refused_by_nginx(deployment: Deployment) -> None:
    response = requests.get(f"{deployment.url}/api/v1/me", verify=str(deployment.ca), timeout=30)
    assert response.status_code == 400


def test_a_certificate_registered_for_no_agency_is_401(deployment: Deployment) -> None:
    response = deployment.get("/taxii2/", deployment.unregistered, Accept=TAXII_21)
    assert response.status_code == 401, response.text
    assert response.json()["error_code"] == "auth.unauthenticated"
    api = deployment.get("/api/v1/me", deployment.unregistered)
    assert (api.status_code, api.json()["code"]) == (401, "auth.unauthenticated")


def test_a_deactivated_agencys_certificate_is_refused_by_garante(deployment: Deployment) -> None:
    with deployment.store.service("test") as garante, garante.context.engine.begin() as db:
        db.execute(
            text("UPDATE agencies SET active = :no WHERE id = :id"), {"no": False, "id": GONE}
        )
    try:
        api = deployment.get("/api/v1/me", deployment.gone)
        assert api.status_code == 403, api.text
        assert api.json()["code"] == "auth.forbidden"
        feed = deployment.get("/taxii2/", deployment.gone, Accept=TAXII_21)
        assert (feed.status_code, feed.json()["error_code"]) == (403, "auth.forbidden")
    finally:
        with deployment.store.service("test") as garante, garante.context.engine.begin() as db:
            db.execute(
                text("UPDATE agencies SET active = :yes WHERE id = :id"), {"yes": True, "id": GONE}
            )


def test_the_certificate_wins_over_a_token_sent_with_it(deployment: Deployment) -> None:
    other = deployment.server.token("partner", agency=OTHER_PARTNER)
    me = deployment.get("/api/v1/me", deployment.partner, Authorization=f"Bearer {other}")
    assert me.status_code == 200, me.text
    assert me.json()["agency"] == PARTNER


def test_the_certificate_wins_over_a_token_the_server_already_knows(
    deployment: Deployment,
) -> None:
    """The release route answers known tokens from a cache (``api.auth.TokenCache``): a
    certificate sent with one still decides who asks."""
    analyst = deployment.server.token("analyst", agency="dipol")
    bearer = {"Authorization": f"Bearer {analyst}"}
    body = {"item": "co-2025-0417", "recipient": "dea", "purpose": "analysis"}
    direct = httpx.post(f"{deployment.server.api}/releases", json=body, headers=bearer)
    assert direct.status_code == 201, direct.text  # the token is known to the server now
    proxied = requests.post(
        f"{deployment.url}/api/v1/releases",
        json=body,
        cert=deployment.partner.pair,
        verify=str(deployment.ca),
        headers=bearer,
        timeout=30,
    )
    assert proxied.status_code == 403, proxied.text
    assert proxied.json()["code"] == "auth.forbidden"


def test_forged_headers_from_an_untrusted_address_are_ignored(deployment: Deployment) -> None:
    """Straight to a server that trusts another proxy: the headers count for nothing."""
    forged = {VERIFY_HEADER: VERIFIED, CERT_HEADER: deployment.partner.escaped()}
    elsewhere = ("--trusted-proxy", "192.0.2.0/24")
    with running_server(deployment.store, extra=elsewhere) as direct:
        alone = httpx.get(f"{direct.api}/me", headers=forged, timeout=30)
        assert alone.status_code == 401, alone.text
        assert alone.json()["code"] == "auth.unauthenticated"
        feed = httpx.get(f"{direct.url}/taxii2/", headers={**forged, "Accept": TAXII_21})
        assert feed.status_code == 401, feed.text
        token = direct.token("partner", agency=OTHER_PARTNER)
        both = httpx.get(
            f"{direct.api}/me", headers={**forged, "Authorization": f"Bearer {token}"}, timeout=30
        )
        assert both.json()["agency"] == OTHER_PARTNER


def test_a_rotated_certificate_stops_working_and_its_successor_starts(
    deployment: Deployment,
) -> None:
    liaison = deployment.server.token("liaison", agency="dipol")
    successor = deployment.pki.issue("nca-feed-2027")
    with GaranteClient(deployment.server.url, liaison) as client:
        rotated = client.rotate_certificate(
            PARTNER, old=deployment.partner.fingerprint, new=successor.cert.read_text()
        )
        assert rotated.fingerprint == successor.fingerprint
        assert deployment.get("/api/v1/me", successor).json()["agency"] == PARTNER
        assert deployment.get("/api/v1/me", deployment.partner).status_code == 401
        listed = {c.fingerprint: c.removed_at for c in client.list_certificates(PARTNER)}
        assert listed[successor.fingerprint] is None
        assert listed[deployment.partner.fingerprint] is not None
        client.remove_certificate(PARTNER, successor.fingerprint)
    assert deployment.get("/api/v1/me", successor).status_code == 401


def test_the_log_replays_every_certificate_change_and_the_store_matches_it(
    deployment: Deployment, tmp_path: Path
) -> None:
    server = deployment.server
    # A certificate added and removed here: the log holds both changes whatever ran before.
    added = deployment.pki.issue("hsi-replayed")
    with GaranteClient(server.url, server.token("liaison", agency="dipol")) as client:
        client.add_certificate(OTHER_PARTNER, added.cert.read_text())
        client.remove_certificate(OTHER_PARTNER, added.fingerprint)
    key = tmp_path / "log.vkey"
    key.write_text(_cli(server, "audit", "key"))
    deadline = time.monotonic() + 30
    while True:  # until the server has signed a checkpoint over every entry
        size = httpx.get(f"{server.api}/health", timeout=10).json()["ledger_size"]
        checkpoint = httpx.get(f"{server.api}/audit/checkpoint", timeout=10).json()
        if checkpoint["size"] == size:
            break
        assert time.monotonic() < deadline, "no checkpoint over the whole log"
        time.sleep(0.2)
    entries = _cli(server, "--json", "audit", "export", str(tmp_path / "export"))
    assert entries
    kinds = [
        json.loads(json.loads(line)["entry"])["kind"]
        for line in (tmp_path / "export" / "entries.jsonl").read_text().splitlines()
    ]
    assert {"agency.certificate-added", "agency.certificate-removed"} <= set(kinds)
    replay = server.cli(
        "audit", "replay", "--export", str(tmp_path / "export"), "--log-key", f"@{key}"
    )
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert replay.stdout.splitlines()[-1].endswith("0 disagreements.")
    check = server.cli("db", "check", "--log-key", f"@{key}")
    assert check.returncode == 0, check.stdout + check.stderr
