"""nginx on loopback in front of several ``garante serve`` processes (Debian's ``nginx``).

The configuration is the one docs/deploy.md recommends, minus TLS and with one change: round-
robin over the upstreams with HTTP/1.1 keep-alive, the caller's Host passed on (TAXII answers
absolute URLs built from it), and the same body limit as the API; but ``proxy_next_upstream
off`` where the deployment retries idempotent requests on another server (``error timeout``),
because a test must see every failure where it happened rather than have nginx hide it.

With ``tls``, nginx serves HTTPS and verifies partners' client certificates against the
partner CA, passing the result and the certificate on in the headers Garante reads from a
trusted proxy, as docs/deploy.md's "Partners with client certificates" sets it up.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from garante.api.clientcert import CERT_HEADER, VERIFY_HEADER
from tests.support.postgres import free_port
from tests.support.servers import stop

CONFIG = """\
worker_processes 2;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    upstream garante {{
{servers}
        keepalive 64;
        keepalive_timeout 4s;
    }}
    server {{
        listen 127.0.0.1:{port}{ssl};
{tls_server}
        client_max_body_size 2m;
        client_header_timeout 10s;
        client_body_timeout 30s;
        send_timeout 30s;
        keepalive_timeout 15s;
        location / {{
            proxy_pass http://garante;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_next_upstream off;
{tls_location}
        }}
    }}
}}
"""


TLS_SERVER = """\
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_verify_client on;
        ssl_client_certificate {client_ca};
        ssl_verify_depth 2;"""

# Set on every request, so a client's own headers of these names never reach Garante.
TLS_LOCATION = """\
            proxy_set_header {verify} $ssl_client_verify;
            proxy_set_header {cert} $ssl_client_escaped_cert;"""


@dataclass(frozen=True)
class Tls:
    """HTTPS with nginx's certificate, verifying clients against ``client_ca``."""

    cert: Path
    key: Path
    client_ca: Path


def binary() -> str | None:
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )


@contextmanager
def running_nginx(upstreams: Sequence[str], *, tls: Tls | None = None) -> Iterator[str]:
    """nginx balancing over ``upstreams`` (``http://127.0.0.1:port``); yields its base URL
    (``https://`` with ``tls``)."""
    found = binary()
    if found is None:
        raise RuntimeError("nginx is not installed: apt-get install nginx")
    root = Path(tempfile.mkdtemp(prefix="garante-nginx-"))
    port = free_port()
    servers = "\n".join(f"        server {u.removeprefix('http://')};" for u in upstreams)
    tls_server = tls_location = ""
    if tls is not None:
        tls_server = TLS_SERVER.format(cert=tls.cert, key=tls.key, client_ca=tls.client_ca)
        tls_location = TLS_LOCATION.format(verify=VERIFY_HEADER, cert=CERT_HEADER)
    config = CONFIG.format(
        root=root,
        port=port,
        servers=servers,
        ssl=" ssl" if tls else "",
        tls_server=tls_server,
        tls_location=tls_location,
    )
    (root / "nginx.conf").write_text(config)
    process = subprocess.Popen(
        [found, "-p", str(root), "-c", str(root / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                assert process.stderr is not None
                raise RuntimeError(f"nginx did not start:\n{process.stderr.read()}")
            try:
                answer = httpx.get(f"{url}/api/v1/health", timeout=2, verify=False)
                # With TLS, nginx answers 400 to a client without a certificate: it is up.
                if answer.status_code == 200 or (tls is not None and answer.status_code == 400):
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("nginx did not answer within 20 s")
            time.sleep(0.05)
        yield url
    finally:
        stop(process)
        if process.stderr is not None:
            process.stderr.close()
        shutil.rmtree(root, ignore_errors=True)
