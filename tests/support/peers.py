"""Other TAXII 2.1 servers, run for real on loopback: medallion (the OASIS reference server)
and OpenTAXII, each installed from PyPI into a virtual environment of its own.

Their venvs are kept in a cache directory that the tests, ``bench/taxii.py`` and CI share
(``peers_dir``: ``$GARANTE_PEERS_DIR``, else ``$XDG_CACHE_HOME/garante-bench``), so each is
installed once per machine. ``medallion`` and ``opentaxii`` start one on a free port, with the
collections given, and stop it afterwards, whatever happens.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.servers import Running, started

HOST = "127.0.0.1"
INSTALL_TIMEOUT = 900.0
START_TIMEOUT = 60.0
TAXII_JSON = "application/taxii+json;version=2.1"
STIX_JSON = "application/stix+json;version=2.1"
MEDALLION_VERSION = "3.0.0"


def peers_dir() -> Path:
    """Where the peers' virtual environments are kept between runs."""
    explicit = os.environ.get("GARANTE_PEERS_DIR")
    if explicit:
        return Path(explicit)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "garante-bench"


@dataclass(frozen=True, kw_only=True)
class Peer:
    """A server from PyPI in its own virtual environment."""

    name: str  # the PyPI distribution
    module: str
    venv: Path
    requirement: str | None = None  # e.g. "medallion==3.0.0"; the name alone if None

    @classmethod
    def medallion(cls, directory: Path | None = None) -> Peer:
        return cls(
            name="medallion",
            module="medallion",
            venv=(directory or peers_dir()) / "medallion",
            requirement=f"medallion=={MEDALLION_VERSION}",
        )

    @classmethod
    def opentaxii(cls, directory: Path | None = None) -> Peer:
        return cls(
            name="opentaxii", module="opentaxii", venv=(directory or peers_dir()) / "opentaxii"
        )

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def installed(self) -> bool:
        if not self.python.exists():
            return False
        probe = subprocess.run(
            [str(self.python), "-c", f"import {self.module}"],
            capture_output=True,
            timeout=120,
            check=False,
        )
        return probe.returncode == 0

    def version(self) -> str:
        probe = subprocess.run(
            [
                str(self.python),
                "-c",
                f"import importlib.metadata as m; print(m.version('{self.name}'))",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return probe.stdout.strip() or "?"

    def install(self) -> str | None:
        """Install into the peer's own venv; None when it worked, else why not."""
        if self.installed():
            return None
        self.venv.parent.mkdir(parents=True, exist_ok=True)
        # The suite runs in several worker processes (pytest-xdist): one installs at a time; the
        # others wait, then find it installed.
        with open(self.venv.with_name(self.venv.name + ".lock"), "w") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            if self.installed():
                return None
            return self._install()

    def _install(self) -> str | None:
        shutil.rmtree(self.venv, ignore_errors=True)
        steps = [
            [sys.executable, "-m", "venv", str(self.venv)],
            [str(self.python), "-m", "pip", "install", "--quiet", self.requirement or self.name],
        ]
        for step in steps:
            try:
                done = subprocess.run(
                    step, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
                )
            except subprocess.TimeoutExpired:
                return f"`{' '.join(step[-2:])}` took over {INSTALL_TIMEOUT:.0f} s"
            if done.returncode != 0:
                tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
                return f"`{' '.join(step[-2:])}` failed: " + " / ".join(tail)
        return None if self.installed() else f"{self.module} does not import after install"


def running(
    name: str, command: Sequence[str], ready: str, env: Mapping[str, str] | None = None
) -> contextlib.AbstractContextManager[Running]:
    """Start a server that prints ``<ready>http://host:port``; stop it afterwards, whatever."""
    return started(
        name,
        command,
        ready=ready,
        env={**os.environ, "GARANTE_DEBUG": "", "PYTHONUNBUFFERED": "1", **(env or {})},
        timeout=START_TIMEOUT,
        new_session=True,
        grace=15,
    )


# -- medallion ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Collection:
    """A collection to serve: its id, and its objects with the ``date_added`` of each."""

    id: str
    objects: Sequence[Mapping[str, Any]] = ()
    dates_added: Sequence[str] = ()  # one per object; medallion's load time if empty
    can_write: bool = False
    title: str = "test"


@dataclass(frozen=True, kw_only=True)
class Medallion:
    """A running medallion: its API root's URL and the credentials it accepts."""

    server: Running
    api_root: str
    users: Mapping[str, str]

    def objects_url(self, collection: str) -> str:
        return f"{self.api_root}collections/{collection}/objects/"


@contextlib.contextmanager
def medallion(
    peer: Peer,
    home: Path,
    collections: Sequence[Collection],
    *,
    users: Mapping[str, str],
    page_size: int = 1000,
    root: str = "root",
) -> Iterator[Medallion]:
    """medallion 3 with its memory backend, HTTP basic auth for ``users``, serving
    ``collections`` under the API root ``/<root>/``."""
    home.mkdir(parents=True, exist_ok=True)
    data = {
        "/discovery": {
            "title": "test",
            "description": "a TAXII 2.1 upstream",
            "default": f"http://{HOST}/{root}/",
            "api_roots": [f"http://{HOST}/{root}/"],
        },
        root: {
            "information": {
                "title": root,
                "description": "a TAXII 2.1 upstream",
                "versions": [TAXII_JSON],
                "max_content_length": 100_000_000,
            },
            "status": [],
            "collections": [_medallion_collection(c) for c in collections],
        },
    }
    (home / "data.json").write_text(json.dumps(data))
    config = {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": str(home / "data.json"),
            "session_timeout": 3600,
        },
        "users": dict(users),
        "taxii": {"max_page_size": page_size},
    }
    (home / "config.json").write_text(json.dumps(config))
    command = [
        str(peer.venv / "bin" / "medallion"),
        "--host",
        HOST,
        "--port",
        "0",
        str(home / "config.json"),
    ]
    with running("medallion", command, "Running on ") as server:
        yield Medallion(server=server, api_root=f"{server.url}/{root}/", users=users)


def _medallion_collection(collection: Collection) -> dict[str, Any]:
    dates: list[str | None] = list(collection.dates_added) or [None] * len(collection.objects)
    return {
        "id": collection.id,
        "title": collection.title,
        "description": "",
        "can_read": True,
        "can_write": collection.can_write,
        "media_types": [STIX_JSON],
        "objects": [dict(o) for o in collection.objects],
        "manifest": [
            {
                "id": o["id"],
                "date_added": added or o.get("modified") or o["created"],
                "version": o.get("modified") or o["created"],
                "media_type": STIX_JSON,
            }
            for o, added in zip(collection.objects, dates, strict=True)
        ],
    }


# -- OpenTAXII ------------------------------------------------------------------------------

OPENTAXII_SETUP = """
import datetime, json, sys
from opentaxii.cli import app
from opentaxii.entities import Account
from opentaxii.local import context
from opentaxii.persistence.sqldb import taxii2models

def instant(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))

rows = json.load(open(sys.argv[1]))
with app.app_context():
    context.account = Account(id=None, username="local-admin", permissions=None, is_admin=True)
    api = app.taxii_server.servers.taxii2.persistence.api
    root = api.add_api_root(title="bench", description="TAXII benchmark", default=True)
    collection = api.add_collection(api_root_id=root.id, title="bench", description="")
    auth = app.taxii_server.auth
    # An admin: OpenTAXII 0.9.3 reads TAXII 2.1 read permissions as a list, stores a string.
    auth.api.create_account(username=sys.argv[2], password=sys.argv[3], is_admin=True)
    session = api.db.session
    for row in rows:
        obj = row["object"]
        session.add(taxii2models.STIXObject(
            id=obj["id"], collection_id=collection.id, type=obj["type"],
            spec_version=obj["spec_version"], date_added=instant(row["date_added"]),
            version=instant(obj.get("modified") or obj["created"]),
            serialized_data={k: v for k, v in obj.items()
                             if k not in ("id", "type", "spec_version")},
        ))
    session.commit()
    token = auth.authenticate(sys.argv[2], sys.argv[3])
    print(json.dumps({"root": str(root.id), "collection": str(collection.id), "token": token}))
"""

OPENTAXII_RUN = """
import sys
from werkzeug.serving import make_server
from opentaxii.http import app

server = make_server(sys.argv[1], 0, app, threaded=True)
print(f"opentaxii listening on http://{sys.argv[1]}:{server.server_port}", flush=True)
server.serve_forever()
"""

OPENTAXII_CONFIG = """
domain: "{host}"
support_basic_auth: yes
return_server_error_details: yes
auth_api:
  class: opentaxii.auth.sqldb.SQLDatabaseAPI
  parameters:
    db_connection: sqlite:///{auth}
    create_tables: yes
    secret: {secret}
    token_ttl_secs: 3600
taxii1:
taxii2:
  persistence_api:
    class: opentaxii.persistence.sqldb.Taxii2SQLDatabaseAPI
    parameters:
      db_connection: sqlite:///{data}
      create_tables: yes
  title: bench
  max_content_length: 100000000
logging:
  opentaxii: warning
  root: warning
"""


@dataclass(frozen=True, kw_only=True)
class OpenTaxii:
    """A running OpenTAXII: its API root, its one collection, and a bearer token for it."""

    server: Running
    api_root: str
    collection: str
    token: str

    @property
    def objects_url(self) -> str:
        return f"{self.api_root}collections/{self.collection}/objects/"


@contextlib.contextmanager
def opentaxii(
    peer: Peer,
    home: Path,
    rows: Sequence[Mapping[str, Any]],
    *,
    user: str,
    password: str,
    secret: str,
) -> Iterator[OpenTaxii]:
    """OpenTAXII with its SQLite TAXII 2.1 persistence, one API root and one collection
    holding ``rows`` (``{"object": ..., "date_added": ...}``), inserted through its SQL
    models (its add_objects wants ``modified``); an admin account ``user``."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "config.yml"
    config.write_text(
        OPENTAXII_CONFIG.format(
            host=HOST, auth=home / "auth.db", data=home / "data.db", secret=secret
        )
    )
    (home / "rows.json").write_text(json.dumps(list(rows)))
    env = {**os.environ, "OPENTAXII_CONFIG": str(config), "PYTHONWARNINGS": "ignore"}
    setup = subprocess.run(
        [str(peer.python), "-c", OPENTAXII_SETUP, str(home / "rows.json"), user, password],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
        cwd=home,
    )
    if setup.returncode != 0:
        raise RuntimeError("OpenTAXII setup failed:\n" + setup.stderr[-2000:])
    made = json.loads(setup.stdout.strip().splitlines()[-1])
    command = [str(peer.python), "-c", OPENTAXII_RUN, HOST]
    with running(
        "opentaxii", command, "listening on ", {"OPENTAXII_CONFIG": str(config)}
    ) as server:
        yield OpenTaxii(
            server=server,
            api_root=f"{server.url}/taxii2/{made['root']}/",
            collection=str(made["collection"]),
            token=str(made["token"]),
        )
