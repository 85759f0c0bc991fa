"""A real OpenID provider for the console's sign-in tests: ``oidc-provider`` under Node.

``provider.mjs`` (here, with its pinned ``package.json`` and ``package-lock.json``) runs the
OpenID-certified npm package on a free loopback port, with one account per Garante role and a
login form that takes an account name. ``npm ci`` installs it once into a cache directory
(``GARANTE_OIDC_CACHE``, default ``~/.cache/garante/oidc-provider-<lock digest>``); the only
network it needs is npm's registry, once.

The provider learns the console's address after it started (the console's port is known only
then): ``running_provider`` yields it, and ``OidcProvider.register`` tells it the console's URL.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import httpx

from garante.console.oidc import OidcSettings
from tests.support.servers import stop

HERE = Path(__file__).parent
CLIENT_ID = "garante-console"
CLIENT_SECRET = "console-test-secret"
SESSION_KEY = "test-session-key-" + "0" * 32

# The provider's accounts (provider.mjs) by the console role they sign in as.
ACCOUNTS = ["authority", "overseer", "analyst", "liaison", "partner", "partner-hsi"]


def missing() -> str | None:
    """Why the provider cannot run here, or None."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install -y nodejs npm)"
    return None


def installed() -> Path:
    """The cache directory with ``oidc-provider`` installed and the script beside it."""
    lock = (HERE / "package-lock.json").read_bytes()
    default = Path.home() / ".cache" / "garante"
    base = Path(os.environ.get("GARANTE_OIDC_CACHE", default))
    target = base / f"oidc-provider-{hashlib.sha256(lock).hexdigest()[:12]}"
    target.mkdir(parents=True, exist_ok=True)
    # The suite runs in several worker processes (pytest-xdist): one installs at a time, and no
    # worker reads provider.mjs while another rewrites it.
    with open(target.with_name(target.name + ".lock"), "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        for name in ("package.json", "package-lock.json", "provider.mjs"):
            if (
                not (target / name).is_file()
                or (target / name).read_bytes() != (HERE / name).read_bytes()
            ):
                shutil.copyfile(HERE / name, target / name)
        if not (target / "node_modules" / "oidc-provider").is_dir():
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=target,
                check=True,
                timeout=600,
            )
    return target


def settings_toml(issuer: str, *, session_minutes: int = 60) -> str:
    """The configuration a test console runs with: the mapping docs/deploy.md shows."""
    return f"""\
[provider]
name = "Test provider"
issuer = "{issuer}"
client_id = "{CLIENT_ID}"
client_secret = "{CLIENT_SECRET}"
scopes = ["openid", "garante"]

[claims]
role = "garante_groups"
agency = "agency"
authority = "authority"

[roles]
garante-authorities = "authority"
garante-oversight = "overseer"
garante-analysts = "analyst"
garante-liaison = "liaison"
garante-partners = "partner"

[session]
minutes = {session_minutes}
key = "{SESSION_KEY}"
"""


@dataclass
class OidcProvider:
    issuer: str
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)

    def register(self, console_url: str) -> None:
        """Register the console at ``console_url`` as the provider's client."""
        assert self.process.stdin is not None
        self.process.stdin.write(console_url.rstrip("/") + "\n")
        self.process.stdin.flush()
        for _ in range(200):  # the registration is one synchronous step in the provider
            if any("Registered the console" in line for line in self.output):
                return
            threading.Event().wait(0.02)
        raise RuntimeError("the OpenID provider did not register the console:\n" + self.log())

    def settings(self, *, session_minutes: int = 60) -> OidcSettings:
        import tomllib

        raw = tomllib.loads(settings_toml(self.issuer, session_minutes=session_minutes))
        return OidcSettings.parse(raw, {})

    def log(self) -> str:
        return "\n".join(self.output)

    def log_in(self, authorize_url: str, account: str, console_url: str) -> str:
        """Follow the provider's pages as a browser does, signing in as ``account``: the
        console callback URL the provider sends the person back to (with its code)."""
        with httpx.Client(follow_redirects=False, timeout=10) as browser:
            url = authorize_url
            for _ in range(10):
                if url.startswith(console_url):
                    return url
                response = browser.get(url)
                if response.status_code == 200 and 'name="login"' in response.text:
                    action = re.search(r'action="([^"]+)"', response.text)
                    assert action, response.text
                    response = browser.post(urljoin(url, action.group(1)), data={"login": account})
                assert response.status_code in (302, 303), (response.status_code, response.text)
                url = urljoin(url, response.headers["location"])
        raise AssertionError(f"the provider never sent {account} back to the console")


@contextmanager
def running_provider(*, id_token_ttl: int = 3600) -> Iterator[OidcProvider]:
    """Start ``provider.mjs`` on a free loopback port; stop it after."""
    where = installed()
    process = subprocess.Popen(
        ["node", str(where / "provider.mjs")],
        cwd=where,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "OIDC_ID_TOKEN_TTL": str(id_token_ttl)},
    )
    assert process.stdout is not None
    output: list[str] = []
    issuer = ""
    for line in process.stdout:
        output.append(line.rstrip("\n"))
        found = re.search(r"listening on (http://\S+)", line)
        if found:
            issuer = found.group(1)
            break
    if not issuer:
        stop(process)
        raise RuntimeError("the OpenID provider did not start:\n" + "\n".join(output))
    stdout = process.stdout

    def drain() -> None:
        for line in stdout:
            output.append(line.rstrip("\n"))

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        yield OidcProvider(issuer=issuer, process=process, output=output)
    finally:
        if process.stdin is not None:
            process.stdin.close()
        stop(process)
        reader.join(timeout=5)
        stdout.close()
