"""Every state change commits with its audit entry, and a refused change leaves neither."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from garante.domain.errors import GaranteError
from garante.ledger.merkle import leaf_hash
from garante.service.app import Garante
from garante.store.schema import LedgerEntryRow
from tests.support.scenario import scenario_bundle


def _entries(garante: Garante) -> list[LedgerEntryRow]:
    with garante.sessions() as session:
        return list(session.scalars(select(LedgerEntryRow).order_by(LedgerEntryRow.idx)))


def test_each_state_change_appends_one_entry_of_its_kind(world: Garante) -> None:
    kinds = [row.kind for row in _entries(world)]
    assert kinds[:4] == ["agency.registered"] * 4
    assert kinds.count("undertaking.signed") == 3
    assert kinds.count("item.added") == 1


def test_ledger_indexes_are_dense_from_zero(world: Garante) -> None:
    assert [row.idx for row in _entries(world)] == list(range(world.ledger_size()))


def test_entry_is_canonical_json_and_its_leaf_hash_is_rfc9162(world: Garante) -> None:
    for row in _entries(world):
        decoded = json.loads(row.entry)
        assert (
            json.dumps(decoded, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
            == row.entry
        )
        assert row.leaf_hash == leaf_hash(row.entry)


def test_item_entry_commits_to_content_without_revealing_it(world: Garante) -> None:
    entry = next(json.loads(r.entry) for r in _entries(world) if r.kind == "item.added")
    assert "title" not in entry["data"]
    assert len(entry["data"]["content_commitment"]) == 64
    assert "Go-fast" not in json.dumps(entry)


def test_pinning_the_clock_is_logged_because_it_decides_what_is_in_force(
    world: Garante,
) -> None:
    before = world.ledger_size()
    at = datetime(2025, 11, 12, 9, 0, tzinfo=UTC)
    world.pin_clock(at)
    world.pin_clock(at)  # already so: no change, no entry
    world.pin_clock(None)
    logged = [json.loads(row.entry) for row in _entries(world)[before:]]
    assert [(e["kind"], e["data"]) for e in logged] == [
        ("settings.changed", {"setting": "clock", "value": "2025-11-12T09:00:00Z"}),
        ("settings.changed", {"setting": "clock", "value": None}),
    ]


def test_a_request_logs_the_request_its_decision_and_the_objects_it_marks(
    world: Garante,
) -> None:
    before = world.ledger_size()
    world.request_release("lead", recipient="dea", purpose="seizure")
    kinds = [row.kind for row in _entries(world)[before:]]
    assert kinds == ["release.requested", "release.decided", "release.marked"]


@pytest.mark.parametrize(
    "bad_call",
    [
        lambda g: g.request_release("lead", recipient="dae", purpose="seizure"),
        lambda g: g.request_release("lead", recipient="dea", purpose="sezure"),
        lambda g: g.request_release("nope", recipient="dea", purpose="seizure"),
        lambda g: g.register_agency("dea", name="DEA again", country="US"),
        lambda g: g.add_item(
            "x",
            title="t",
            category="maritime-interdiction",
            region="caribbean",
            tlp="amber",
            originator="dipol",
            bundle="{not json",
        ),
    ],
    ids=["unknown-agency", "unknown-purpose", "unknown-item", "duplicate-agency", "bad-bundle"],
)
def test_refused_input_leaves_the_store_and_log_unchanged(world: Garante, bad_call: object) -> None:
    before_size = world.ledger_size()
    before_requests = world.requests()
    with pytest.raises(GaranteError):
        bad_call(world)  # type: ignore[operator]
    assert world.ledger_size() == before_size
    assert world.requests() == before_requests


def test_an_item_bundle_is_not_needed_twice(world: Garante) -> None:
    with pytest.raises(GaranteError) as raised:
        world.add_item(
            "lead",
            title="again",
            category="maritime-interdiction",
            region="caribbean",
            tlp="amber",
            originator="dipol",
            bundle=scenario_bundle(),
        )
    assert raised.value.code == "conflict.already_exists"
