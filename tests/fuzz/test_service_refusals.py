"""A refused input leaves the store as it was: the same log size, the same rows in every table.

Hypothesis drafts near-valid items, undertakings, orders (issued, amended, lifted) and outcome
reports: valid terms with some changed (odd Unicode, unknown vocabulary, ids that do not exist,
times at the calendar's edges, huge numbers, signatures of random bytes). Each call to the
service either succeeds or raises a ``GaranteError`` with a stable code; when it raises, the
store must be unchanged. The store is one SQLite file for the module, so accepted inputs pile
up as they would in use.

Text here is Unicode text: lone surrogates (which JSON's \\ud800 escapes decode to) are refused
by the API's request schemas before any service call (tests/fuzz/test_parsers.py and
test_error_shape.py show it), so the service takes ``str`` values that are valid Unicode.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from garante.domain.errors import GaranteError
from garante.domain.order import Requirement, Scope
from garante.domain.outcome import OutcomeReport
from garante.scenarios.keys import demo_key
from garante.service.app import Garante
from garante.service.clock import FixedClock
from garante.signatures import public_key_bytes
from garante.store.schema import Base
from tests.fuzz.mutations import mutated_json
from tests.fuzz.mutations import odd_text as any_text
from tests.support.scenario import scenario_bundle

odd_text = any_text.filter(lambda text: not any("\ud800" <= ch <= "\udfff" for ch in text))
CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
NOW = datetime(2025, 11, 13, 12, 0, tzinfo=UTC)
SOME = settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)

PURPOSES = ["seizure", "arrest", "analysis", "lethal-force", "seizur", "", "SEIZURE"]
AGENCIES = ["dea", "nca", "dipol", "nobody", "DEA", "dea\x00"]
AUTHORITIES = ["presidency", "mininterior", "nobody"]
REGIONS = ["caribbean", "pacific", "atlantis"]
CATEGORIES = ["drug-trafficking", "maritime-interdiction", "astrology"]


def _names(known: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(known), odd_text)


times = st.one_of(
    st.none(),
    st.datetimes(timezones=st.just(UTC)),
    st.sampled_from(
        [
            datetime(1, 1, 1, tzinfo=UTC),
            datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
            NOW,
            datetime(2026, 1, 1, tzinfo=UTC),
        ]
    ),
)
signatures = st.one_of(st.none(), st.binary(min_size=64, max_size=64), st.binary(max_size=70))
name_lists = st.lists(st.one_of(st.sampled_from(PURPOSES + CATEGORIES), odd_text), max_size=4)
scopes = st.builds(
    Scope,
    agencies=st.frozensets(_names(AGENCIES), max_size=3),
    countries=st.frozensets(st.sampled_from(["US", "GB", "us", "XX", ""]), max_size=2),
    categories=st.frozensets(_names(CATEGORIES), max_size=2),
    regions=st.frozensets(_names(REGIONS), max_size=2),
)


@pytest.fixture(scope="module")
def garante(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Garante]:
    path: Path = tmp_path_factory.mktemp("fuzz-service") / "garante.db"
    service = Garante.open(f"sqlite:///{path}", clock=FixedClock(NOW), actor="fuzz")
    service.register_agency("dipol", name="DIPOL", country="CO", domestic=True)
    service.register_agency("dea", name="DEA", country="US")
    service.register_agency(
        "nca", name="NCA", country="GB", public_key=public_key_bytes(demo_key("nca").public_key())
    )
    service.register_authority("presidency", name="Presidency")
    service.register_authority(
        "mininterior",
        name="Interior",
        public_key=public_key_bytes(demo_key("mininterior").public_key()),
    )
    service.add_item(
        "lead",
        title="Lead",
        category="maritime-interdiction",
        region="caribbean",
        tlp="amber",
        originator="dipol",
        bundle=scenario_bundle(),
    )
    service.record_undertaking(
        service.draft_undertaking("dea", permits=["seizure", "arrest"]), signature=None
    )
    service.request_release("lead", recipient="dea", purpose="seizure")
    service.issue_order(
        service.draft_order(
            authority_id="presidency",
            effect="hold",
            scope=Scope(),
            everything=True,
            order_id="o1",
            reason="x",
        ).order,
        signature=None,
    )
    yield service
    service.close()


def _snapshot(garante: Garante) -> tuple[int, dict[str, list[Any]]]:
    with garante.readers() as session:
        tables = {
            table.name: [tuple(row) for row in session.execute(select(table)).all()]
            for table in Base.metadata.sorted_tables
        }
    return garante.ledger_size(), tables


def accepted_or_refused_unchanged(garante: Garante, call: Callable[[], Any]) -> bool:
    """Run ``call``: it succeeds (True), or raises a typed error and the store is unchanged."""
    before = _snapshot(garante)
    try:
        call()
    except GaranteError as refused:
        event(f"refused: {refused.code}")  # pytest --hypothesis-show-statistics lists them
        assert CODE.match(refused.code), refused.code
        after = _snapshot(garante)
        assert after[0] == before[0], f"{refused.code}: the log grew from {before[0]}"
        changed = [name for name in before[1] if before[1][name] != after[1][name]]
        assert not changed, f"{refused.code} ({refused.message}) changed {changed}"
        return False
    event("accepted")
    return True


@SOME
@given(
    item_id=_names(["lead", "new-item"]),
    title=odd_text,
    category=_names(CATEGORIES),
    region=_names(REGIONS),
    tlp=st.sampled_from(["amber", "red", "clear", "purple", "AMBER"]),
    originator=_names(AGENCIES),
    bundle=st.one_of(mutated_json(scenario_bundle()), st.just(scenario_bundle())),
    releasable_to=st.one_of(st.none(), st.lists(_names([*AGENCIES, "US"]), max_size=3)),
)
def test_an_item_is_added_or_refused_leaving_the_store_unchanged(
    garante: Garante, **fields: Any
) -> None:
    item_id = fields.pop("item_id")
    accepted_or_refused_unchanged(garante, lambda: garante.add_item(item_id, **fields))


@SOME
@given(
    agency=_names(AGENCIES),
    permits=name_lists,
    prohibits=st.one_of(st.none(), name_lists),
    protections=st.one_of(st.none(), st.lists(_names(["protection-of-life", "x"]), max_size=2)),
    categories=st.one_of(st.none(), st.lists(_names(CATEGORIES), max_size=2)),
    undertaking_id=st.one_of(st.none(), _names(["dea-ut-1", "fresh"])),
    valid_from=times,
    valid_until=times,
    signature=signatures,
)
def test_an_undertaking_is_recorded_or_refused_leaving_the_store_unchanged(
    garante: Garante, agency: str, signature: bytes | None, **terms: Any
) -> None:
    def record() -> None:
        draft = garante.draft_undertaking(agency, **terms)
        garante.record_undertaking(draft, signature=signature)

    accepted_or_refused_unchanged(garante, record)


@SOME
@given(
    authority=_names(AUTHORITIES),
    effect=st.sampled_from(["deny", "hold", "require", "exempt", "allow", ""]),
    scope=scopes,
    everything=st.booleans(),
    order_id=st.one_of(st.none(), _names(["o1", "o2"])),
    requires=st.one_of(
        st.none(),
        st.builds(
            Requirement,
            prohibits=st.frozensets(_names(PURPOSES), max_size=2),
            protections=st.frozensets(_names(["protection-of-life"]), max_size=2),
        ),
    ),
    exempts=st.one_of(st.none(), st.lists(_names(["o1", "nope"]), max_size=2)),
    valid_from=times,
    valid_until=times,
    while_condition=st.one_of(st.none(), _names(["strikes"])),
    reason=odd_text,
    signature=signatures,
)
def test_an_order_is_issued_or_refused_leaving_the_store_unchanged(
    garante: Garante, authority: str, signature: bytes | None, **terms: Any
) -> None:
    def issue() -> None:
        draft = garante.draft_order(authority_id=authority, **terms)
        garante.issue_order(draft.order, signature=signature)

    accepted_or_refused_unchanged(garante, issue)


@SOME
@given(
    order_id=_names(["o1", "nope"]),
    authority=_names(AUTHORITIES),
    effect=st.one_of(st.none(), st.sampled_from(["deny", "hold", "allow"])),
    scope=st.one_of(st.none(), scopes),
    everything=st.booleans(),
    valid_until=times,
    clear_condition=st.booleans(),
    reason=st.one_of(st.none(), odd_text),
    signature=signatures,
    lift=st.booleans(),
)
def test_an_amendment_or_lift_is_made_or_refused_leaving_the_store_unchanged(
    garante: Garante,
    order_id: str,
    authority: str,
    signature: bytes | None,
    lift: bool,
    reason: str | None,
    **changes: Any,
) -> None:
    def amend() -> None:
        if lift:
            garante.lift_order(
                order_id, authority_id=authority, reason=reason or "", signature=signature
            )
            return
        amended = garante.draft_amendment(
            order_id, authority_id=authority, reason=reason, **changes
        )
        garante.amend_order(amended.order, authority_id=authority, signature=signature)

    accepted_or_refused_unchanged(garante, amend)


@SOME
@given(
    request_id=st.sampled_from([1, 0, -1, 2**40, 10**6]),
    agency=_names(AGENCIES),
    kind=st.sampled_from(["seizure", "no-action", "lethal-force", "leaked", ""]),
    occurred_at=st.one_of(st.sampled_from([NOW, datetime(2030, 1, 1, tzinfo=UTC)]), times),
    casualties=st.sampled_from([0, 1, -1, 10**6]),
    quantities=st.dictionaries(odd_text, st.floats(allow_nan=False, allow_infinity=False)),
    note=odd_text,
    signed=st.booleans(),
    signature=signatures,
)
def test_an_outcome_is_reported_or_refused_leaving_the_store_unchanged(
    garante: Garante,
    request_id: int,
    occurred_at: datetime | None,
    signed: bool,
    signature: bytes | None,
    **details: Any,
) -> None:
    report = OutcomeReport(
        request_id=request_id,
        agency_id=details.pop("agency"),
        occurred_at=occurred_at or NOW,
        **details,
    )
    accepted_or_refused_unchanged(
        garante, lambda: garante.report_outcome(report, signed=signed, signature=signature)
    )
