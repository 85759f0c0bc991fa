"""Who manages sources, and which are pulled on their schedule.

An analyst adds, pauses, resumes, removes and pulls its own agency's sources; an overseer
reads them; a partner, a liaison and an analyst of another agency do neither. ``garante
serve`` pulls every source whose interval has passed, and a failing one does not stop the rest.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from garante.domain.errors import NotEntitled, ValidationError
from garante.domain.roles import Principal, Role
from garante.service.app import Garante
from garante.service.clock import FixedClock
from garante.service.tokens import Forbidden
from tests.ingest.conftest import BROKEN, MAIN, add_source
from tests.support import peers

OTHER_ANALYST = Principal(token_id="t-o", role=Role.ANALYST, agency_id="dijin")
PARTNER = Principal(token_id="t-p", role=Role.PARTNER, agency_id="dea")
LIAISON = Principal(token_id="t-l", role=Role.LIAISON, agency_id="dipol")
OVERSEER = Principal(token_id="t-ov", role=Role.OVERSEER)


@pytest.fixture
def with_source(world: Garante, medallion: peers.Medallion) -> Garante:
    world.register_agency("dijin", name="DIJIN", country="CO", domestic=True)
    add_source(world, medallion.api_root)
    return world


def test_an_analyst_of_another_agency_may_not_pull_or_pause_a_source(
    with_source: Garante,
) -> None:
    other = with_source.acting_as(OTHER_ANALYST)
    with pytest.raises(NotEntitled):
        other.pull_source("upstream")
    with pytest.raises(NotEntitled):
        other.pause_source("upstream", reason="not mine")


def test_an_analyst_adds_sources_for_its_own_agency_only(
    with_source: Garante, medallion: peers.Medallion
) -> None:
    with pytest.raises(NotEntitled):
        with_source.acting_as(OTHER_ANALYST).add_source(
            "theirs",
            url=medallion.api_root,
            collection=MAIN,
            category="maritime-interdiction",
            region="caribbean",
            tlp="amber",
            originator="dipol",
        )


@pytest.mark.parametrize("who", [PARTNER, LIAISON], ids=["partner", "liaison"])
def test_partners_and_liaisons_neither_read_nor_pull_sources(
    with_source: Garante, who: Principal
) -> None:
    acting = with_source.acting_as(who)
    with pytest.raises(Forbidden):
        acting.sources()
    with pytest.raises(Forbidden):
        acting.pull_source("upstream")


def test_an_overseer_reads_sources_but_does_not_pull_them(with_source: Garante) -> None:
    overseer = with_source.acting_as(OVERSEER)
    assert [s.id for s in overseer.sources()] == ["upstream"]
    with pytest.raises(Forbidden):
        overseer.pull_source("upstream")


def test_a_source_with_credentials_for_no_authentication_is_refused(
    world: Garante, medallion: peers.Medallion
) -> None:
    with pytest.raises(ValidationError, match="credentials given"):
        add_source(world, medallion.api_root, auth="none", username="u", secret="s")


# -- on a schedule ---------------------------------------------------------------------------


def test_due_sources_are_pulled_and_then_not_again_until_their_interval_passes(
    world: Garante, medallion: peers.Medallion, clock: FixedClock
) -> None:
    add_source(world, medallion.api_root, interval=600)

    assert [p.source for p in world.pull_due_sources()] == ["upstream"]
    assert world.pull_due_sources() == []
    clock.set(clock.now() + timedelta(seconds=600))
    assert [p.source for p in world.pull_due_sources()] == ["upstream"]


def test_a_paused_source_is_not_pulled_on_its_schedule(
    world: Garante, medallion: peers.Medallion
) -> None:
    analyst = add_source(world, medallion.api_root)
    analyst.pause_source("upstream", reason="maintenance")

    assert world.pull_due_sources() == []


def test_a_failing_source_does_not_stop_the_others_and_is_recorded(
    world: Garante, medallion: peers.Medallion
) -> None:
    add_source(world, medallion.api_root, source_id="a-broken", collection=BROKEN)
    add_source(world, medallion.api_root, source_id="b-working")

    pulled = world.pull_due_sources()

    assert [p.source for p in pulled] == ["b-working"]
    assert "HTTP 500" in (world.source("a-broken").last_error or "")
