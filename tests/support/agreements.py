"""Standing agreements for tests over the demo: made by a liaison officer through the service,
as the console's and the API's forms make them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from garante import records
from garante.domain.roles import Principal, Role
from garante.domain.timeutil import parse_time
from garante.service.app import Garante
from garante.service.results import Change

LIAISON = Principal(token_id="t-liaison", role=Role.LIAISON, agency_id="dipol")
# Every demo item is added on 2025-01-15: a backfill from the first covers them all.
BEFORE_THE_ITEMS = parse_time("2025-01-01T00:00:00Z")


def make_agreement(
    garante: Garante,
    partner: str = "dea",
    *,
    backfill_from: datetime | None = None,
    **terms: Any,
) -> Change[records.Agreement]:
    """An agreement of ``partner`` (by default for seizure and analysis of the maritime
    items up to TLP:AMBER), made by a liaison officer of DIPOL."""
    terms.setdefault("purposes", ["seizure", "analysis"])
    terms.setdefault("categories", ["maritime-interdiction"])
    terms.setdefault("tlp_ceiling", "amber")
    liaison = garante.acting_as(LIAISON)
    drafted = liaison.draft_agreement(partner, **terms)
    return liaison.make_agreement(drafted, backfill_from=backfill_from)
