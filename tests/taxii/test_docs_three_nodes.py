"""docs/federation.md's last section, checked by machine: Colombia's server, the DEA's node
and the NCA's node, three ``garante serve`` processes on loopback, and every command of the
section, run in order as printed, prints what the page shows.

The stores are the demo's, replayed (``colombia.db``, ``dea.db``, ``nca.db``, beside the
commands); ``report.json`` is a demo report with STIX ids of its own, so nothing of it was
released before. The shell has the addresses, log keys and tokens the page names; the consent
request's id is the one the page chooses (``--id``). Before each command, every server has
signed a checkpoint over its whole log, as a node's operator finds it a moment later. The
servers' ports are masked; what else varies from run to run (log names, keys, roots, how many
checkpoints were signed, a delivered copy's hash, an acknowledgement's id) is ``...`` on the
page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.cli.as_printed import run_as_printed
from tests.support import reach
from tests.support.cascade import Node, published, serving, signing_key_pem
from tests.support.docblocks import section_lines, text_commands
from tests.support.scenario import own_bundle
from tests.support.stores import Store

DOC = Path(__file__).resolve().parents[2] / "docs" / "federation.md"
WALK = "## The whole chain, end to end"
ITEM = "co-2025-9021"
TITLE = "Go-fast boat leaving Tumaco"
ADDRESS = re.compile(r"http://127\.0\.0\.1:\d+")


def _masked(line: str) -> str:
    """The servers' ports."""
    return ADDRESS.sub("http://127.0.0.1:<port>", line)


def _report() -> dict[str, object]:
    """Colombia's new report: a demo bundle with ids of its own and a name of its own."""
    bundle = own_bundle(ITEM)
    for stix in bundle["objects"]:
        if stix["type"] == "report":
            stix["name"] = TITLE
    return bundle


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Node]]:
    """The three nodes' stores in one directory, each served."""
    directory = tmp_path_factory.mktemp("walk")
    made = {}
    for name, agency in (("colombia", "dijin"), ("dea", "dea"), ("nca", "nca")):
        # Nodes let their sources reach their upstreams, which listen on loopback.
        store = Store(db=str(directory / f"{name}.db"), env=reach.environ())
        store.replay_demo()
        made[name] = Node(name=name, agency=agency, store=store)
    (directory / "report.json").write_text(json.dumps(_report(), indent=2))
    for agency in ("dea", "nca"):
        (directory / f"{agency}.pem").write_text(signing_key_pem(agency))
    with ExitStack() as servers:
        for node in made.values():
            servers.enter_context(serving(node))
        yield made


def test_every_command_of_the_three_nodes_walk_prints_what_the_page_shows(
    nodes: dict[str, Node], monkeypatch: pytest.MonkeyPatch
) -> None:
    colombia, dea, nca = nodes["colombia"], nodes["dea"], nodes["nca"]
    directory = Path(colombia.store.db).parent
    overseers = {
        name: node.json("tokens", "create", "--role", "overseer", "--agency", node.agency)
        for name, node in (("COLOMBIA", colombia), ("DEA", dea))
    }
    environ = {
        "COLOMBIA": colombia.url,
        "DEA": dea.url,
        "NCA": nca.url,
        "COLOMBIA_KEY": colombia.log_key(),
        "DEA_KEY": dea.log_key(),
        "NCA_KEY": nca.log_key(),
        "COLOMBIA_TOKEN": colombia.partner_token("dea"),
        "DEA_TOKEN": dea.partner_token("nca"),
        **{f"{name}_OVERSEER": made["token"] for name, made in overseers.items()},
        **reach.environ(),  # the nodes' sources reach their upstreams on loopback
    }
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    for name in ("GARANTE_DB", "GARANTE_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    walk = section_lines(DOC, WALK)
    commands = [command for command in text_commands(DOC) if command.line in walk]
    assert commands, f"docs/federation.md shows no commands under {WALK!r}"
    for command in commands:
        for node in nodes.values():
            published(node)
        run_as_printed(
            DOC,
            command,
            directory,
            masked=_masked,
            columns=100,
        )
