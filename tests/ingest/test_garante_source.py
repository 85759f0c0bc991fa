"""A source of kind ``garante`` (another Garante's partner feed) is trusted through the
upstream log's verifier key, and read with the partner token that upstream issued: it is
refused without them, and its key is logged with the source (the trust anchor is on record).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from garante.domain.errors import ValidationError
from garante.ledger.note import Signer
from garante.service.app import Garante
from tests.ingest.conftest import ANALYST

UPSTREAM = "http://127.0.0.1:9/"
LOG_KEY = Signer.generate("colombia.example/log").verifier_key().to_text()


def _add(world: Garante, **terms: Any) -> None:
    terms.setdefault("kind", "garante")
    terms.setdefault("collection", "dea-collection")
    terms.setdefault("auth", "bearer")
    terms.setdefault("secret", "partner-token")
    world.acting_as(ANALYST).add_source(
        "colombia", url=UPSTREAM, category="maritime-interdiction", region="caribbean",
        tlp="amber", **terms,
    )  # fmt: skip


def test_a_garante_source_without_the_upstream_log_key_is_refused(world: Garante) -> None:
    with pytest.raises(ValidationError) as refused:
        _add(world)
    assert refused.value.field == "log_key"


def test_a_garante_source_with_what_is_not_a_verifier_key_is_refused(world: Garante) -> None:
    with pytest.raises(ValidationError) as refused:
        _add(world, log_key="colombia.example/log+00000000+notakey")
    assert refused.value.field == "log_key"


def test_a_garante_source_is_read_with_a_bearer_token(world: Garante) -> None:
    with pytest.raises(ValidationError) as refused:
        _add(world, log_key=LOG_KEY, auth="basic", username="dea", secret="pw")
    assert refused.value.field == "auth"


def test_a_taxii_source_takes_no_log_key(world: Garante) -> None:
    with pytest.raises(ValidationError) as refused:
        _add(world, kind="taxii", log_key=LOG_KEY)
    assert refused.value.field == "log_key"


def test_the_upstream_log_key_is_logged_with_the_source(world: Garante) -> None:
    _add(world, log_key=LOG_KEY)
    entries = world.entries(0, world.ledger_size())
    added = [json.loads(e.entry) for e in entries if e.kind == "source.added"]
    assert added[-1]["data"]["log_key"] == LOG_KEY
