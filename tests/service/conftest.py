"""A small world for service tests: two Colombian services, the DEA, the NCA, one authority."""

from __future__ import annotations

import pytest

from garante.domain.condition import ConditionRule
from garante.scenarios.keys import demo_key
from garante.service.app import Garante
from garante.signatures import public_key_bytes, sign_statement
from tests.support.scenario import scenario_bundle
from tests.support.stores import BACKENDS


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Every service test runs on a SQLite file and on a PostgreSQL database."""
    value: str = request.param
    return value


@pytest.fixture
def world(garante: Garante) -> Garante:
    garante.register_agency("dipol", name="DIPOL", country="CO", domestic=True)
    garante.register_agency("dea", name="DEA", country="US")
    garante.register_agency("fbi", name="FBI", country="US")
    garante.register_agency(
        "nca", name="NCA", country="GB", public_key=public_key_bytes(demo_key("nca").public_key())
    )
    garante.register_authority("presidency", name="Presidency")
    garante.register_authority(
        "mininterior",
        name="Interior ministry",
        public_key=public_key_bytes(demo_key("mininterior").public_key()),
    )
    garante.define_condition(
        "strikes",
        description="strikes persist",
        rule=ConditionRule(kind="vessel-strike", region="caribbean", min_events=1, window_days=30),
    )
    garante.add_item(
        "lead",
        title="Go-fast lead",
        category="maritime-interdiction",
        region="caribbean",
        tlp="amber",
        originator="dipol",
        bundle=scenario_bundle(),
    )
    for agency in ("dea", "fbi"):
        terms = garante.draft_undertaking(agency, permits=["seizure", "arrest"])
        garante.record_undertaking(terms, signature=None)
    terms = garante.draft_undertaking("nca", permits=["seizure"], prohibits=["lethal-force"])
    garante.record_undertaking(terms, signature=sign_statement(demo_key("nca"), terms.statement()))
    return garante
