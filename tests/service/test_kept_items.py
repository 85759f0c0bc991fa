"""Items kept per process (``store.items.kept``): a change to an item, made by this process or
committed by another one, is what the next release decides on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from garante.domain.errors import ItemNotFound
from garante.domain.request import ReleaseTriple
from garante.service.app import Garante
from garante.store import items

_REVIEW_ELSEWHERE = """
import sys
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
import garante.store.items  # as every server's code does: its flush hook marks the change
from garante.store.schema import ItemRow
engine = create_engine(sys.argv[1])
with Session(engine) as session, session.begin():
    item = session.get(ItemRow, "lead")
    item.review = ["a marking that could not be read"]
engine.dispose()
"""


def outcome(garante: Garante) -> str:
    lead = ReleaseTriple(item_id="lead", recipient_id="dea", purpose="seizure")
    [decided] = garante.request_releases([lead])
    return decided.outcome


@pytest.mark.tampers  # the item is changed behind the log: replay decides on the logged one
def test_an_item_another_process_changes_is_read_again_by_the_next_release(
    world: Garante, db_url: str
) -> None:
    assert outcome(world) == "released"  # the item kept as of this generation
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)])}
    command = [sys.executable, "-c", _REVIEW_ELSEWHERE, db_url]
    subprocess.run(command, check=True, env=env, cwd=root, capture_output=True)
    assert outcome(world) == "held"


def test_an_item_asked_for_before_it_was_added_is_found_once_added(world: Garante) -> None:
    later = ReleaseTriple(item_id="later", recipient_id="dea", purpose="seizure")
    with pytest.raises(ItemNotFound):  # kept as missing under this generation
        world.request_releases([later])
    world.add_item(
        "later",
        title="Another lead",
        category="maritime-interdiction",
        region="caribbean",
        tlp="amber",
        originator="dipol",
        bundle=world.item_opening("lead").bundle,
    )
    [decided] = world.request_releases([later])
    assert decided.outcome == "released"


def test_a_process_keeps_at_most_its_bound_of_items_and_starts_again_past_it(
    world: Garante, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(items, "_KEPT_AT_MOST", 1)
    with world.engine.connect() as connection, Session(bind=connection) as session:
        first = items.kept(session, ["lead"])
        assert list(first) == ["lead"]
        held = items._KEPT[world.engine.url]
        items.kept(session, ["lead"])  # at the bound: a fresh one, read again
        assert items._KEPT[world.engine.url] is not held
        assert list(items._KEPT[world.engine.url].items) == ["lead"]
