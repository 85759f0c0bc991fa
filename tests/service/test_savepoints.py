"""A savepoint in a write transaction: one of several units of work rolled back alone, with
the audit entries it appended, while the units before and after it commit (how a MISP feed's
events are taken, many to a transaction). On both stores."""

from __future__ import annotations

import json

import pytest

from garante.domain.errors import NotFound
from garante.ledger.note import VerifierKey
from garante.service import items
from garante.service.app import Garante
from garante.service.dbcheck import check_store
from garante.service.transaction import Transaction

BUNDLE = items.parse_bundle(
    {
        "type": "bundle",
        "id": "bundle--5f1a2b3c-0000-4000-8000-0000000000bb",
        "objects": [
            {
                "type": "identity",
                "spec_version": "2.1",
                "id": "identity--5f1a2b3c-0000-4000-8000-0000000000aa",
                "created": "2025-01-01T00:00:00.000Z",
                "modified": "2025-01-01T00:00:00.000Z",
                "name": "DIPOL",
            }
        ],
    }
)


class Failed(Exception):
    """A unit of work failing after it wrote its rows and appended its entry."""


def add(tx: Transaction, item_id: str) -> None:
    items.add_item(
        tx,
        item_id=item_id,
        title=item_id,
        category="maritime-interdiction",
        region="caribbean",
        tlp="amber",
        originator="dipol",
        releasable_to=[],
        content=BUNDLE,
    )


def test_a_unit_rolled_back_in_its_savepoint_leaves_the_others_and_a_dense_log(
    world: Garante,
) -> None:
    before = world.ledger_size()
    with world.context.writes("test") as tx:
        with tx.savepoint():
            add(tx, "kept-first")
        with pytest.raises(Failed), tx.savepoint():
            add(tx, "rolled-back")
            raise Failed
        with tx.savepoint():
            add(tx, "kept-after")

    entries = [json.loads(e.entry) for e in world.entries(before, world.ledger_size())]
    assert [(e["kind"], e["data"]["item"]) for e in entries] == [
        ("item.added", "kept-first"),
        ("item.added", "kept-after"),
    ]
    assert world.item("kept-after").title == "kept-after"
    with pytest.raises(NotFound):
        world.item("rolled-back")
    world.publish_checkpoint()
    report = check_store(world.engine, log_key=VerifierKey.parse(world.log_verifier_key()))
    assert report.failed == []


def test_what_waits_for_the_commit_runs_after_it_except_in_a_savepoint_rolled_back(
    world: Garante,
) -> None:
    ran: list[str] = []
    with world.context.writes("test") as tx:
        with tx.savepoint():
            tx.on_commit(lambda: ran.append("kept"))
        with pytest.raises(Failed), tx.savepoint():
            tx.on_commit(lambda: ran.append("rolled back"))
            raise Failed
        assert ran == [], "nothing runs before the commit"
    assert ran == ["kept"]


def test_nothing_waiting_for_the_commit_runs_when_the_transaction_rolls_back(
    world: Garante,
) -> None:
    ran: list[str] = []
    with pytest.raises(Failed), world.context.writes("test") as tx:
        tx.on_commit(lambda: ran.append("never"))
        raise Failed
    assert ran == []
