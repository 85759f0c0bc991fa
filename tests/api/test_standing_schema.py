"""The API's standing models say what ``policy.standing`` computes: a field added there or
renamed fails here, not in a client."""

from __future__ import annotations

from dataclasses import fields

from garante.api.schemas import ClausesOut, ExemptionOut, StandingOut, StandingReasonOut
from garante.policy.standing import Clauses, Exemption, PartnerStanding, Reason


def test_the_standing_model_has_every_field_of_the_standing() -> None:
    assert set(StandingOut.model_fields) == {f.name for f in fields(PartnerStanding)}


def test_the_reason_model_has_every_field_of_the_reason_and_whether_it_is_met() -> None:
    assert set(StandingReasonOut.model_fields) == {f.name for f in fields(Reason)} | {"met"}


def test_the_exemption_and_clause_models_match_theirs() -> None:
    assert list(ExemptionOut.model_fields) == list(Exemption._fields)
    assert set(ClausesOut.model_fields) == {f.name for f in fields(Clauses)}
