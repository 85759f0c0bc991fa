"""Outcome reports over the API with the typed client, on this module's own demo store: the
same report sent again is recorded once, and a partner cannot tell its own withheld release
from one that does not exist by reporting on it. Runs on each store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from garante.api.schemas import OutcomeChange
from garante.client import GaranteAPIError, GaranteClient
from garante.scenarios.keys import demo_key
from tests.support.servers import Server, running_server
from tests.support.stores import new_store

RELEASE = 7  # the demo's release of DIJIN's co-2025-0422 to the DEA
AT = "2025-11-13T22:00:00Z"  # after that release, before the demo store's pinned clock
NO_SUCH_RELEASE = 10**9


@pytest.fixture(scope="module")
def outcomes_server(request: pytest.FixtureRequest, server_backend: str) -> Iterator[Server]:
    with running_server(new_store(request, server_backend, "outcomes"), demo=True) as server:
        yield server


@pytest.fixture(scope="module")
def analyst(outcomes_server: Server) -> Iterator[GaranteClient]:
    token = outcomes_server.token("analyst", agency="dijin")
    with GaranteClient(outcomes_server.url, token) as client:
        yield client


def test_the_same_report_sent_again_is_recorded_once(analyst: GaranteClient) -> None:
    def report() -> OutcomeChange:
        return analyst.report_outcome(
            RELEASE, agency="dea", kind="seizure", occurred_at=AT, quantities={"cocaine_kg": 80}
        )

    first, again = report(), report()
    assert (first.new, again.new) == (True, False)
    assert again.outcome.id == first.outcome.id
    recorded = [o.id for o in analyst.iter_outcomes(agency="dea")]
    assert recorded.count(first.outcome.id) == 1


def test_a_partner_reporting_on_its_withheld_release_hears_as_for_no_release(
    outcomes_server: Server, analyst: GaranteClient
) -> None:
    withheld = next(
        r for r in analyst.iter_releases(outcome="released") if r.delivery == "withheld"
    )
    agency = withheld.recipient
    token = outcomes_server.token("partner", agency=agency)
    with GaranteClient(outcomes_server.url, token) as partner:
        key = demo_key(agency) if partner.get_agency(agency).public_key else None

        def refusal(release: int) -> GaranteAPIError:
            with pytest.raises(GaranteAPIError) as raised:
                partner.report_outcome(
                    release, agency=agency, kind="no-action", occurred_at=AT, key=key
                )
            return raised.value

        hidden, absent = refusal(withheld.id), refusal(NO_SUCH_RELEASE)
    assert (hidden.status, hidden.code) == (absent.status, absent.code)
    assert hidden.code == "outcome.not_a_release"
    assert hidden.message.replace(str(withheld.id), "N") == absent.message.replace(
        str(NO_SUCH_RELEASE), "N"
    )
