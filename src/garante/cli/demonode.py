"""``garante demo --nodes 2``: the DEA's own Garante beside Colombia's, as its partner node.

The November 2025 story has two sides, each with its own systems. With ``--nodes 2`` the demo
also makes the DEA's store (``garante-demo-dea.db`` beside Colombia's), registers there what
the DEA's node needs (its own agency, the originator of what it receives, its partner the NCA
with a signed undertaking and a standing agreement, an authority), and adds Colombia's server
as its source of kind ``garante``: the DEA's partner collection there, read with a partner
token made for it on Colombia's store, trusted through Colombia's log key. Then it serves the
node beside Colombia's server, in the same process (a thread of its own). The node pulls on
its schedule, verifies each delivery's receipt, cosigns Colombia's checkpoints and fans what
it takes out to the NCA under its agreement, each step in its own log.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from garante.cli import output
from garante.domain.errors import ValidationError
from garante.domain.timeutil import parse_time
from garante.scenarios import SCENARIOS

if TYPE_CHECKING:
    from garante.service.app import Garante

DEA_NODE = SCENARIOS / "dea_node.toml"
SOURCE = "from-colombia"
LOOPBACK = ("127.0.0.0/8", "::1")
# How often the node pulls Colombia's feed: often enough to watch a release arrive.
PULL_EVERY = 30

NODE_TOKENS = (
    ("analyst", "dea", None),
    ("liaison", "dea", None),
    ("authority", None, "usdoj"),
    ("partner", "nca", None),
)


@dataclass(frozen=True)
class NodeTokens:
    """The node's demo tokens, one per role, to print once."""

    rows: tuple[tuple[str, str, str], ...]  # role, agency or authority, secret


def node_db(db: str) -> str:
    """The DEA node's store file, beside Colombia's: ``garante-demo.db`` gives
    ``garante-demo-dea.db``."""
    path = Path(db)
    return str(path.with_name(f"{path.stem}-dea{path.suffix or '.db'}"))


def check_nodes(nodes: int, db: str) -> None:
    """One node (Colombia's) or two (and the DEA's); the second needs a store file."""
    if nodes not in (1, 2):
        raise ValidationError(
            f"--nodes {nodes}: the demo runs Colombia's node, or Colombia's and the DEA's",
            field="nodes",
            hint="give --nodes 1 or --nodes 2",
        )
    if nodes == 2 and "://" in db:
        raise ValidationError(
            "--nodes 2 makes the DEA's store as a file beside Colombia's; a database server "
            "has no file to put it beside",
            field="db",
            hint="run the two-node demo with a store file (--db garante-demo.db)",
        )


def free_port() -> int:
    """A port nobody listens on now, for a server started next."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def prepare(colombia: Garante, db: str, colombia_url: str) -> NodeTokens:
    """The DEA's node store, made once: its registry replayed from ``dea_node.toml``, its
    clock left running (a source is pulled on schedule, which a pinned clock never reaches),
    and Colombia's server added as its source. Made before, it is kept as it is: its source
    names the token and log key of the Colombia store it was made with."""
    from garante.scenarios import runner
    from garante.scenarios.keys import write_demo_keys
    from garante.service.app import Garante
    from garante.service.clock import FixedClock
    from garante.taxii.app import collection_id

    path = node_db(db)
    clock = FixedClock(parse_time(runner.load(DEA_NODE).setup_at))
    node = Garante.open(path, clock=clock, actor="demo", create=True)
    try:
        settings = node.context.settings
        settings.source_reach = settings.source_reach.extended((), LOOPBACK)
        if node.ledger_size() == 0:
            runner.replay(node, clock, DEA_NODE)
            node.pin_clock(None)
            signers = [a.id for a in node.authorities() if a.public_key]
            signers += [a.id for a in node.agencies() if a.public_key]
            write_demo_keys(Path(f"{path}.keys"), signers)
            _, secret = colombia.create_token(role="partner", agency_id="dea", label="dea-node")
            node.add_source(
                SOURCE,
                kind="garante",
                url=colombia_url,
                collection=collection_id("dea"),
                auth="bearer",
                secret=secret,
                log_key=colombia.log_verifier_key(),
                originator="dijin",
                category="maritime-interdiction",
                region="caribbean",
                tlp="amber",
                interval=PULL_EVERY,
            )
        else:
            configured = node.source(SOURCE).url
            if configured != colombia_url:
                output.errors.print(
                    f"The DEA's node ({path}) reads Colombia at {configured}, not "
                    f"{colombia_url}: serve on that port, or start over with --fresh.",
                    markup=False,
                )
        rows = []
        for role, agency, authority in NODE_TOKENS:
            record, secret = node.create_token(
                role=role, agency_id=agency, authority_id=authority, label="demo"
            )
            rows.append((role, record.agency or record.authority or "", secret))
        return NodeTokens(rows=tuple(rows))
    finally:
        node.close()


def start(path: str, port: int) -> threading.Thread:
    """The DEA's node (its store at ``path``) served on ``port`` in a thread of this process,
    with its own store, log key and background loops; its sources may reach loopback, where
    Colombia's server listens. It ends with the process (Ctrl-C, or SIGTERM), as Colombia's."""
    from garante.api.server import serve
    from garante.service.app import Garante

    node = Garante.open(path, create=False)
    settings = node.context.settings
    settings.source_reach = settings.source_reach.extended((), LOOPBACK)
    thread = threading.Thread(
        target=serve, args=(node,), kwargs={"port": port}, name="dea-node", daemon=True
    )
    thread.start()
    return thread
